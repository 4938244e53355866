// Adapts a PollSource to PollStageStats: wraps cycle() to count cycles,
// overruns and durations (once per cycle), and folds the per-namespace
// netlink counters after every cycle, before the next refresh can close a
// vanished namespace's socket and lose them.
import type { BatchConsumer, CycleResult, PollSource } from '../sources/poll';
import { CumulativeHistogram } from './histogram';
import { NsFold, netlinkOf } from './ns_fold';
import { zeroNamespaces, type PollStageStats, type StatsProvider } from './stages';

export class ObservedPoll implements StatsProvider<PollStageStats> {
  private readonly fold = new NsFold();
  private readonly hist = new CumulativeHistogram();
  private readonly ns = zeroNamespaces();
  private cycles = 0;
  private overruns = 0;
  private sockets = 0;
  private lastSockets = 0;
  private batches = 0;
  private firstEnd: number | null = null;
  private lastEnd: number | null = null;

  constructor(readonly source: PollSource, private readonly intervalMs: number) {}

  /** PollSource.cycle, counted. */
  async cycle(consume: BatchConsumer): Promise<CycleResult> {
    const r = await this.source.cycle(consume);
    this.record(r);
    return r;
  }

  private record(r: CycleResult): void {
    this.cycles++;
    if (this.intervalMs > 0 && r.durationMs > this.intervalMs) this.overruns++;
    this.hist.observe(r.durationMs / 1000);
    this.sockets += r.sockets;
    this.lastSockets = r.sockets;
    this.batches += r.batches;
    const failing = r.namespaces.filter((n) => n.errno !== 0 || n.code !== undefined).length;
    this.ns.tracked = r.namespaces.length;
    this.ns.added += r.added;
    this.ns.removed += r.removed;
    this.ns.failing = failing;
    this.ns.errors += failing;
    this.ns.unreadable = r.unreadable;
    this.fold.fold(this.source.stats().map((s) => ({ inode: s.ns.inode, counters: s.stats ? netlinkOf(s.stats) : null })));
    this.lastEnd = r.startedMs + r.durationMs;
    this.firstEnd ??= this.lastEnd;
  }

  stats(): PollStageStats {
    return {
      intervalSeconds: this.intervalMs / 1000,
      cycles: this.cycles,
      overruns: this.overruns,
      firstCycleEndMs: this.firstEnd,
      lastCycleEndMs: this.lastEnd,
      sockets: this.sockets,
      lastSockets: this.lastSockets,
      batches: this.batches,
      cycleSeconds: this.hist,
      netlink: { ...this.fold.total },
      namespaces: { ...this.ns },
    };
  }
}
