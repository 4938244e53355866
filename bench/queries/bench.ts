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
import { applySchema } from '../../src/sinks/clickhouse/schema';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import { startTestServer } from '../../test/helpers/clickhouse';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { median, numArg, smoke, textArg } from '../lib';

const N = smoke ? 100_000 : numArg('--flows', 10_000_000);
const REPS = smoke ? 1 : numArg('--reps', 5);
const only = textArg('--only');
const ONLY = only === undefined ? undefined : new Set(only.split(','));
const DB = 'tlbench';
const PEERS = 1000;

/** mapped IPv4 10.(k/256).(k%256).1 as a FixedString(16) expression */
const mappedPeer = (k: string): string => `IPv4ToIPv6(toUInt32(167772160 + (${k}) * 256 + 1))`;

async function seed(c: ClickHouseClient, now: number): Promise<void> {
  const span = 3300; // rows spread over the last 55 minutes: the default window (1h) covers them all
  const cmd = (query: string): Promise<unknown> => c.command({ query, clickhouse_settings: { max_execution_time: 3600 } });
  await cmd(`INSERT INTO ${DB}.tcp_flows (host, ts, netns_inode, idiag_cookie, idiag_family, src, sport, dst, dport, views,
      open_ns, close_ns, first_seen_ns, last_seen_ns, duration_ns, final_source, direction, tcpi_bytes_acked, tcpi_bytes_received,
      tcpi_segs_in, tcpi_segs_out, tcpi_total_retrans, tcpi_rtt, bytes_unpolled, retransmit_events, reset_events, pid, tgid, comm,
      cgroup_id, close_reason, handshake, state_at_close, tcpi_min_rtt, tcpi_bytes_sent, tcpi_bytes_retrans)
    SELECT 'bench', toDateTime(${now - span} + number % ${span}), 4026531840 + number % 8, number + 1, 2, '10.9.0.1', 30000 + number % 30000,
      concat('10.', toString(intDiv(number % ${PEERS}, 256)), '.', toString(number % ${PEERS} % 256), '.1'), 443 + number % 4,
      1 + (number % 15), (${now - span} + number % ${span}) * 1000000000 - 5000000 * (number % 400),
      (${now - span} + number % ${span}) * 1000000000, 0, 0, 5000000 * (number % 400), 'events', 1 + number % 2,
      number % 100000, number % 50000, 10 + number % 90, 10 + number % 100, number % 7 = 0 ? number % 5 : 0, 100 + number % 5000,
      number % 1000, number % 3, number % 50 = 0, 1000 + number % 200, 1000 + number % 200, concat('proc', toString(number % 200)),
      number % 100, ['fin', 'reset_received', 'timeout', 'fin'][1 + number % 4], number % 25 != 0, 1, 50 + number % 3000,
      number % 100000, number % 1000
    FROM system.numbers LIMIT ${N}`);
  await cmd(`INSERT INTO ${DB}.tcp_snapshots (host, ts, view, src, dst, ts_ns, idiag_cookie, netns_inode, cgroup_id, tcpi_bytes_acked,
      tcpi_bytes_received, tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited, tcpi_rtt, tcpi_min_rtt, tcpi_snd_wnd, tcpi_len,
      idiag_rqueue, idiag_wqueue, sport, dport, idiag_family, idiag_state)
    SELECT 'bench', toDateTime(${now - span} + number % ${span}), 'poll', ${mappedPeer('1')}, ${mappedPeer(`(intDiv(number, 10) % ${PEERS})`)},
      (${now - span} + number % ${span}) * 1000000000, intDiv(number, 10) + 1, 4026531840 + intDiv(number, 10) % 8, intDiv(number, 10) % 100,
      number % 100000, number % 50000, number % 10000, number % 997, number % 13, 100 + number % 5000, 50 + number % 3000,
      number % 11 = 0 ? 0 : 65535, 232, number % 31, number % 17, 30000 + intDiv(number, 10) % 30000, 443 + intDiv(number, 10) % 4, 2,
      number % 20 = 0 ? 10 : 1
    FROM system.numbers LIMIT ${N}`);
  await cmd(`INSERT INTO ${DB}.tcp_events (host, ts, src, dst, ts_ns, idiag_cookie, netns_inode, pid, tgid, comm, sport, dport, kind,
      idiag_family, oldstate, newstate, flags)
    SELECT 'bench', toDateTime(${now - span} + number % ${span}), ${mappedPeer('1')}, ${mappedPeer(`(number % ${PEERS})`)},
      (${now - span} + number % ${span}) * 1000000000, number + 1, 4026531840 + number % 8, 1000 + number % 200, 1000 + number % 200,
      concat('proc', toString(number % 200)), 30000 + number % 30000, 443 + number % 4, 1 + number % 7, 2, 1 + number % 11, 7, 3
    FROM system.numbers LIMIT ${Math.ceil(N / 10)}`);
  await cmd(`INSERT INTO ${DB}.task_samples (host, ts, src, dst, ts_ns, idiag_cookie, netns_inode, pid, tgid, comm, sport, dport, idiag_family, idiag_state)
    SELECT 'bench', toDateTime(${now - span} + number % ${span}), ${mappedPeer('1')}, ${mappedPeer(`(number % ${PEERS})`)},
      (${now - span} + number % ${span}) * 1000000000, number + 1, 4026531840 + number % 8, 1000 + number % 200, 1000 + number % 200,
      concat('proc', toString(number % 200)), 30000 + number % 30000, 443, 2, 1
    FROM system.numbers LIMIT ${Math.ceil(N / 10)}`);
}

async function timed(c: ClickHouseClient, query: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const rs = await c.query({ query, format: 'JSONEachRow', clickhouse_settings: { max_execution_time: 600 } });
  await rs.json();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main(): Promise<void> {
  const t = await startTestServer();
  // seeding 10M rows takes minutes: past the client's default 30 s request timeout
  const c = createClient({ url: t.url, request_timeout: 3_600_000, log: { level: ClickHouseLogLevel.OFF } });
  try {
    await applySchema(c, { database: DB, ttlDays: 0 });
    const now = Math.floor(Date.now() / 1000);
    const s0 = Date.now();
    await seed(c, now);
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
  } finally {
    await c.close();
    await t.cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
