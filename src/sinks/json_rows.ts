// The rows of a write as JSON objects, for the ndjson sink: the same columns,
// names and order as the ClickHouse tables (src/sinks/tables.ts), read from
// the column batches themselves. Values: u64 past 2^53 as a decimal string,
// addresses as text, dictionary ids as their names, ts as an ISO time (to
// the second, as 18.16's DateTime keeps it).
import type { ColumnBatch } from '../layout/batch';
import { formatAddress } from '../format/address';
import type { BatchTable, RowTable } from './tables';

export type JsonRow = Record<string, string | number>;

const u64 = (v: bigint): string | number => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());
const isoSecond = (ns: bigint): string => new Date(Number(ns / 1_000_000_000n) * 1000).toISOString();

/** One object per row of a view's batch: table, host, ts, the constants, then every column. */
export function batchRows(batch: ColumnBatch, t: BatchTable, host: string): JsonRow[] {
  const ts = batch.views['ts_ns'] instanceof BigUint64Array ? batch.u64('ts_ns') : null;
  const family = batch.views['idiag_family'] instanceof Uint8Array ? batch.u8('idiag_family') : null;
  const batchTs = t.tsNs ?? BigInt(Date.now()) * 1_000_000n;
  const out: JsonRow[] = [];
  for (let i = 0; i < batch.rows; i++) {
    const o: JsonRow = { table: t.table, host, ts: isoSecond(ts ? ts[i]! : batchTs), ...t.consts };
    for (const c of batch.columns) {
      const dict = t.dicts[c.name];
      const v = batch.views[c.name]!;
      if (dict) o[c.name] = dict[Number(v[i]!) - 1] ?? '';
      else if (c.type === 'b16') o[c.name] = formatAddress(family?.[i] ?? 0, batch.b16(c.name, i));
      else o[c.name] = typeof v[i] === 'bigint' ? u64(v[i] as bigint) : Number(v[i]);
    }
    out.push(o);
  }
  return out;
}

/** One object per plain row: table, host, ts, then the table's columns. */
export function tableRows<R>(rows: readonly R[], t: RowTable<R>, host: string): JsonRow[] {
  return rows.map((r) => {
    const o: JsonRow = { table: t.table, host, ts: isoSecond(t.tsNs(r)) };
    for (const [name, type] of t.spec) {
      const v = r[name] as unknown;
      if (type === 'String' || type === 'lc') o[name] = String(v ?? '');
      else if (type === 'UInt64') o[name] = u64(BigInt((v as bigint | number | undefined) ?? 0));
      else o[name] = Number(v ?? 0);
    }
    return o;
  });
}
