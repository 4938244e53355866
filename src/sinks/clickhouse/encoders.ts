// Per-table encoders: column batches (poll, events, samples, owners) and the
// few plain-row tables (flows, poll cycles, coverage) into EncodedChunks whose
// column names and types equal the schema/ tables'. The chunks of column
// batches are transient (views of the batch and of scratch space, see
// native_format.ts): the sink copies them before the caller reuses its batch.
import type { ColumnBatch } from '../../layout/batch';
import type { CoverageRow, PollCycleRow, SnapshotContext } from '../rows';
import { COVERAGE, FLOWS, POLL_CYCLES, snapshotsTable, type BatchTable, type RowSpec, type RowTable } from '../tables';
import type { FlowRow } from '../../correlate/flow_row';
import type { Dialect } from './dialect';

/** Dictionary strings (LowCardinality(String) in modern DDL) travel as plain
 * String: LowCardinality has its own Native serialization; the insert setting
 * low_cardinality_allow_in_native_format=0 makes the server convert. */
const LC_WIRE = 'String';
import {
  addressColumn,
  constStringColumn,
  dictStringColumn,
  fixedColumn,
  scratchArray,
  stringColumn,
  tsColumn,
  type EncodedChunk,
  type EncodedColumn,
} from './native_format';

const INT_TYPE = { u8: 'UInt8', u16: 'UInt16', u32: 'UInt32', u64: 'UInt64' } as const;

export interface BatchEncodeOptions extends Partial<BatchTable> {
  host: string;
  dialect: Dialect;
}

/** Any ColumnBatch: host, ts, then every column of the batch in its order.
 * Fixed-width columns are views of the batch itself (transient chunk). */
export function encodeColumnBatch(table: string, batch: ColumnBatch, o: BatchEncodeOptions): EncodedChunk {
  const rows = batch.rows;
  const lc = LC_WIRE;
  const cols: EncodedColumn[] = [constStringColumn('host', lc, o.host, rows)];
  const tsNs =
    batch.views['ts_ns'] instanceof BigUint64Array
      ? batch.u64('ts_ns') // DateTime64 sends these bytes as they are
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

/** A view's batch for its table (src/sinks/tables.ts). */
export const encodeBatch = (batch: ColumnBatch, t: BatchTable, host: string, dialect: Dialect): EncodedChunk =>
  // every property in one order (not a spread of t): one shape of options for
  // every table, so a table first seen in cycle 2 (owners) is no new map that
  // deoptimizes encodeColumnBatch there
  encodeColumnBatch(t.table, batch, { table: t.table, dicts: t.dicts, consts: t.consts, tsNs: t.tsNs, host, dialect });

export const encodeSnapshots = (batch: ColumnBatch, ctx: SnapshotContext, host: string, dialect: Dialect): EncodedChunk =>
  encodeBatch(batch, snapshotsTable(ctx), host, dialect);

// ---- plain rows ----------------------------------------------------------------

const ARRAY_OF = { UInt8: Uint8Array, UInt16: Uint16Array, UInt32: Uint32Array } as const;

/** Plain row objects into a chunk: host, ts (from tsNs(row)), then `spec`
 * columns. Transient (scratch), like the batches' chunks: a burst's flow rows
 * come 1024 at a time, and fresh columns for each chunk were ArrayBuffer
 * garbage that outlived the young generation (bench/burst). */
export function encodeRows<R>(
  table: string,
  rows: readonly R[],
  spec: RowSpec<R>,
  tsNs: (r: R) => bigint,
  host: string,
  dialect: Dialect,
): EncodedChunk {
  const n = rows.length;
  const lc = LC_WIRE;
  const tsArr = scratchArray('rows:ts', BigUint64Array, n);
  for (let i = 0; i < n; i++) tsArr[i] = tsNs(rows[i]!);
  const ts = tsColumn('ts', tsArr, n, dialect.modern);
  const cols: EncodedColumn[] = [constStringColumn('host', lc, host, n), ts.col];
  for (const [name, type] of spec) {
    if (type === 'String' || type === 'lc') {
      cols.push(
        stringColumn(
          name,
          type === 'lc' ? lc : 'String',
          rows.map((r) => String(r[name] ?? '')),
          `rows:${name}`,
        ),
      );
    } else if (type === 'UInt64') {
      const arr = scratchArray(`rows:${name}`, BigUint64Array, n);
      for (let i = 0; i < n; i++) arr[i] = BigInt((rows[i]![name] as bigint | number | undefined) ?? 0);
      cols.push(fixedColumn(name, type, arr, n));
    } else {
      const arr = scratchArray<InstanceType<(typeof ARRAY_OF)[typeof type]>>(`rows:${name}`, ARRAY_OF[type], n);
      for (let i = 0; i < n; i++) arr[i] = Number(rows[i]![name] ?? 0);
      cols.push(fixedColumn(name, type, arr, n));
    }
  }
  return { table, rows: n, columns: cols, minTs: ts.minTs, maxTs: ts.maxTs };
}

/** Plain rows for their table (src/sinks/tables.ts). */
export const encodeRowTable = <R>(rows: readonly R[], t: RowTable<R>, host: string, dialect: Dialect): EncodedChunk =>
  encodeRows(t.table, rows, t.spec, t.tsNs, host, dialect);

export const encodeFlows = (rows: readonly FlowRow[], host: string, dialect: Dialect): EncodedChunk =>
  encodeRowTable(rows, FLOWS, host, dialect);
export const encodePollCycles = (rows: readonly PollCycleRow[], host: string, dialect: Dialect): EncodedChunk =>
  encodeRowTable(rows, POLL_CYCLES, host, dialect);
export const encodeCoverage = (rows: readonly CoverageRow[], host: string, dialect: Dialect): EncodedChunk =>
  encodeRowTable(rows, COVERAGE, host, dialect);
