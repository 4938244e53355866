// The destroy view in `run`: every --drain-interval, the final record of every
// socket destroyed since, from the sock_diag destroy multicast of each
// namespace, into the flow table and tcp_snapshots (view 'destroy'). Its
// namespaces are refreshed before every poll cycle, so closes in a namespace
// are caught from its first poll on. Its counters feed the destroy stage.
import { DestroySource } from '../../sources/destroy';
import { NsFold, netlinkOf } from '../../metrics/ns_fold';
import { zeroNamespaces, type DestroyStageStats } from '../../metrics/stages';
import type { View, ViewContext, ViewFactory } from '../view';
import { warnOpenError } from './parts_log';

class DestroyView implements View {
  readonly name = 'destroy';
  private readonly fold = new NsFold();
  private readonly ns = zeroNamespaces();
  private readonly s = { drains: 0, rows: 0, batches: 0, errors: 0 };

  constructor(
    readonly source: DestroySource,
    readonly everyMs: number,
  ) {}

  beforeCycle(): void {
    this.foldNow(); // before a vanished namespace's socket closes with its counts
    const r = this.source.refresh();
    this.ns.added += r.added;
    this.ns.removed += r.removed;
    this.ns.unreadable = r.unreadable;
    this.foldNow();
  }

  async tick({ table, sink }: ViewContext): Promise<number> {
    const d = await this.source.drain((b, ctx) => {
      table.observeDestroy(b, BigInt(ctx.ns.inode));
      sink.writeSnapshots(b, { names: ctx.names, view: 'destroy' });
    });
    this.s.drains++;
    this.s.rows += d.rows;
    this.s.batches += d.batches;
    this.s.errors += d.errors;
    this.ns.errors += d.errors;
    this.foldNow();
    return d.rows;
  }

  watch(wake: () => void): boolean {
    return this.source.watch(wake);
  }

  private foldNow(): void {
    const all = this.source.stats();
    this.ns.tracked = all.length;
    this.ns.failing = all.filter((s) => s.stats === null).length;
    this.fold.fold(all.map((s) => ({ inode: s.ns.inode, counters: s.stats ? netlinkOf(s.stats) : null })));
  }

  stats(): DestroyStageStats {
    return { ...this.s, netlink: { ...this.fold.total }, namespaces: { ...this.ns } };
  }

  close(): void {
    this.source.close();
  }
}

export const destroyView: ViewFactory = {
  name: 'destroy',
  open(req, log) {
    if (req.report?.views.destroy === 'off') return null; // preflight said why
    const src = new DestroySource({ netns: req.netns, batchRows: req.batchRows });
    src.onOpenError = warnOpenError(log, 'destroy');
    const v = new DestroyView(src, req.drainMs);
    return { views: [v], stages: { destroy: v } };
  },
};
