// The targeted view in `run` (--snapshot-on): when the events view reports
// an open (after its delay), a retransmit burst or a reset, one exact-match
// inet_diag request for that socket, in its namespace, written to
// tcp_snapshots with view 'targeted' and the trigger. The kernel looks the
// socket up instead of walking every socket of the host, so a short flow gets
// a mid-life tcp_info without polling everything fast. Rate-limited; every
// target is counted as answered, gone, failed or dropped.
import { TargetQueue, DROP_REASONS } from '../target_queue';
import { describeTriggers, type SnapshotTriggers } from '../snapshot_on';
import { TargetedSource } from '../../sources/targeted';
import type { TargetedStageStats } from '../../metrics/stages';
import type { View, ViewContext, ViewFactory } from '../view';

/** --snapshot-rate default: snapshots per second */
export const DEFAULT_SNAPSHOT_RATE = 1000;

/** How often the view looks for due targets: often enough for the shortest delay to be kept within a fifth. */
export function targetedEveryMs(triggers: SnapshotTriggers, drainMs: number): number {
  const delays = Object.values(triggers).filter((d): d is number => d !== undefined && d > 0);
  if (!delays.length) return drainMs; // due on arrival: the round that drained the events asks
  return Math.max(1, Math.min(drainMs, Math.min(...delays) / 5));
}

export class TargetedView implements View {
  readonly name = 'targeted';
  private readonly s = { requested: 0, answered: 0, gone: 0, failed: 0 };

  constructor(
    readonly queue: TargetQueue,
    private readonly source: TargetedSource,
    readonly everyMs: number,
  ) {}

  async tick({ sink }: ViewContext): Promise<number> {
    const due = this.queue.due();
    if (!due.length) return 0;
    const r = await this.source.lookup(due, (b, ctx) => {
      sink.writeSnapshots(b, { names: ctx.names, view: 'targeted', trigger: ctx.trigger });
    });
    this.queue.droppedNetns(r.noNetns);
    this.s.requested += r.requested;
    this.s.answered += r.answered;
    this.s.gone += r.gone;
    this.s.failed += r.failed;
    return r.answered;
  }

  stats(): TargetedStageStats {
    const q = this.queue.counts();
    return {
      triggered: { ...q.triggered },
      requested: this.s.requested,
      answered: this.s.answered,
      gone: this.s.gone + q.closedFirst,
      failed: this.s.failed,
      coalesced: q.coalesced,
      dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, q.dropped[r]])),
      pending: q.pending,
    };
  }

  close(): void {
    this.source.close();
  }
}

export const targetedView: ViewFactory = {
  name: 'targeted',
  open(req, log) {
    const triggers = req.snapshotOn;
    if (!triggers) return null;
    if (!req.eventTap?.fed) {
      log.warn('view.targeted', '--snapshot-on needs the events view, which is not running: no targeted snapshots');
      return null;
    }
    const queue = new TargetQueue(triggers, { ratePerS: req.snapshotRate ?? DEFAULT_SNAPSHOT_RATE });
    const source = new TargetedSource(req.netns);
    source.onOpenError = (ns, e) =>
      log.warn(`netns.open.targeted.${ns.name}`, 'cannot enter network namespace', { view: 'targeted', netns: ns.name, code: e.code });
    req.eventTap.subscribe((b) => queue.observe(b));
    const v = new TargetedView(queue, source, targetedEveryMs(triggers, req.drainMs));
    log.info('view.targeted', 'targeted snapshots', {
      on: describeTriggers(triggers),
      rate_per_s: req.snapshotRate ?? DEFAULT_SNAPSHOT_RATE,
    });
    return { views: [v], stages: { targeted: v } };
  },
};
