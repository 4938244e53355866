// What bench/fleet reads from the cluster's servers while hosts write: CPU
// and memory of each process (from /proc), the servers' insert and merge
// counters (system.events), parts per partition of the local tables
// (system.parts) and running merges (system.merges).
import * as fs from 'fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { rows as rowsOnce } from '../../test/helpers/clickhouse';

/** fn, tried up to 5 times while `again` says so: an overloaded server may drop a request (socket hang up) */
export async function retried<T>(fn: () => Promise<T>, again: (e: unknown) => boolean = () => true): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= 5 || !again(e)) throw e;
      await new Promise((r) => setTimeout(r, 500 * i));
    }
  }
}

/** a probe query, tried up to 5 times */
export const rows = <T>(client: ClickHouseClient, query: string): Promise<T[]> => retried(() => rowsOnce<T>(client, query));

const TICK = 100; // USER_HZ

/** CPU seconds (user + system) and RSS of a process; zeros when it is gone */
export function procUsage(pid: number | null | undefined): { cpuS: number; rssMb: number } {
  if (!pid) return { cpuS: 0, rssMb: 0 };
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(f[11]) + Number(f[12])) / TICK;
    const rss = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuS, rssMb: Number(rss?.[1] ?? 0) / 1024 };
  } catch {
    return { cpuS: 0, rssMb: 0 };
  }
}

/** the system.events bench/fleet reports (absent ones read 0 on this version) */
export const EVENTS = ['InsertQuery', 'InsertedRows', 'RejectedInserts', 'DelayedInserts', 'Merge', 'MergedRows'] as const;
export type Events = Record<(typeof EVENTS)[number], number>;

export async function events(client: ClickHouseClient): Promise<Events> {
  const got = await rows<{ event: string; value: string }>(
    client,
    `SELECT event, value FROM system.events WHERE event IN (${EVENTS.map((e) => `'${e}'`).join(',')})`,
  );
  const out = Object.fromEntries(EVENTS.map((e) => [e, 0])) as Events;
  for (const r of got) out[r.event as keyof Events] = Number(r.value);
  return out;
}

export const sumEvents = (a: Events[]): Events => {
  const out = Object.fromEntries(EVENTS.map((e) => [e, 0])) as Events;
  for (const x of a) for (const e of EVENTS) out[e] += x[e];
  return out;
};
export const diffEvents = (b: Events, a: Events): Events => Object.fromEntries(EVENTS.map((e) => [e, b[e] - a[e]])) as Events;

/** the most active parts any one partition of db's tables holds on this server, and merges running */
export async function partsNow(client: ClickHouseClient, db: string): Promise<{ maxParts: number; merges: number }> {
  const [p] = await rows<{ m: string }>(
    client,
    `SELECT max(n) AS m FROM (SELECT count() AS n FROM system.parts WHERE database = '${db}' AND active GROUP BY table, partition)`,
  );
  const [m] = await rows<{ n: string }>(client, `SELECT count() AS n FROM system.merges WHERE database = '${db}'`);
  return { maxParts: Number(p?.m ?? 0), merges: Number(m?.n ?? 0) };
}

/** rows of each <table>_local on this server */
export async function localCounts(client: ClickHouseClient, db: string, tables: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = Number((await rows<{ n: string }>(client, `SELECT count() AS n FROM ${db}.${t}_local`))[0]!.n);
  return out;
}

/** p-quantile of a list (nearest rank); 0 for none */
export function quantile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

/** parts of db made by a merge (level > 0), active or not yet removed */
export async function merged(client: ClickHouseClient, db: string): Promise<number> {
  const [r] = await rows<{ n: string }>(client, `SELECT count() AS n FROM system.parts WHERE database = '${db}' AND level > 0`);
  return Number(r?.n ?? 0);
}
