// bench/fleet: N simulated hosts into a 2-shard, 2-replica ClickHouse cluster
// on this machine (Debian's 18.16 and ZooKeeper, private ports), through the
// sidecar's own sink and the Distributed tables. Each host replays a recorded
// `tcplens run` (bench/sizing --record; run.sh makes the recordings once) with
// its own host name and phase. Per N and insert strategy it prints inserts/s,
// rows/s, parts per partition over time, merges, rejected and delayed
// inserts, insert latency, spool growth, server CPU and memory, each beside
// the anchor measured in the same run: the same rows as one bulk INSERT per
// table from a single client. Then it checks that every row is stored once.
// Usage: node dist/bench/fleet/fleet.js --cache DIR [--hosts 10,100] [--sockets 1000,10000]
//        [--duration S] [--strategies naive,tuned,buffer] [--flush-interval S] [--smoke]
// Strategies: naive (the sink's 1 s flush), tuned (--flush-interval, half of it
// as jitter), buffer (= tuned+buffer: tuned hosts inserting into the Buffer
// tables of --insert-buffer); any of them +buffer.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import { tableNames } from '../../src/sinks/clickhouse/schema';
import { BUFFER } from '../../src/sinks/clickhouse/buffer_tables';
import { startCluster, type TestCluster } from '../../test/helpers/cluster';
import { applyClusterSchema } from './cluster_schema';
import { HostClock, loadRecording, ReplaySink, type RecordedChunk, type Recording } from './replay';
import { diffEvents, events, localCounts, merged, partsNow, procUsage, quantile, sumEvents, type Events } from './probe';

interface Strategy {
  name: string;
  flushMs: number;
  jitterMs: number;
  /** hosts insert into the Buffer tables (--insert-buffer) */
  buffer: boolean;
}

/** what a strategy is, for the report */
const describeStrategy = (st: Strategy): string =>
  `flush ${st.flushMs / 1000}s, jitter ${st.jitterMs / 1000}s, ${
    st.buffer
      ? `into Buffer tables (${BUFFER.layers} layers, flushed after ${BUFFER.minTimeS}-${BUFFER.maxTimeS} s, ${BUFFER.minRows}-${BUFFER.maxRows} rows)`
      : 'into the Distributed tables'
  }`;
interface Args {
  cache: string;
  hosts: number[];
  sockets: number[];
  durationS: number;
  strategies: Strategy[];
}

function fail(msg: string): never {
  process.stderr.write(`fleet: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Record<string, string> = {};
  let smoke = false;
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    if (k === '--smoke') smoke = true;
    else if (/^--(cache|hosts|sockets|duration|strategies|flush-interval)$/.test(k)) {
      if (argv[i + 1] === undefined) fail(`${k} needs a value`);
      a[k.slice(2)] = argv[++i]!;
    } else fail(`unknown option ${k} (see bench/fleet/run.sh --help)`);
  }
  const list = (k: string, d: string): number[] =>
    (a[k] ?? d).split(',').map((x) => {
      if (!/^[1-9]\d*$/.test(x)) fail(`--${k}: comma-separated whole numbers > 0, got '${a[k]}'`);
      return Number(x);
    });
  const one = (k: string, d: string): number => list(k, d)[0]!;
  if (!a['cache']) fail('--cache DIR (the recordings) is required');
  const flushMs = one('flush-interval', smoke ? '2' : '10') * 1000;
  const known: Record<string, Omit<Strategy, 'name'>> = {
    naive: { flushMs: 1000, jitterMs: 0, buffer: false },
    tuned: { flushMs, jitterMs: flushMs / 2, buffer: false },
    buffer: { flushMs, jitterMs: flushMs / 2, buffer: true },
  };
  const strategy = (s: string): Strategy => {
    const m = /^(naive|tuned|buffer)(\+buffer)?$/.exec(s) ?? fail(`--strategies: naive, tuned, buffer or naive+buffer, got '${s}'`);
    const base = known[m[1]!]!;
    return { name: s.replace('+', '_'), ...base, buffer: base.buffer || m[2] !== undefined };
  };
  const strategies = (a['strategies'] ?? 'naive,tuned').split(',').map(strategy);
  return {
    cache: a['cache']!,
    hosts: list('hosts', smoke ? '20' : '10,100'),
    sockets: list('sockets', smoke ? '1000' : '1000,10000'),
    durationS: one('duration', smoke ? '8' : '60'),
    strategies,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TABLES = tableNames();

interface Totals {
  rows: number;
  batches: number;
  rowsByTable: Record<string, number>;
  latencies: number[];
  retried: number;
  /** batches acknowledged because a count found them landed after an unanswered attempt */
  deduplicated: number;
  dropped: number;
  spoolBytes: number;
  /** the hosts' last insert errors, distinct */
  errors: Set<string>;
}

function totals(sinks: ReplaySink[]): Totals {
  const t: Totals = {
    rows: 0,
    batches: 0,
    rowsByTable: {},
    latencies: [],
    retried: 0,
    deduplicated: 0,
    dropped: 0,
    spoolBytes: 0,
    errors: new Set(),
  };
  for (const s of sinks) {
    const st = s.stats();
    t.spoolBytes += st.spool_bytes;
    if (st.last_error) t.errors.add(st.last_error);
    t.latencies.push(...st.insert_latency.recent);
    for (const [name, c] of Object.entries(st.tables)) {
      t.rows += c.rows_written;
      t.batches += c.batches_written;
      t.retried += c.batches_retried;
      t.deduplicated += c.batches_deduplicated;
      t.dropped += c.rows_dropped;
      t.rowsByTable[name] = (t.rowsByTable[name] ?? 0) + c.rows_written;
    }
  }
  return t;
}

interface Usage {
  cpuS: number;
  rssMb: number;
}
const clusterUsage = (c: TestCluster): Usage => {
  const u = [...c.servers.map((s) => s.server.runningPid()), c.zk?.pid].map(procUsage);
  return { cpuS: u.reduce((n, x) => n + x.cpuS, 0), rssMb: u.reduce((n, x) => n + x.rssMb, 0) };
};
/** parts made by merges (level > 0) on every server, replicas' fetched copies included */
const mergedParts = async (c: TestCluster, db: string): Promise<number> =>
  (await Promise.all(c.servers.map((s) => merged(s.client, db)))).reduce((a, b) => a + b, 0);
const clusterEvents = async (c: TestCluster): Promise<Events> => sumEvents(await Promise.all(c.servers.map((s) => events(s.client))));

interface Measured {
  wallS: number;
  rows: number;
  inserts: number;
  p50: number;
  p99: number;
  ev: Events;
  cpuS: number;
  /** the servers' CPU seconds at the start of the phase (cpuStoredS from it) */
  cpu0: number;
  /** ... from the start until the shards held every row (forwarding and Buffer flushes included) */
  cpuStoredS: number;
  rssMaxMb: number;
  maxParts: number;
  merged: number;
  spoolBytes: number;
  retried: number;
  deduplicated: number;
  errors: Set<string>;
  dropped: number;
}

/** The fleet: N hosts for durationS, sampled every 2 s; then closed (flushed). */
async function fleet(c: TestCluster, rec: Recording, db: string, n: number, st: Strategy, durationS: number, tmp: string) {
  const sinks: ReplaySink[] = [];
  for (let i = 0; i < n; i++) {
    const s = new ReplaySink({
      clickhouse: { url: c.servers[i % c.servers.length]!.url, user: 'default', password: '', database: db },
      host: `fleet-${String(i).padStart(4, '0')}`,
      dialect: LEGACY,
      flushIntervalMs: st.flushMs,
      flushJitterMs: st.jitterMs,
      insertBuffer: st.buffer,
      spoolDir: path.join(tmp, db, String(i)),
    });
    await s.start();
    sinks.push(s);
  }
  const ev0 = await clusterEvents(c);
  const u0 = clusterUsage(c);
  const t0 = Date.now();
  const clocks = sinks.map(() => new HostClock(rec, t0));
  const series: string[] = [];
  let maxParts = 0;
  let rssMax = 0;
  let lateMs = 0;
  let offered = 0;
  const due: RecordedChunk[] = [];
  let nextSample = t0 + 2000;
  let last = t0;
  while (Date.now() - t0 < durationS * 1000) {
    const now = Date.now();
    lateMs = Math.max(lateMs, now - last - 20);
    last = now;
    clocks.forEach((k, i) => {
      due.length = 0;
      k.due(now, due);
      for (const ch of due) {
        sinks[i]!.replay(ch);
        offered += ch.rows;
      }
    });
    if (now >= nextSample) {
      nextSample += 2000;
      const p = await Promise.all(c.servers.map((s) => partsNow(s.client, db)));
      const mp = Math.max(...p.map((x) => x.maxParts));
      maxParts = Math.max(maxParts, mp);
      rssMax = Math.max(rssMax, clusterUsage(c).rssMb);
      const tt = totals(sinks);
      series.push(
        `t=${Math.round((now - t0) / 1000)}s parts/partition ${mp} merges ${p.reduce((x, y) => x + y.merges, 0)} spool ${(tt.spoolBytes / 1e6).toFixed(1)} MB written ${tt.rows}`,
      );
    }
    await sleep(Math.max(0, 20 - (Date.now() - now)));
  }
  // drain: every host's queue and spool written (or 120 s), then closed
  await Promise.all(sinks.map((s) => s.flush(120_000)));
  await Promise.all(sinks.map((s) => s.close(10_000)));
  const wallS = (Date.now() - t0) / 1000;
  const u1 = clusterUsage(c);
  const ev = diffEvents(await clusterEvents(c), ev0);
  const t = totals(sinks);
  const m: Measured = {
    wallS,
    rows: t.rows,
    inserts: t.batches,
    p50: quantile(t.latencies, 0.5),
    p99: quantile(t.latencies, 0.99),
    ev,
    cpuS: u1.cpuS - u0.cpuS,
    cpu0: u0.cpuS,
    cpuStoredS: 0,
    rssMaxMb: Math.max(rssMax, u1.rssMb),
    maxParts,
    merged: await mergedParts(c, db),
    spoolBytes: t.spoolBytes,
    retried: t.retried,
    deduplicated: t.deduplicated,
    errors: t.errors,
    dropped: t.dropped,
  };
  return { m, series, offered, lateMs, byTable: t.rowsByTable, spoolLeft: sinks.reduce((x, s) => x + s.stats().spool_batches, 0) };
}

/** The anchor: the same rows per table (up to 64 MiB each) as one INSERT per table from one client. */
async function anchor(c: TestCluster, rec: Recording, db: string, byTable: Record<string, number>, tmp: string): Promise<Measured> {
  const s = new ReplaySink({
    clickhouse: { url: c.servers[0]!.url, user: 'default', password: '', database: db },
    host: 'anchor',
    dialect: LEGACY,
    maxBatchRows: 1e9,
    maxBatchBytes: 64 << 20,
    maxMemoryBytes: 1 << 30, // every table's one batch in memory: no detour through the spool
    flushIntervalMs: 3_600_000,
    spoolDir: path.join(tmp, db, 'anchor'),
  });
  await s.start();
  const left = { ...byTable };
  const bytes: Record<string, number> = {};
  for (let more = true; more;) {
    more = false;
    for (const ch of rec.chunks) {
      if ((left[ch.table] ?? 0) <= 0 || (bytes[ch.table] ?? 0) >= 60 << 20) continue;
      s.replay(ch);
      left[ch.table]! -= ch.rows;
      bytes[ch.table] = (bytes[ch.table] ?? 0) + ch.columns.reduce((n, x) => n + x.data.length, 0);
      more = true;
    }
  }
  const ev0 = await clusterEvents(c);
  const u0 = clusterUsage(c);
  const t0 = Date.now();
  await s.close(120_000);
  const wallS = (Date.now() - t0) / 1000;
  const u1 = clusterUsage(c);
  const t = totals([s]);
  return {
    wallS,
    rows: t.rows,
    inserts: t.batches,
    p50: quantile(t.latencies, 0.5),
    p99: quantile(t.latencies, 0.99),
    ev: diffEvents(await clusterEvents(c), ev0),
    cpuS: u1.cpuS - u0.cpuS,
    cpu0: u0.cpuS,
    cpuStoredS: 0,
    rssMaxMb: u1.rssMb,
    maxParts: (await Promise.all(c.servers.map((x) => partsNow(x.client, db)))).reduce((m, x) => Math.max(m, x.maxParts), 0),
    merged: await mergedParts(c, db),
    spoolBytes: t.spoolBytes,
    retried: t.retried,
    deduplicated: t.deduplicated,
    errors: t.errors,
    dropped: t.dropped,
  };
}

/** Waits until one replica of each shard holds what the hosts wrote (18.16
 * forwards Distributed inserts in the background), then compares every replica. */
async function stored(
  c: TestCluster,
  db: string,
  want: number,
  waitS = 60,
): Promise<{ perReplica: number[]; lagS: number; maxParts: number }> {
  const t0 = Date.now();
  let perReplica: number[] = [];
  let maxParts = 0; // the forwarded (and Buffer-flushed) blocks make parts after the hosts are done
  for (;;) {
    const p = await Promise.all(c.servers.map((s) => partsNow(s.client, db)));
    maxParts = Math.max(maxParts, ...p.map((x) => x.maxParts));
    perReplica = [];
    for (const s of c.servers) perReplica.push(Object.values(await localCounts(s.client, db, TABLES)).reduce((a, b) => a + b, 0));
    const shards = perReplica.filter((_, i) => i % 2 === 0).reduce((a, b) => a + b, 0);
    const replicas = perReplica.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0);
    if ((shards >= want && replicas >= want) || Date.now() - t0 > waitS * 1000) break;
    await sleep(500);
  }
  return { perReplica, lagS: (Date.now() - t0) / 1000, maxParts };
}

/** .bin files a Distributed table still holds for its shards (data/DB/TABLE/SHARD/), and those it set aside in broken/ */
function distributedQueue(serverDir: string, db: string): { pending: number; broken: number } {
  const q = { pending: 0, broken: 0 };
  const base = path.join(serverDir, 'data', 'data', db);
  const ls = (d: string): fs.Dirent[] => (fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []);
  for (const table of ls(base).filter((e) => e.isDirectory()))
    // a Distributed table's directory per shard is named for its addresses (user@host:port); parts are not
    for (const shard of ls(path.join(base, table.name)).filter((e) => e.isDirectory() && e.name.includes('@'))) {
      const dir = path.join(base, table.name, shard.name);
      const bins = (d: string): number => ls(d).filter((e) => e.isFile() && e.name.endsWith('.bin')).length;
      q.pending += bins(dir);
      q.broken += bins(path.join(dir, 'broken'));
    }
  return q;
}

/** the machine's load average now, for the report: the figures above are ratios because of it */
const loadAvg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const f1 = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');

function report(title: string, fl: Measured, an: Measured): void {
  const perM = (x: number, rows: number): number => (rows > 0 ? (x / rows) * 1e6 : 0);
  const lines: Array<[string, number, number]> = [
    ['inserts/s', fl.inserts / fl.wallS, an.inserts / an.wallS],
    ['rows/s (written, wall)', fl.rows / fl.wallS, an.rows / an.wallS],
    ['rows per INSERT', fl.rows / Math.max(1, fl.inserts), an.rows / Math.max(1, an.inserts)],
    ['insert latency p50 ms', fl.p50 * 1000, an.p50 * 1000],
    ['insert latency p99 ms', fl.p99 * 1000, an.p99 * 1000],
    ['max parts per partition', fl.maxParts, an.maxParts],
    ['merged parts per M rows', perM(fl.merged, fl.rows), perM(an.merged, an.rows)],
    ['server CPU s per M rows', perM(fl.cpuS, fl.rows), perM(an.cpuS, an.rows)],
    ['  ... until on the shards', perM(fl.cpuStoredS, fl.rows), perM(an.cpuStoredS, an.rows)],
    ['server CPU % of the machine', (100 * fl.cpuS) / fl.wallS / os.cpus().length, (100 * an.cpuS) / an.wallS / os.cpus().length],
    ['server RSS MB (4 servers + zk)', fl.rssMaxMb, an.rssMaxMb],
  ];
  console.log(`\n${title}`);
  console.log(`${'figure'.padEnd(34)}${'fleet'.padStart(12)}${'anchor'.padStart(12)}${'fleet/anchor'.padStart(14)}`);
  for (const [k, a, b] of lines) console.log(`${k.padEnd(34)}${f1(a).padStart(12)}${f1(b).padStart(12)}${ratio(a, b).padStart(14)}`);
  console.log(
    `${'rejected inserts (too many parts)'.padEnd(34)}${String(fl.ev.RejectedInserts).padStart(12)}${String(an.ev.RejectedInserts).padStart(12)}`,
  );
  console.log(`${'delayed inserts'.padEnd(34)}${String(fl.ev.DelayedInserts).padStart(12)}${String(an.ev.DelayedInserts).padStart(12)}`);
  console.log(`${'failed insert attempts (sink)'.padEnd(34)}${String(fl.retried).padStart(12)}${String(an.retried).padStart(12)}`);
  console.log(`${'batches found landed (dedup)'.padEnd(34)}${String(fl.deduplicated).padStart(12)}${String(an.deduplicated).padStart(12)}`);
  for (const e of fl.errors) console.log(`  a host's last insert error: ${e.slice(0, 200)}`);
  console.log(
    `${'spool on the hosts at the end MB'.padEnd(34)}${(fl.spoolBytes / 1e6).toFixed(1).padStart(12)}${(an.spoolBytes / 1e6).toFixed(1).padStart(12)}`,
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const recs = new Map<number, Recording>();
  for (const n of args.sockets) {
    const f = path.join(args.cache, `host-${n}.bin`);
    if (!fs.existsSync(f)) fail(`no recording ${f} (bench/fleet/run.sh makes it: bench/sizing/run.sh --record)`);
    recs.set(n, loadRecording(f));
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tlfleet-'));
  const maxHosts = Math.max(...args.hosts);
  const c = await startCluster({ name: 'tl_fleet', shards: 2, replicas: 2, maxConnections: Math.max(256, maxHosts + 64) });
  const stop = async (): Promise<void> => {
    await c.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop().then(() => process.exit(130)));
  let bad = 0;
  try {
    console.log(
      `tcplens fleet: 2 shards x 2 replicas (clickhouse-server 18.16, ZooKeeper) on ${os.cpus().length} cores; hosts through the sink into the Distributed tables`,
    );
    for (const sockets of args.sockets) {
      const rec = recs.get(sockets)!;
      const recRows = rec.chunks.reduce((n, x) => n + x.rows, 0);
      console.log(
        `\nrecording: ${sockets} sockets, ${rec.chunks.length} chunks, ${recRows} rows over ${(rec.spanMs / 1000).toFixed(1)} s (${f1(recRows / (rec.spanMs / 1000))} rows/s a host)`,
      );
      for (const n of args.hosts)
        for (const st of args.strategies) {
          const db = `fleet_${sockets}_${n}_${st.name}`;
          // every node has the whole schema before the first host writes (cluster_schema.ts)
          await applyClusterSchema(c, db, 2, st.buffer);
          await applyClusterSchema(c, `${db}_anchor`, 2);
          const load0 = loadAvg();
          const r = await fleet(c, rec, db, n, st, args.durationS, tmp);
          // Buffer tables: the rows reach the shards when the buffers flush (at most maxTimeS)
          const st2 = await stored(c, db, r.m.rows, st.buffer ? 60 + BUFFER.maxTimeS : 60);
          r.m.cpuStoredS = clusterUsage(c).cpuS - r.m.cpu0;
          r.m.maxParts = Math.max(r.m.maxParts, st2.maxParts);
          const an = await anchor(c, rec, `${db}_anchor`, r.byTable, tmp);
          await stored(c, `${db}_anchor`, an.rows);
          an.cpuStoredS = clusterUsage(c).cpuS - an.cpu0;
          report(`N=${n} hosts x ${sockets} sockets, ${st.name} (${describeStrategy(st)}), ${args.durationS} s`, r.m, an);
          console.log(`parts per partition over time (max over servers):\n  ${r.series.join('\n  ')}`);
          console.log(`load average (1, 5, 15 min) at the start ${load0}, at the end ${loadAvg()} (the machine's, other runs included)`);
          const shards = st2.perReplica[0]! + st2.perReplica[2]!;
          const replicas = st2.perReplica[1]! + st2.perReplica[3]!;
          // written = acknowledged to a host; a Distributed node acknowledges
          // before its shards have the rows, so "missing" may still be queued there
          const missing = Math.max(0, r.m.rows - Math.min(shards, replicas));
          const doubled = Math.max(0, Math.max(shards, replicas) - r.m.rows);
          if (missing !== 0 || doubled !== 0 || r.m.dropped !== 0 || r.spoolLeft !== 0) {
            bad++;
            // rows still queued in a Distributed table's directory, or set aside as broken, tell a slow
            // forward from a lost one; the servers' own errors say why
            for (const [k, s] of c.servers.entries()) {
              const q = distributedQueue(s.server.dir, db);
              console.log(`server ${k}: Distributed queue ${q.pending} files pending, ${q.broken} broken`);
              const errs = s
                .errorLog(400)
                .split('\n')
                .filter((l) => /Distributed|DirectoryMonitor|<Error>/.test(l));
              for (const l of errs.slice(-8)) console.log(`  ${l.slice(0, 300)}`);
            }
          }
          console.log(
            `fleet ${sockets} N=${n} ${st.name}: offered ${r.offered} rows, written ${r.m.rows}, stored ${shards} (shards) ${replicas} (replicas), missing ${missing}, doubled ${doubled}, dropped ${r.m.dropped}, spooled left ${r.spoolLeft} batches, distributed after ${st2.lagS.toFixed(1)} s; replay late at most ${r.lateMs} ms; rows/s ${f1(r.m.rows / r.m.wallS)} = ${ratio(r.m.rows / r.m.wallS, an.rows / an.wallS)} of one bulk INSERT`,
          );
        }
    }
  } finally {
    await stop();
  }
  process.exit(bad ? 1 : 0);
}

void main().catch((e) => {
  process.stderr.write(`fleet: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
