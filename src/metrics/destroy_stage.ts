// Adapts a DestroySource to DestroyStageStats: counts drains and rows, and
// folds the per-namespace counters after every drain and before every
// refresh (which closes the sockets of vanished namespaces).
import type { DestroySource, DrainSummary } from '../sources/destroy';
import type { BatchConsumer } from '../sources/poll';
import type { RefreshResult } from '../netns/tracker';
import { NsFold, netlinkOf } from './ns_fold';
import { zeroNamespaces, type DestroyStageStats, type StatsProvider } from './stages';

export class ObservedDestroy implements StatsProvider<DestroyStageStats> {
  private readonly fold = new NsFold();
  private readonly ns = zeroNamespaces();
  private drains = 0;
  private rows = 0;
  private batches = 0;
  private errors = 0;

  constructor(readonly source: DestroySource) {}

  refresh(): RefreshResult {
    this.foldNow();
    const r = this.source.refresh();
    this.ns.added += r.added;
    this.ns.removed += r.removed;
    this.ns.unreadable = r.unreadable;
    this.foldNow();
    return r;
  }

  async drain(consume: BatchConsumer): Promise<DrainSummary> {
    const s = await this.source.drain(consume);
    this.drains++;
    this.rows += s.rows;
    this.batches += s.batches;
    this.errors += s.errors;
    this.ns.errors += s.errors;
    this.foldNow();
    return s;
  }

  private foldNow(): void {
    const all = this.source.stats();
    this.ns.tracked = all.length;
    this.ns.failing = all.filter((s) => s.stats === null).length;
    this.fold.fold(all.map((s) => ({ inode: s.ns.inode, counters: s.stats ? netlinkOf(s.stats) : null })));
  }

  stats(): DestroyStageStats {
    return {
      drains: this.drains, rows: this.rows, batches: this.batches, errors: this.errors,
      netlink: { ...this.fold.total }, namespaces: { ...this.ns },
    };
  }
}
