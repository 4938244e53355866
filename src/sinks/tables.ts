// The tables every sink writes, whatever the destination: which table a
// write goes to, its rows' time, and how its columns read (dictionaries,
// constants, the columns of plain-row tables). The ClickHouse encoders
// (clickhouse/encoders.ts) and the ndjson sink (json_rows.ts) both follow
// these, so a row reads the same in either.
import type { FlowRow } from '../correlate/flow_row';
import type { CoverageRow, PollCycleRow, SnapshotContext } from './rows';

/** A view's column batch bound to its table: every column of the batch, after host and ts. */
export interface BatchTable {
  table: string;
  /** dictionary-encoded columns (cong, comm): id k -> names[k-1]; 0 -> '' */
  dicts: Record<string, readonly string[]>;
  /** constant string columns placed after ts (the snapshot's view and trigger) */
  consts: Record<string, string>;
  /** for batches without a ts_ns column (owners): the time of the whole batch */
  tsNs?: bigint;
}

export const snapshotsTable = (ctx: SnapshotContext): BatchTable => ({
  table: 'tcp_snapshots',
  dicts: { cong: ctx.names },
  consts: { view: ctx.view ?? 'poll', trigger: ctx.trigger ?? '' },
});
/** comms: the view's comm dictionary (id k -> comms[k-1]) */
export const eventsTable = (comms: readonly string[]): BatchTable => ({ table: 'tcp_events', dicts: { comm: comms }, consts: {} });
export const samplesTable = (comms: readonly string[]): BatchTable => ({ table: 'task_samples', dicts: { comm: comms }, consts: {} });
export const ownersTable = (comms: readonly string[], tsNs: bigint): BatchTable => ({
  table: 'socket_owners',
  dicts: { comm: comms },
  consts: {},
  tsNs,
});

/** A column of a plain-row table: its ClickHouse type ('lc' = LowCardinality(String) in modern DDL). */
export type RowColumnType = 'UInt8' | 'UInt16' | 'UInt32' | 'UInt64' | 'String' | 'lc';
export type RowSpec<R> = ReadonlyArray<readonly [keyof R & string, RowColumnType]>;

/** Plain rows bound to their table: host, ts (from tsNs(row)), then `spec`'s columns. */
export interface RowTable<R> {
  table: string;
  spec: RowSpec<R>;
  tsNs(r: R): bigint;
}

export const FLOW_SPEC: RowSpec<FlowRow> = [
  ['netns_inode', 'UInt64'],
  ['idiag_cookie', 'UInt64'],
  ['idiag_family', 'UInt8'],
  ['src', 'String'],
  ['sport', 'UInt16'],
  ['dst', 'String'],
  ['dport', 'UInt16'],
  ['views', 'UInt8'],
  ['open_ns', 'UInt64'],
  ['close_ns', 'UInt64'],
  ['first_seen_ns', 'UInt64'],
  ['last_seen_ns', 'UInt64'],
  ['first_poll_ns', 'UInt64'],
  ['last_poll_ns', 'UInt64'],
  ['polls', 'UInt32'],
  ['duration_ns', 'UInt64'],
  ['final_source', 'lc'],
  ['direction', 'UInt8'],
  ['tcpi_bytes_acked', 'UInt64'],
  ['tcpi_bytes_received', 'UInt64'],
  ['tcpi_segs_in', 'UInt32'],
  ['tcpi_segs_out', 'UInt32'],
  ['tcpi_total_retrans', 'UInt32'],
  ['tcpi_rtt', 'UInt32'],
  ['bytes_unpolled', 'UInt64'],
  ['peak_bytes_per_s', 'UInt64'],
  ['peak_retrans', 'UInt32'],
  ['retransmit_events', 'UInt32'],
  ['reset_events', 'UInt32'],
  ['pid', 'UInt32'],
  ['tgid', 'UInt32'],
  ['comm', 'lc'],
  ['cgroup_id', 'UInt64'],
  ['evicted', 'UInt8'],
  // schema/008_flow_forensics.sql
  ['close_reason', 'lc'],
  ['handshake', 'UInt8'],
  ['state_at_close', 'UInt8'],
  ['tcpi_min_rtt', 'UInt32'],
  ['tcpi_busy_time', 'UInt64'],
  ['tcpi_rwnd_limited', 'UInt64'],
  ['tcpi_sndbuf_limited', 'UInt64'],
  ['tcpi_lost', 'UInt32'],
  ['tcpi_reord_seen', 'UInt32'],
  ['tcpi_bytes_sent', 'UInt64'],
  ['tcpi_bytes_retrans', 'UInt64'],
];

/** A flow's time: its close, else when it was last seen. */
export const flowTsNs = (f: FlowRow): bigint => (f.close_ns > 0n ? f.close_ns : f.last_seen_ns);

export const FLOWS: RowTable<FlowRow> = { table: 'tcp_flows', spec: FLOW_SPEC, tsNs: flowTsNs };

export const POLL_CYCLE_SPEC: RowSpec<PollCycleRow> = [
  ['ts_ns', 'UInt64'],
  ['netns_inode', 'UInt64'],
  ['netns_name', 'String'],
  ['duration_us', 'UInt32'],
  ['sockets', 'UInt32'],
  ['batches', 'UInt32'],
  ['bytes', 'UInt64'],
  ['errors', 'UInt32'],
  ['errno', 'UInt32'],
  ['error_code', 'lc'],
  ['mode', 'lc'],
  ['dump_reason', 'lc'],
];

export const POLL_CYCLES: RowTable<PollCycleRow> = { table: 'poll_cycles', spec: POLL_CYCLE_SPEC, tsNs: (r) => r.ts_ns };

export const COVERAGE_SPEC: RowSpec<CoverageRow> = [
  ['run_id', 'String'],
  ['view', 'lc'],
  ['interval_ms', 'UInt32'],
  ['window_ms', 'UInt32'],
  ['flows_seen', 'UInt64'],
  ['flows_missed', 'UInt64'],
  ['flows_late', 'UInt64'],
  ['bytes_seen', 'UInt64'],
  ['bytes_missed', 'UInt64'],
  ['events', 'UInt64'],
  ['dropped', 'UInt64'],
  ['cpu_us', 'UInt64'],
];

export const COVERAGE: RowTable<CoverageRow> = { table: 'coverage', spec: COVERAGE_SPEC, tsNs: (r) => r.ts_ns };
