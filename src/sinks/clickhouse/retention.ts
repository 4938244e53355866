// Retention per table: `--ttl-days` (30) for every raw table, and `--ttl
// TABLE=DAYS,...` over it for the tables it names, by name (tcp_snapshots) or
// short name (snapshots: the part after the first '_'), plus `rollups=DAYS`
// for the tables the materialized views write (400 by default). The default
// keeps the poll snapshots, ~90% of a 100k-socket host's bytes, a week, and
// the flows, 5% of them, a quarter (docs/sizing.md, "Retention per table").
// Enforced by schema.ts: a TTL clause on 20.3+, dropped day partitions on 18.16.
import { listItems } from '../../util/list';
import { clip } from '../../config/env';
import { usage } from '../../util/errors';
import { tableNames } from './schema';

/** `--ttl`'s default: snapshots and socket owners a week, flows 90 days, the rest --ttl-days */
export const TTL_DEFAULT = 'snapshots=7,owners=7,flows=90';

/** The per-table part of the retention, as schema.ts's RenderOptions take it. */
export interface TableTtl {
  /** days per raw table (full names), over ttlDays */
  ttl: Record<string, number>;
  /** days of every rollup, when `rollups=` was given */
  rollupTtlDays?: number;
}

/** tcp_snapshots -> snapshots, socket_owners -> owners, coverage -> coverage */
export const shortTableName = (t: string): string => (t.includes('_') ? t.slice(t.indexOf('_') + 1) : t);

/** Longest retention a flag takes: 100 years (a TTL of more is a typo, not a policy). */
const MAX_DAYS = 36_500;

/** `--ttl` (or a --config / TCPLENS_TTL value) checked: TABLE=DAYS items, comma-separated; '' or 'none' names no table. */
export function parseTableTtl(text: string, flag = '--ttl', tables: readonly string[] = tableNames()): TableTtl {
  const out: TableTtl = { ttl: {} };
  const raw = String(text);
  if (/^\s*(none)?\s*$/i.test(raw)) return out;
  const byName = new Map<string, string>();
  for (const t of tables) byName.set(t, t).set(shortTableName(t), t);
  const seen = new Set<string>();
  for (const item of listItems(raw)) {
    const m = /^([a-z0-9_]+)\s*=\s*(\d+)$/i.exec(item);
    if (!m) throw usage(`${flag}: TABLE=DAYS items expected (e.g. ${TTL_DEFAULT}), got '${clip(item)}'`);
    const key = m[1]!.toLowerCase();
    const days = Number(m[2]);
    if (days > MAX_DAYS) throw usage(`${flag}: ${key}: at most ${MAX_DAYS} days (0 = forever), got ${clip(m[2]!)}`);
    const table = key === 'rollups' ? key : byName.get(key);
    if (table === undefined)
      throw usage(
        `${flag}: unknown table '${clip(key)}' (${[...tables.map(shortTableName), 'rollups'].join(', ')}; or the full table name)`,
      );
    if (seen.has(table)) throw usage(`${flag}: ${table} named twice`);
    seen.add(table);
    if (table === 'rollups') out.rollupTtlDays = days;
    else out.ttl[table] = days;
  }
  return out;
}

/** `--ttl-days` checked (a whole number of days, 0 = forever). */
export function checkTtlDays(days: number): number {
  if (!Number.isInteger(days) || days < 0 || days > MAX_DAYS)
    throw usage(`--ttl-days: a whole number of days from 0 to ${MAX_DAYS} expected, got ${clip(String(days))}`);
  return days;
}
