// The one shape of a view in `tcplens run`: a name, a period, a tick that
// reads what the kernel has now into the flow table and the sink, its
// counters, and a close. A view is one file under src/run/views/ plus its
// line in src/run/views/index.ts; the sidecar loop (sidecar.ts) and the
// metrics (the generic tcplens_view_* set) need nothing else.
import type { FlowTable } from '../correlate/flow_table';
import type { ViewPart } from '../native/addon';
import type { NetnsSelector } from '../netns/select';
import type { PreflightReport } from '../preflight';
import type { PipelineStages } from '../metrics/stages';
import type { Sink } from '../sinks';
import type { Logger } from '../util/log';
import type { EventTap } from './event_tap';
import type { SnapshotTriggers } from './snapshot_on';
import type { AdaptiveInterval } from './adaptive';

export interface ViewContext {
  table: FlowTable;
  sink: Sink;
  log: Logger;
}

export interface View {
  /** its name in logs and in the tcplens_view_* metrics */
  readonly name: string;
  /** ticks this often; the first view opened (poll) paces the loop: its ticks are the cycles */
  readonly everyMs: number;
  /** reads what there is now into the table and the sink; resolves with the rows handed on */
  tick(ctx: ViewContext): Promise<number>;
  /** ticks once right before the pacing view's first cycle (after any phase),
   * then once right after it, then on its period (the owners pass: it
   * finds the sockets the first cycle makes flows of, and sizes the table) */
  readonly beforeFirst?: boolean;
  /** the pacing view: wait this long before its first cycle (--poll-phase random) */
  readonly phaseMs?: number;
  /** called before every cycle of the pacing view, and once before the first (namespace refresh) */
  beforeCycle?(): void;
  /** arms a one-shot `wake` for when it has something to read: the loop then
   * ticks it on wake (at most every everyMs) and once a cycle, not every
   * everyMs; false (or absent): it ticks every everyMs */
  watch?(wake: () => void): boolean;
  /** releases kernel objects; idempotent */
  close(): void;
}

/** A view reading one source on a period; closing it closes the source
 * (idempotent there: two views may share one). */
export abstract class SourceView<S extends { close(): void }> implements View {
  abstract readonly name: string;
  constructor(
    protected readonly src: S,
    readonly everyMs: number,
  ) {}
  abstract tick(ctx: ViewContext): Promise<number>;
  close(): void {
    this.src.close();
  }
}

/** What `run` asks of the views: the settings every factory may read. */
export interface ViewsRequest {
  /** the views named by --views */
  wanted: ReadonlySet<string>;
  /** preflight's verdict: a view it found off is not tried again (absent: try every view) */
  report?: PreflightReport;
  netns: NetnsSelector;
  intervalMs: number;
  drainMs: number;
  sampleHz: number;
  ownersMs: number;
  ringBytes: number;
  changesOnly: boolean;
  /** --poll-via: inet_diag (default), the iter/tcp program or the host pass, falling back to inet_diag */
  pollVia?: 'diag' | 'iter' | 'host';
  /** --host-sweep: with --poll-via host, the un-owned sockets' walk every N cycles */
  hostSweep?: number;
  batchRows?: number;
  /** --coverage-target: the poll's interval is chosen by this after every cycle */
  adaptive?: AdaptiveInterval;
  /** --poll-phase: ms to wait before the first poll */
  phaseMs?: number;
  /** --listen-interval: listeners and bound-only sockets polled this often in a
   * dump of their own (the listen view); absent or not above intervalMs: in every poll's dump */
  listenMs?: number;
  /** --filter's state clauses: the poll view's states mask (absent: every state) */
  states?: number;
  /** --filter compiled: the poll view's kernel-side filter */
  bytecode?: Uint8Array;
  /** --snapshot-on: the targeted view's triggers (absent: no targeted view) */
  snapshotOn?: SnapshotTriggers;
  /** --snapshot-rate: targeted snapshots per second at most */
  snapshotRate?: number;
  /** the events view's batches, for the views that act on them (openViews provides one) */
  eventTap?: EventTap;
}

/** What opening one view gave: its views (samples opens two), the stage
 * counters the metrics read, and its eBPF parts as loaded. */
export interface OpenedView {
  views: View[];
  stages?: Partial<PipelineStages>;
  parts?: ViewPart[];
}

export interface ViewFactory {
  /** as named by --views */
  readonly name: string;
  /** opens the view, or null with a warning logged (the host does not allow it) */
  open(req: ViewsRequest, log: Logger): OpenedView | null;
}
