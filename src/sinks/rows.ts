// The row contracts every sink takes besides the views' column batches:
// what a poll cycle and a compare run report. The ClickHouse encoders map
// them onto their tables; other sinks write them as they are.

/** The context of a tcp_snapshots batch. */
export interface SnapshotContext {
  /** congestion-control names of the batch's namespace: id k -> names[k-1] (PollSource's BatchContext.names) */
  names: readonly string[];
  /** 'poll' (default), 'destroy' or 'targeted': the view the rows came from */
  view?: 'poll' | 'destroy' | 'targeted';
  /** targeted snapshots: the --snapshot-on trigger (open, retransmit, reset); '' otherwise */
  trigger?: string;
}

/** One namespace's share of one poll cycle (from PollSource's CycleResult.namespaces). */
export interface PollCycleRow {
  ts_ns: bigint;
  netns_inode: number | bigint;
  netns_name: string;
  duration_us: number;
  sockets: number;
  batches: number;
  /** netlink bytes read */
  bytes: number | bigint;
  /** 1 when the namespace could not be dumped (fully or partly) */
  errors: number;
  errno: number;
  error_code: string;
  /** how the namespace was read: 'dump' (inet_diag), 'lookup' (exact-match requests), 'iter' (--poll-via iter) */
  mode: 'dump' | 'lookup' | 'iter';
  /** why a namespace the exact poll knows was dumped (src/sources/poll_lookup.ts DumpReason); '' otherwise */
  dump_reason: string;
}

/** One compare run's result for one view and interval. */
export interface CoverageRow {
  ts_ns: bigint;
  run_id: string;
  view: string;
  interval_ms: number;
  window_ms: number;
  flows_seen: number | bigint;
  flows_missed: number | bigint;
  flows_late: number | bigint;
  bytes_seen: number | bigint;
  bytes_missed: number | bigint;
  events: number | bigint;
  dropped: number | bigint;
  cpu_us: number | bigint;
}
