// --poll-via: which source a poll reads sockets through. inet_diag is the
// default and the fallback; the iterator poll (iter: iter/tcp per namespace;
// host: one iter/task_file pass for the whole host plus iter/tcp walks for
// the sockets no process holds) runs when asked and the kernel loads it, and
// only for what it can do (every state and family, no --filter).
import { PollSource, type BatchConsumer, type CycleResult, type PollOptions } from './poll';
import { IterPollSource } from './iter_poll';
import { ALL_STATES } from '../format/tcp_states';

export type PollVia = 'diag' | 'iter' | 'host';
export const POLL_VIA: readonly PollVia[] = ['diag', 'iter', 'host'];
/** --poll-via host: the un-owned sockets' walk every this many cycles (--host-sweep) */
export const HOST_SWEEP_EVERY = 10;

export type AnyPollSource = PollSource | IterPollSource;

/** Why the iterator poll cannot serve these options, or null. */
function iterCannot(o: PollOptions): string | null {
  if (o.bytecode) return '--filter runs as inet_diag bytecode, which the iterator poll does not run';
  if ((o.states ?? ALL_STATES) !== ALL_STATES) return 'the iterator poll reports every state (no --states)';
  if ((o.families ?? 3) !== 3) return 'the iterator poll reports both families (no --family)';
  return null;
}

/** The source `via` asks for; the iterator poll falls back to inet_diag,
 * calling `fallback` with the reason (the kernel's words when it refused). */
export function openPollSource(via: PollVia, o: PollOptions & { hostSweep?: number }, fallback: (reason: string) => void): AnyPollSource {
  if (via === 'iter' || via === 'host') {
    const it = new IterPollSource({
      netns: o.netns,
      ...(o.batchRows ? { batchRows: o.batchRows } : {}),
      ...(via === 'host' ? { host: { sweepEvery: o.hostSweep ?? HOST_SWEEP_EVERY } } : {}),
    });
    try {
      const why = iterCannot(o);
      if (why) throw new Error(why);
      it.start();
      return it;
    } catch (e) {
      it.close();
      fallback((e as Error).message);
    }
  }
  return new PollSource(o);
}

/** One cycle of either source; `full` matters only to the iterator poll with
 * change detection (false: only the sockets that moved). */
export function pollCycle(src: AnyPollSource, consume: BatchConsumer, full = true): Promise<CycleResult> {
  return src instanceof IterPollSource ? src.cycle(consume, full) : src.cycle(consume);
}
