// What `tcplens run` hands its sink: every view's batches as they come, the
// finished flows, and one row per namespace per poll cycle. Batches are
// reused by the views, so a sink copies (encodes) what it keeps before the
// call returns. Implementations: src/sinks/.
import type { ColumnBatch, PollBatch } from '../layout/batch';
import type { FlowRow } from '../correlate/flow_row';

export interface PollCycleRow {
  ts_ns: bigint;
  netns_inode: bigint;
  netns_name: string;
  duration_us: number;
  sockets: number;
  batches: number;
  /** rows written for this namespace (fewer than sockets with --changes-only) */
  rows: number;
  errno: number;
  error: string;
}

/** Context of a poll-layout batch (poll or destroy view). */
export interface SnapshotContext {
  netns_inode: bigint;
  /** congestion-control names; id = index + 1 */
  cong: readonly string[];
  /** 'poll' or 'destroy' */
  view: 'poll' | 'destroy';
}

export interface RunSink {
  snapshots(b: PollBatch, ctx: SnapshotContext): void;
  events(b: ColumnBatch, comm: readonly string[]): void;
  samples(b: ColumnBatch, comm: readonly string[]): void;
  owners(b: ColumnBatch, comm: readonly string[]): void;
  flows(rows: readonly FlowRow[]): void;
  pollCycles(rows: readonly PollCycleRow[]): void;
  /** writes what is queued (or spools it); resolves when done */
  flush(): Promise<void>;
  close(): Promise<void>;
}
