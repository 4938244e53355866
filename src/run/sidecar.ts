// The main job's loop: poll every interval, empty the close views (destroy,
// events) and the samplers in between, join everything in the flow table,
// and hand rows to the sink. One loop, no overlapping timers: every view's
// batch is read to the end before the next one is filled.
import { PollSource } from '../sources/poll';
import { DestroySource } from '../sources/destroy';
import { FlowTable } from '../correlate/flow_table';
import { compactRows } from '../layout/compact';
import type { NetnsSelector } from '../netns/select';
import type { Sink } from '../sinks';
import type { PollCycleRow } from '../sinks/clickhouse/encoders';
import { ObservedPoll } from '../metrics/poll_stage';
import { ObservedDestroy } from '../metrics/destroy_stage';
import type { Logger } from '../util/log';

/** A view emptied on its own period (events, samples): see views.ts. */
export interface PeriodicView {
  readonly name: string;
  readonly everyMs: number;
  tick(table: FlowTable, sink: Sink): Promise<void>;
  close(): void;
}

export interface SidecarConfig {
  netns: NetnsSelector;
  intervalMs: number;
  drainMs: number;
  changesOnly: boolean;
  destroy: boolean;
  maxFlows: number;
  batchRows?: number;
}

/** The loop's own totals; the views' counters live in their Observed*
 * wrappers (poll, destroy), which the metrics read. */
export interface SidecarStats {
  cycles: number;
  flowRowsWritten: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Sidecar {
  /** the views, wrapped so the metrics see every cycle and drain */
  readonly poll: ObservedPoll;
  readonly destroy: ObservedDestroy | null;
  readonly table: FlowTable;
  private readonly s: SidecarStats = { cycles: 0, flowRowsWritten: 0 };
  /** netlink bytes each namespace's socket had read at the last cycle's end */
  private nsBytes = new Map<number, number>();
  private stopping = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly cfg: SidecarConfig,
    private readonly sink: Sink,
    private readonly periodic: PeriodicView[],
    private readonly log: Logger,
  ) {
    const poll = new PollSource({ netns: cfg.netns, batchRows: cfg.batchRows });
    const destroy = cfg.destroy ? new DestroySource({ netns: cfg.netns, batchRows: cfg.batchRows }) : null;
    const onOpenError = (view: string) => (ns: { name: string }, e: { code: string; message: string }): void => {
      log.warn(`netns.open.${view}.${ns.name}`, 'cannot enter network namespace', { view, netns: ns.name, code: e.code, error: e.message });
    };
    poll.onOpenError = onOpenError('poll');
    if (destroy) destroy.onOpenError = onOpenError('destroy');
    this.poll = new ObservedPoll(poll, cfg.intervalMs);
    this.destroy = destroy ? new ObservedDestroy(destroy) : null;
    this.table = new FlowTable({ maxFlows: cfg.maxFlows });
  }

  stats(): SidecarStats {
    return { ...this.s };
  }

  /** Netlink bytes read from namespace `inode` since the last call. */
  /** Netlink bytes each namespace read since the last call: one stats() read
   * a cycle; namespaces that went away are forgotten. */
  private bytesSinceLast(): Map<number, number> {
    const now = new Map<number, number>();
    for (const x of this.poll.source.stats()) now.set(x.ns.inode, x.stats?.bytes ?? 0);
    const delta = new Map<number, number>();
    for (const [ino, b] of now) {
      const before = this.nsBytes.get(ino) ?? 0;
      delta.set(ino, b >= before ? b - before : b);
    }
    this.nsBytes = now;
    return delta;
  }

  /** Asks the loop to finish: it flushes everything and resolves run(). */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  async run(): Promise<void> {
    this.destroy?.refresh(); // subscribe before the first poll: closes from now on are caught
    const due = new Map<PeriodicView, number>(this.periodic.map((v) => [v, 0]));
    try {
      while (!this.stopping) {
        const started = performance.now();
        await this.cycle();
        // Between polls: empty the close views and run the samplers on their
        // periods; at least once, even after a cycle that overran the interval.
        for (;;) {
          const now = performance.now();
          await this.drain();
          for (const [v, at] of due) {
            if (now < at) continue;
            due.set(v, now + v.everyMs);
            await v.tick(this.table, this.sink);
          }
          const left = this.cfg.intervalMs - (performance.now() - started);
          if (this.stopping || left <= 0) break;
          await this.nap(Math.min(left, this.cfg.drainMs));
        }
      }
    } finally {
      await this.finish();
    }
  }

  private nap(ms: number): Promise<void> {
    return Promise.race([sleep(ms), new Promise<void>((r) => { this.wake = r; })]);
  }

  /** One poll of every namespace, its rows to the sink and the flow table. */
  private async cycle(): Promise<void> {
    this.destroy?.refresh();
    const rowsByNs = new Map<bigint, number>();
    const r = await this.poll.cycle((b, ctx) => {
      const ns = BigInt(ctx.ns.inode);
      if (this.cfg.changesOnly) {
        const changed = new Uint8Array(b.rows);
        this.table.observePoll(b, ns, changed);
        compactRows(b, changed);
      } else {
        this.table.observePoll(b, ns);
      }
      rowsByNs.set(ns, (rowsByNs.get(ns) ?? 0) + b.rows);
      if (b.rows > 0) this.sink.writeSnapshots(b, { names: ctx.names, view: 'poll' });
    });
    const ts = BigInt(r.startedMs) * 1_000_000n;
    const nsBytes = this.bytesSinceLast();
    const rows: PollCycleRow[] = [];
    for (const n of r.namespaces) {
      const ns = BigInt(n.ns.inode);
      // Only a complete dump proves that a flow it lacks is gone.
      if (n.errno === 0) this.table.endCycle(ns);
      this.table.beginCycle(ns);
      if (n.errno) this.log.warn(`poll.failed.${n.ns.name}`, 'poll failed in a namespace', { netns: n.ns.name, code: n.code, errno: n.errno });
      const bytes = nsBytes.get(n.ns.inode) ?? 0;
      rows.push({
        ts_ns: ts, netns_inode: ns, netns_name: n.ns.name, duration_us: Math.round(r.durationMs * 1000),
        sockets: n.sockets, batches: r.batches, bytes, errors: n.errno || n.code ? 1 : 0, errno: n.errno, error_code: n.code ?? '',
      });
    }
    this.sink.writePollCycles(rows);
    this.s.cycles++;
    const cpu = process.cpuUsage();
    this.log.debug('run.cycle', 'poll cycle done', { cycle: this.s.cycles, sockets: r.sockets, duration_ms: Math.round(r.durationMs), process_cpu_us: cpu.user + cpu.system });
  }

  /** Empties the destroy queues and hands finished flows to the sink. */
  private async drain(): Promise<void> {
    if (this.destroy) {
      await this.destroy.drain((b, ctx) => {
        const ns = BigInt(ctx.ns.inode);
        this.table.observeDestroy(b, ns);
        this.sink.writeSnapshots(b, { names: ctx.names, view: 'destroy' });
      });
    }
    this.writeFlows(this.table.collect());
  }

  private writeFlows(rows: ReturnType<FlowTable['collect']>): void {
    if (!rows.length) return;
    this.s.flowRowsWritten += rows.length;
    this.sink.writeFlows(rows);
  }

  /** Last drains, every closed flow out, the sink flushed (or spooled). */
  private async finish(): Promise<void> {
    try {
      await this.drain();
      for (const v of this.periodic) await v.tick(this.table, this.sink);
      this.writeFlows(this.table.collectAll());
      await this.sink.flush();
    } finally {
      for (const v of this.periodic) v.close();
      this.poll.source.close();
      this.destroy?.source.close();
    }
    this.log.info('run.stopped', 'stopped', { cycles: this.s.cycles, flows_written: this.s.flowRowsWritten });
  }
}
