// The listen poll in `run`: listeners, which rarely change and are no flows,
// in a dump of their own every --listen-interval, so that the poll's dumps
// walk the established hash alone (the kernel skips the listening hash when
// LISTEN is not asked for, and the bind hash without BOUND_INACTIVE, which
// neither asks for: src/sources/listen_states.ts). Its rows are poll rows; its listeners feed
// the health metrics (listening ports, full accept queues).
import type { BatchConsumer, PollSource } from '../../sources/poll';
import type { View, ViewContext } from '../view';

export class ListenView implements View {
  readonly name = 'listen';

  /** source: the poll view's own (its namespaces and netlink sockets) */
  constructor(
    private readonly source: PollSource,
    private readonly states: number,
    readonly everyMs: number,
  ) {}

  async tick({ table, sink, log }: ViewContext): Promise<number> {
    const consume: BatchConsumer = (b, ctx) => {
      table.observePoll(b, BigInt(ctx.ns.inode));
      if (b.rows > 0) sink.writeSnapshots(b, { names: ctx.names, view: 'poll' });
      return sink.room?.() ?? undefined;
    };
    // the namespaces the poll tracks now: it finds and drops them
    const r = await this.source.cycle(consume, { states: this.states, refresh: false });
    for (const n of r.namespaces) {
      if (n.errno === 0 && n.code === undefined) table.endListenCycle(BigInt(n.ns.inode));
      else if (n.errno)
        log.warn(`listen.failed.${n.ns.name}`, 'listen poll failed in a namespace', { netns: n.ns.name, code: n.code, errno: n.errno });
    }
    return r.sockets;
  }

  close(): void {
    this.source.close();
  }
}
