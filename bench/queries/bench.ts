// bench/queries: each saved question over N stored flows (and N snapshots:
// 10 polls of each of N/10 sockets; N/10 events and N/10 samples) on a private ClickHouse 18.16, beside a plain
// full scan of the same table (every column read) as its anchor, measured in
// the same run: wall time from sending the query to the last row read,
// median of R runs, interleaved question / anchor (and the question's raw variant). A question that reads a
// rollup (011) is timed as tcplens asks it (rollup for the whole minutes, raw
// rows for the rest: the views existed before every seeded row) and again on
// the raw rows alone (NAME/raw).
// Usage: node dist/bench/queries/bench.js [--flows 10000000] [--reps 5] [--only NAME,NAME] [--smoke]
import * as os from 'os';
import { loadLibrary } from '../../src/query/library';
import { renderQuestion, type RollupUse } from '../../src/query/render';
import { parsePeer } from '../../src/query/params';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import type { ClickHouseClient } from '@clickhouse/client';
import { onPrivateServer, seed } from './seed';
import { median, numArg, smoke, textArg } from '../lib';

const N = smoke ? 100_000 : numArg('--flows', 10_000_000);
const REPS = smoke ? 1 : numArg('--reps', 5);
const only = textArg('--only');
const ONLY = only === undefined ? undefined : new Set(only.split(','));
const DB = 'tlbench';

async function timed(c: ClickHouseClient, query: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const rs = await c.query({ query, format: 'JSONEachRow', clickhouse_settings: { max_execution_time: 600 } });
  await rs.json();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main(c: ClickHouseClient): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const s0 = Date.now();
  await seed(c, DB, now, { rows: N });
  await c.command({ query: `OPTIMIZE TABLE ${DB}.tcp_flows FINAL` }).catch(() => undefined);
  const v = (await (await c.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>())[0]!.v;
  console.log(
    `bench/queries: ClickHouse ${v}, ${N} flows, ${N} snapshots, ${Math.ceil(N / 10)} events and samples, seeded in ${((Date.now() - s0) / 1000).toFixed(1)} s; median of ${REPS}`,
  );
  const sizes = await c.query({
    query: `SELECT table, sum(rows) AS n FROM system.parts WHERE database = '${DB}' AND active AND table IN ('tcp_snapshots', 'tcp_rtt_1m', 'tcp_sock_1m') GROUP BY table ORDER BY table`,
    format: 'JSONEachRow',
  });
  console.log(`rows: ${(await sizes.json<{ table: string; n: string }>()).map((r) => `${r.table} ${r.n}`).join(', ')}`);
  console.log(
    `${'question'.padEnd(20)} ${'table'.padEnd(14)} ${'question s'.padStart(10)} ${'full scan s'.padStart(11)}  ratio                  load`,
  );
  console.log('(load: the 1-minute load average as the question finished; the machine may be shared, read the ratios)');
  const filters = { since: BigInt(now - 3600), until: BigInt(now + 1) };
  for (const q of loadLibrary().values()) {
    if (ONLY && !ONLY.has(q.name)) continue;
    // required filters as a user would give them: a /24 of the 1000 peers, one of the 4 ports
    const f = {
      ...filters,
      ...(q.requires.some((r) => r.split('|').includes('peer')) ? { peer: parsePeer('10.1.0.0/24') } : {}),
      ...(q.requires.some((r) => r.split('|').includes('port')) ? { port: 443n } : {}),
    };
    const render = (rollups: RollupUse): string =>
      renderQuestion(q, { database: DB, dialect: LEGACY, filters: f, params: { cookie: String(N / 2) }, rollups }).sql;
    const table = q.whereTables[0]!;
    const scan = `SELECT count() FROM ${DB}.${table} WHERE NOT ignore(*)`;
    // the seeded rows all went through the views: the rollups cover the window
    const variants: Array<[string, string]> = [[q.name, render({ coveredFrom: 0n })]];
    if (q.body.includes('{{rollup:')) variants.push([`${q.name}/raw`, render('off')]);
    // interleaved per rep (each variant, then the scan): all see the same load
    const times = variants.map(() => [] as number[]);
    const as: number[] = [];
    for (let i = 0; i < REPS; i++) {
      for (const [k, [, sql]] of variants.entries()) times[k]!.push(await timed(c, sql));
      as.push(await timed(c, scan));
    }
    const ma = median(as);
    for (const [k, [label]] of variants.entries()) {
      const mq = median(times[k]!);
      console.log(
        `${label.padEnd(20)} ${table.padEnd(14)} ${mq.toFixed(3).padStart(10)} ${ma.toFixed(3).padStart(11)}  question/scan = ${(mq / ma).toFixed(2)}  load ${os.loadavg()[0]!.toFixed(1)}`,
      );
    }
  }
}

onPrivateServer(DB, main);
