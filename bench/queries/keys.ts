// bench/queries/keys.ts: do the tables' sort keys (ORDER BY (host, ts, ...))
// and day partitions serve the saved questions at fleet size? Seeds many
// hosts over several days (seed.ts; every host over the whole span), asks
// each question over the last hour, fleet-wide and for one host (--host), as
// `tcplens query` renders it, and reads from system.query_log the rows each
// read, beside its anchors: the rows of its table inside the window (what a
// perfect index reads) and in the whole table (a full scan).
// Usage: node dist/bench/queries/keys.js [--flows 4000000] [--hosts 100] [--days 2] [--smoke]
import { randomUUID } from 'crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { loadLibrary } from '../../src/query/library';
import { renderQuestion, type Filters } from '../../src/query/render';
import { parsePeer } from '../../src/query/params';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import { onPrivateServer, seed } from './seed';
import { numArg as arg, smoke } from '../lib';

const N = smoke ? 200_000 : arg('--flows', 4_000_000);
const HOSTS = smoke ? 10 : arg('--hosts', 100);
const DAYS = smoke ? 1 : arg('--days', 2);
const DB = 'tlkeys';

async function one<T>(c: ClickHouseClient, query: string): Promise<T> {
  return (await (await c.query({ query, format: 'JSONEachRow' })).json<T>())[0]!;
}

/** runs the query, logged under a fresh id; returns the id */
async function logged(c: ClickHouseClient, query: string): Promise<string> {
  const id = randomUUID();
  const rs = await c.query({
    query,
    format: 'JSONEachRow',
    query_id: id,
    clickhouse_settings: { log_queries: 1, max_execution_time: 600 },
  });
  await rs.json();
  return id;
}

async function main(c: ClickHouseClient): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  await seed(c, DB, now, { rows: N, hosts: HOSTS, spanS: DAYS * 86_400 });
  for (const tb of ['tcp_flows', 'tcp_snapshots', 'tcp_events', 'task_samples'])
    await c
      .command({ query: `OPTIMIZE TABLE ${DB}.${tb} FINAL`, clickhouse_settings: { max_execution_time: 3600 } })
      .catch(() => undefined);
  const v = (await one<{ v: string }>(c, 'SELECT version() AS v')).v;
  const since = now - 3600;
  const host = 'h1';
  console.log(
    `bench/queries keys: ClickHouse ${v}, ${N} flows and snapshots, ${N / 10} events and samples, ${HOSTS} hosts over ${DAYS} days (day partitions, ORDER BY (host, ts, ...), 8192 rows a granule); each question over the last hour, fleet-wide and --host ${host}`,
  );
  const jobs: Array<{ name: string; table: string; fleet: string; oneHost: string }> = [];
  for (const q of loadLibrary().values()) {
    const base: Filters = {
      since: BigInt(since),
      until: BigInt(now + 1),
      ...(q.requires.some((r) => r.split('|').includes('peer')) ? { peer: parsePeer('10.1.0.0/24') } : {}),
      ...(q.requires.some((r) => r.split('|').includes('port')) ? { port: 443n } : {}),
    };
    const render = (f: Filters): string =>
      renderQuestion(q, { database: DB, dialect: LEGACY, filters: f, params: { cookie: String(N / 2) }, rollups: { coveredFrom: 0n } }).sql;
    jobs.push({
      name: q.name,
      table: q.whereTables[0]!,
      fleet: await logged(c, render(base)),
      oneHost: await logged(c, render({ ...base, host })),
    });
  }
  await c.command({ query: 'SYSTEM FLUSH LOGS' });
  const readRows = async (id: string): Promise<number> =>
    Number((await one<{ n: string }>(c, `SELECT read_rows AS n FROM system.query_log WHERE query_id = '${id}' AND type = 2`)).n);
  const counts = new Map<string, { all: number; window: number; host: number }>();
  const win = `ts >= toDateTime(${since}) AND ts < toDateTime(${now + 1})`;
  console.log(
    `${'question'.padEnd(19)} ${'table'.padEnd(14)} ${'rows'.padStart(9)} ${'in window'.padStart(10)} ${'read'.padStart(9)} ${'read/window'.padStart(11)} ${'read/all'.padStart(8)} | ${'host window'.padStart(11)} ${'read'.padStart(9)} ${'read/window'.padStart(11)}`,
  );
  for (const j of jobs) {
    if (!counts.has(j.table)) {
      const r = await one<{ a: string; w: string; h: string }>(
        c,
        `SELECT count() AS a, countIf(${win}) AS w, countIf(${win} AND host = '${host}') AS h FROM ${DB}.${j.table}`,
      );
      counts.set(j.table, { all: Number(r.a), window: Number(r.w), host: Number(r.h) });
    }
    const k = counts.get(j.table)!;
    const rf = await readRows(j.fleet);
    const rh = await readRows(j.oneHost);
    const x = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');
    console.log(
      `${j.name.padEnd(19)} ${j.table.padEnd(14)} ${String(k.all).padStart(9)} ${String(k.window).padStart(10)} ${String(rf).padStart(9)} ${x(rf, k.window).padStart(11)} ${x(rf, k.all).padStart(8)} | ${String(k.host).padStart(11)} ${String(rh).padStart(9)} ${x(rh, k.host).padStart(11)}`,
    );
  }
  console.log(
    "(read: rows the question read, all its tables, from system.query_log; anchors: its first table's rows inside the window, and in all)",
  );
}

onPrivateServer(DB, main);
