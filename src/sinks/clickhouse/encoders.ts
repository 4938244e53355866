// Per-table encoders: column batches (poll, events, samples, owners) and the
// few plain-row tables (flows, poll cycles, coverage) into EncodedChunks whose
// column names and types equal the schema/ tables'. The chunks of column
// batches are transient (views of the batch and of scratch space, see
// native_format.ts): the sink copies them before the caller reuses its batch.
import type { ColumnBatch } from '../../layout/batch';
import type { CoverageRow, PollCycleRow, SnapshotContext } from '../rows';
import type { FlowRow } from '../../correlate/flow_row';
import type { Dialect } from './dialect';

/** Dictionary strings (LowCardinality(String) in modern DDL) travel as plain
 * String: LowCardinality has its own Native serialization; the insert setting
 * low_cardinality_allow_in_native_format=0 makes the server convert. */
const LC_WIRE = 'String';
import {
  addressColumn, constStringColumn, dictStringColumn, fixedColumn, stringColumn, tsColumn,
  type EncodedChunk, type EncodedColumn,
} from './native_format';

const INT_TYPE = { u8: 'UInt8', u16: 'UInt16', u32: 'UInt32', u64: 'UInt64' } as const;

export interface BatchEncodeOptions {
  host: string;
  dialect: Dialect;
  /** dictionary-encoded columns (cong, comm): id k -> names[k-1] */
  dicts?: Record<string, readonly string[]>;
  /** for batches without a ts_ns column (owners): the time of the whole batch */
  tsNs?: bigint;
  /** constant string columns placed after ts (e.g. the snapshot's view) */
  consts?: Record<string, string>;
}

/** Any ColumnBatch: host, ts, then every column of the batch in its order.
 * Fixed-width columns are views of the batch itself (transient chunk). */
export function encodeColumnBatch(table: string, batch: ColumnBatch, o: BatchEncodeOptions): EncodedChunk {
  const rows = batch.rows;
  const lc = LC_WIRE;
  const cols: EncodedColumn[] = [constStringColumn('host', lc, o.host, rows)];
  const tsNs = batch.views['ts_ns'] instanceof BigUint64Array
    ? batch.u64('ts_ns')  // DateTime64 sends these bytes as they are
    : new BigUint64Array(rows).fill(o.tsNs ?? BigInt(Date.now()) * 1_000_000n);
  const ts = tsColumn('ts', tsNs, rows, o.dialect.modern);
  cols.push(ts.col);
  for (const [name, value] of Object.entries(o.consts ?? {})) cols.push(constStringColumn(name, lc, value, rows));
  const families = batch.views['idiag_family'] instanceof Uint8Array ? batch.u8('idiag_family') : undefined;
  for (const c of batch.columns) {
    const dict = o.dicts?.[c.name];
    if (dict) {
      cols.push(dictStringColumn(c.name, lc, batch.views[c.name] as Uint16Array | Uint32Array, rows, dict));
    } else if (c.type === 'b16') {
      if (!families) throw new Error(`${table}: address column ${c.name} without idiag_family`);
      cols.push(addressColumn(c.name, batch.views[c.name] as Uint8Array, families, rows));
    } else {
      cols.push(fixedColumn(c.name, INT_TYPE[c.type], batch.views[c.name]!, rows));
    }
  }
  return { table, rows, columns: cols, minTs: ts.minTs, maxTs: ts.maxTs };
}

export const encodeSnapshots = (batch: ColumnBatch, ctx: SnapshotContext, host: string, dialect: Dialect): EncodedChunk =>
  encodeColumnBatch('tcp_snapshots', batch, { host, dialect, dicts: { cong: ctx.names }, consts: { view: ctx.view ?? 'poll' } });

/** comms: the events view's comm dictionary (id k -> comms[k-1]) */
export const encodeEvents = (batch: ColumnBatch, comms: readonly string[], host: string, dialect: Dialect): EncodedChunk =>
  encodeColumnBatch('tcp_events', batch, { host, dialect, dicts: { comm: comms } });

export const encodeSamples = (batch: ColumnBatch, comms: readonly string[], host: string, dialect: Dialect): EncodedChunk =>
  encodeColumnBatch('task_samples', batch, { host, dialect, dicts: { comm: comms } });

export const encodeOwners = (batch: ColumnBatch, comms: readonly string[], tsNs: bigint, host: string, dialect: Dialect): EncodedChunk =>
  encodeColumnBatch('socket_owners', batch, { host, dialect, dicts: { comm: comms }, tsNs });

// ---- plain rows ----------------------------------------------------------------

/** A column of a plain-row table: its ClickHouse type ('lc' = LowCardinality(String) in modern DDL). */
export type RowColumnType = 'UInt8' | 'UInt16' | 'UInt32' | 'UInt64' | 'String' | 'lc';
export type RowSpec<R> = ReadonlyArray<readonly [keyof R & string, RowColumnType]>;

const ARRAY_OF = { UInt8: Uint8Array, UInt16: Uint16Array, UInt32: Uint32Array } as const;

/** Plain row objects into a chunk: host, ts (from tsNs(row)), then `spec` columns. */
export function encodeRows<R>(table: string, rows: readonly R[], spec: RowSpec<R>, tsNs: (r: R) => bigint, host: string, dialect: Dialect): EncodedChunk {
  const n = rows.length;
  const lc = LC_WIRE;
  const tsArr = BigUint64Array.from(rows, tsNs);
  const ts = tsColumn('ts', tsArr, n, dialect.modern);
  const cols: EncodedColumn[] = [constStringColumn('host', lc, host, n), ts.col];
  for (const [name, type] of spec) {
    if (type === 'String' || type === 'lc') {
      cols.push(stringColumn(name, type === 'lc' ? lc : 'String', rows.map((r) => String(r[name] ?? ''))));
    } else if (type === 'UInt64') {
      cols.push(fixedColumn(name, type, BigUint64Array.from(rows, (r) => BigInt((r[name] as bigint | number | undefined) ?? 0)), n));
    } else {
      const arr = new ARRAY_OF[type](n);
      for (let i = 0; i < n; i++) arr[i] = Number(rows[i]![name] ?? 0);
      cols.push(fixedColumn(name, type, arr, n));
    }
  }
  return { table, rows: n, columns: cols, minTs: ts.minTs, maxTs: ts.maxTs };
}

export const FLOW_SPEC: RowSpec<FlowRow> = [
  ['netns_inode', 'UInt64'], ['idiag_cookie', 'UInt64'], ['idiag_family', 'UInt8'],
  ['src', 'String'], ['sport', 'UInt16'], ['dst', 'String'], ['dport', 'UInt16'], ['views', 'UInt8'],
  ['open_ns', 'UInt64'], ['close_ns', 'UInt64'], ['first_seen_ns', 'UInt64'], ['last_seen_ns', 'UInt64'],
  ['first_poll_ns', 'UInt64'], ['last_poll_ns', 'UInt64'], ['polls', 'UInt32'], ['duration_ns', 'UInt64'],
  ['final_source', 'lc'], ['direction', 'UInt8'], ['tcpi_bytes_acked', 'UInt64'], ['tcpi_bytes_received', 'UInt64'],
  ['tcpi_segs_in', 'UInt32'], ['tcpi_segs_out', 'UInt32'], ['tcpi_total_retrans', 'UInt32'], ['tcpi_rtt', 'UInt32'],
  ['bytes_unpolled', 'UInt64'], ['peak_bytes_per_s', 'UInt64'], ['peak_retrans', 'UInt32'], ['retransmit_events', 'UInt32'], ['reset_events', 'UInt32'],
  ['pid', 'UInt32'], ['tgid', 'UInt32'], ['comm', 'lc'], ['cgroup_id', 'UInt64'], ['evicted', 'UInt8'],
];

/** A flow's time: its close, else when it was last seen. */
export const flowTsNs = (f: FlowRow): bigint => (f.close_ns > 0n ? f.close_ns : f.last_seen_ns);

export const encodeFlows = (rows: readonly FlowRow[], host: string, dialect: Dialect): EncodedChunk =>
  encodeRows('tcp_flows', rows, FLOW_SPEC, flowTsNs, host, dialect);

export const POLL_CYCLE_SPEC: RowSpec<PollCycleRow> = [
  ['ts_ns', 'UInt64'], ['netns_inode', 'UInt64'], ['netns_name', 'String'], ['duration_us', 'UInt32'],
  ['sockets', 'UInt32'], ['batches', 'UInt32'], ['bytes', 'UInt64'], ['errors', 'UInt32'], ['errno', 'UInt32'], ['error_code', 'lc'],
];

export const encodePollCycles = (rows: readonly PollCycleRow[], host: string, dialect: Dialect): EncodedChunk =>
  encodeRows('poll_cycles', rows, POLL_CYCLE_SPEC, (r) => r.ts_ns, host, dialect);

export const COVERAGE_SPEC: RowSpec<CoverageRow> = [
  ['run_id', 'String'], ['view', 'lc'], ['interval_ms', 'UInt32'], ['window_ms', 'UInt32'],
  ['flows_seen', 'UInt64'], ['flows_missed', 'UInt64'], ['flows_late', 'UInt64'], ['bytes_seen', 'UInt64'],
  ['bytes_missed', 'UInt64'], ['events', 'UInt64'], ['dropped', 'UInt64'], ['cpu_us', 'UInt64'],
];

export const encodeCoverage = (rows: readonly CoverageRow[], host: string, dialect: Dialect): EncodedChunk =>
  encodeRows('coverage', rows, COVERAGE_SPEC, (r) => r.ts_ns, host, dialect);
