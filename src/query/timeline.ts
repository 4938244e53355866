// One flow's timeline (schema/queries/flow-timeline.sql) with the counter
// deltas between consecutive rows that carry counters (snapshots, and close
// events with their final counters): what moved between two sightings.
import type { ResultSet } from './run';

const DELTAS = [
  ['bytes_acked', 'd_bytes_acked'],
  ['bytes_received', 'd_bytes_received'],
  ['segs_out', 'd_segs_out'],
  ['retrans', 'd_retrans'],
] as const;

const big = (v: unknown): bigint => {
  try {
    return BigInt(String(v ?? 0));
  } catch {
    return 0n;
  }
};

/** Adds d_* columns: the change since the previous row with counters ('' on rows without, and on the first). */
export function withDeltas(r: ResultSet): ResultSet {
  let prev: Record<string, unknown> | null = null;
  const rows = r.rows.map((row) => {
    const out: Record<string, unknown> = { ...row };
    const has = Number(row['counters']) === 1;
    for (const [col, d] of DELTAS) out[d] = has && prev ? (big(row[col]) - big(prev[col])).toString() : '';
    if (has) prev = row;
    return out;
  });
  const at = r.columns.findIndex((c) => c.name === 'retrans') + 1 || r.columns.length;
  const columns = [...r.columns.slice(0, at), ...DELTAS.map(([, d]) => ({ name: d, type: 'Int64' })), ...r.columns.slice(at)];
  return { columns, rows };
}
