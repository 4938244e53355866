// bench/soak: a real `tcplens run` with every view into a private local
// ClickHouse for --minutes (default 30) while a steady workload churns in its
// own network namespace: HELD loopback pairs held open (default 5,000 pairs =
// 10,000 sockets) and RATE short connections per second (default 1,000;
// connect, 64 bytes each way, reset-close so no TIME-WAIT piles up). Every
// --sample-s it samples RSS, V8 heap, fds, threads (/proc) and event-loop lag,
// queue, spool and every drop/loss/error counter (/metrics). It prints each
// figure's growth beside its first-minute baseline (the --baseline-s window),
// then stops the workload and waits (at most --drain-s) for the sink to catch
// up (queue and spool empty), then checks: fds and threads flat, RSS and heap slopes within the bounds,
// no drop/loss/error counted, no row dropped and every row queued written by
// the end (rows spooled while ClickHouse lagged count once replayed), count()
// per table equal to the rows the run says it wrote, one poll_cycles row per cycle.
// Exit 0 when every verdict is ok, 1 otherwise, 2 for bad options.
// Usage: node dist/bench/soak/soak.js [--minutes M] [--sample-s S] [--baseline-s S]
//        [--held PAIRS] [--rate CONN_PER_S] [--interval-ms MS] [--rss-slope MIB_PER_MIN] [--heap-slope MIB_PER_MIN]
//        [--drain-s S]
import { spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';
import { haveClickHouse, rows, startTestServer } from '../../test/helpers/clickhouse';
import { createNetns, deleteNetns, isRoot } from '../../test/helpers/netns';
import { killRuns, startRun } from '../../test/helpers/run_proc';
import { dropCounters, growth, parseMetrics, sampleOf, type Sample } from './series';

const WORKLOAD = path.resolve(__dirname, '../../../bench/soak/workload.py');
const OPTS = ['drain-s', 'minutes', 'sample-s', 'baseline-s', 'held', 'rate', 'interval-ms', 'rss-slope', 'heap-slope'] as const;
type Opts = Record<(typeof OPTS)[number], number>;
const DEFAULTS: Opts = {
  'drain-s': 300,
  minutes: 30,
  'sample-s': 10,
  'baseline-s': 60,
  held: 5000,
  rate: 1000,
  'interval-ms': 1000,
  'rss-slope': 1,
  'heap-slope': 0.5,
};

function fail(msg: string): never {
  process.stderr.write(`soak: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Opts {
  const o = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, '') as keyof Opts;
    if (!argv[i]!.startsWith('--') || !OPTS.includes(k)) fail(`unknown option ${argv[i]} (see the head of bench/soak/soak.ts)`);
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v <= 0) fail(`--${k}: a number > 0, got '${argv[i + 1] ?? ''}'`);
    o[k] = v;
  }
  if (o['baseline-s'] * 2 > o.minutes * 60) fail('--baseline-s: at most half of the run');
  return o;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : String(x));
const ratio = (a: number, b: number): string => (b ? `${(a / b).toFixed(2)}x` : 'n/a');

interface Verdict {
  what: string;
  ok: boolean;
  detail: string;
}

async function main(o: Opts): Promise<number> {
  if (!isRoot()) fail('needs root (network namespaces, eBPF)');
  if (!haveClickHouse()) fail('needs clickhouse-server (scripts/bootstrap.sh installs it)');
  const ch = await startTestServer();
  const ns = createNetns('soak');
  const db = `tl_soak_${process.pid}`;
  const wl = spawn('ip', ['netns', 'exec', ns, 'python3', WORKLOAD, String(o.held), String(o.rate), '0'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let conns = 0;
  let behind = 0;
  const ready = new Promise<void>((resolve) => {
    readline.createInterface({ input: wl.stdout! }).on('line', (l) => {
      const r = JSON.parse(l) as { ready?: boolean; conns?: number; behind?: number };
      if (r.ready) resolve();
      if (r.conns !== undefined) conns = r.conns;
      if (r.behind !== undefined) behind = r.behind;
    });
  });
  const wlDone = new Promise<void>((r) => wl.once('exit', () => r()));
  try {
    await ready;
    const run = startRun(['--netns', ns, '--database', db, '--listen', '127.0.0.1:0', '--interval', `${o['interval-ms']}ms`], {
      TCPLENS_CLICKHOUSE_URL: ch.url,
    });
    const started = await run.waitFor('run.started', 120_000);
    const url = (await run.waitFor('metrics.listen'))['url'] as string;
    const pid = run.proc.pid!;
    const t0 = Date.now();
    const samples: Sample[] = [];
    let last = new Map<string, number>();
    process.stdout.write(
      `soak: ${o.minutes} min, views ${JSON.stringify(started['views'])}, ${2 * o.held} held sockets + ${o.rate} conn/s in ${ns}, ` +
        `interval ${o['interval-ms']} ms, sample every ${o['sample-s']} s, baseline = first ${o['baseline-s']} s\n`,
    );
    while (Date.now() - t0 < o.minutes * 60_000) {
      await sleep(o['sample-s'] * 1000);
      last = parseMetrics(await (await fetch(`${url}/metrics`)).text());
      const s = sampleOf((Date.now() - t0) / 1000, pid, last, conns);
      const named = s.drops !== samples[samples.length - 1]?.drops ? ` ${JSON.stringify(dropCounters(last))}` : '';
      samples.push(s);
      process.stdout.write(
        `  t=${f1(s.t)}s rss=${f1(s.rssMiB)}MiB heap=${f1(s.heapMiB)}MiB ext=${f1(s.externalMiB)}MiB fds=${s.fds} threads=${s.threads} lag_p99=${f1(s.lagMs)}ms ` +
          `queue=${s.queueRows} spool=${s.spoolBytes} drops=${s.drops}${named} conns=${s.conns}\n`,
      );
    }
    const churnSeconds = (Date.now() - t0) / 1000;
    // the load stops (churn and held sockets); the sink must catch up: queue and spool empty
    wl.stdin!.end();
    await Promise.race([wlDone, sleep(30_000)]);
    const d0 = Date.now();
    for (;;) {
      last = parseMetrics(await (await fetch(`${url}/metrics`)).text());
      const q = last.get('tcplens_sink_queue_rows') ?? 0;
      if ((q < 1000 && !last.get('tcplens_sink_spool_bytes')) || Date.now() - d0 > o['drain-s'] * 1000) break;
      await sleep(1000);
    }
    const drainS = (Date.now() - d0) / 1000;
    const spoolLeft = last.get('tcplens_sink_spool_bytes') ?? NaN;
    const drops = dropCounters(last);
    const runS = (Date.now() - t0) / 1000;
    run.proc.kill('SIGTERM');
    const code = await run.exited;
    const totals = run.last('run.totals') as
      { cycles: number; tables: Record<string, { written: number; spooled: number; dropped: number; queued: number }> } | undefined;

    const v: Verdict[] = [];
    const b = o['baseline-s'];
    const base = samples.filter((s) => s.t <= b);
    const after = samples.filter((s) => s.t > b);
    process.stdout.write(`soak: growth after the first ${b} s (baseline = its median; end = median of the last ${b} s)\n`);
    for (const fig of ['rssMiB', 'heapMiB', 'externalMiB', 'fds', 'threads', 'lagMs', 'queueRows', 'spoolBytes'] as const) {
      const g = growth(samples, fig, b);
      process.stdout.write(
        `  ${fig}: baseline ${f1(g.baseline)}, end ${f1(g.end)} (${ratio(g.end, g.baseline)} of baseline), max ${f1(g.max)}, slope ${g.slopePerMin >= 0 ? '+' : ''}${g.slopePerMin.toFixed(3)}/min\n`,
      );
      if (fig === 'rssMiB' || fig === 'heapMiB') {
        const bound = fig === 'rssMiB' ? o['rss-slope'] : o['heap-slope'];
        v.push({ what: `${fig} slope`, ok: g.slopePerMin <= bound, detail: `${g.slopePerMin.toFixed(3)} MiB/min (bound ${bound})` });
      }
      if (fig === 'fds' || fig === 'threads') {
        const baseMax = Math.max(...base.map((s) => s[fig]));
        const slack = fig === 'fds' ? 2 : 0; // fds: a scrape's and an insert's connection may overlap a sample
        v.push({
          what: `${fig} flat`,
          ok: Math.max(...after.map((s) => s[fig])) <= baseMax + slack,
          detail: `baseline max ${baseMax}, after ${Math.min(...after.map((s) => s[fig]))}..${Math.max(...after.map((s) => s[fig]))} (slack ${slack})`,
        });
      }
    }
    v.push({
      what: 'caught up once the load stopped',
      ok: spoolLeft === 0,
      detail: `spool ${spoolLeft} bytes and queue ${last.get('tcplens_sink_queue_rows')} rows ${f1(drainS)} s after the workload ended (limit ${o['drain-s']} s)`,
    });
    v.push({ what: 'no drop, loss or error counted', ok: !Object.keys(drops).length, detail: JSON.stringify(drops) });
    v.push({ what: 'run exits 0 on SIGTERM', ok: code === 0, detail: `exit ${code}; stderr other than JSON: ${run.other.length} lines` });
    v.push({
      what: 'workload on pace',
      ok: behind === 0,
      detail: `${conns} connections in ${f1(churnSeconds)} s (${f1(conns / churnSeconds)}/s of ${o.rate}/s), late ${behind} times`,
    });
    if (!totals) v.push({ what: 'run.totals logged', ok: false, detail: 'no run.totals line' });
    else {
      for (const [table, t] of Object.entries(totals.tables)) {
        const [n] = await rows<{ n: string }>(ch.client, `SELECT count() AS n FROM ${db}.${table}`);
        v.push({
          what: `${table}: count() = rows written`,
          ok: Number(n?.n) === t.written && t.written === t.queued && t.dropped === 0, // spooled rows count once replayed
          detail: `count() ${n?.n}, written ${t.written}, queued ${t.queued}, spooled ${t.spooled}, dropped ${t.dropped}`,
        });
      }
      const [pc] = await rows<{ n: string }>(ch.client, `SELECT uniqExact(ts_ns) AS n FROM ${db}.poll_cycles WHERE netns_name = '${ns}'`);
      v.push({
        what: 'every cycle stored',
        ok: Number(pc?.n) === totals.cycles,
        detail: `${pc?.n} poll_cycles rows of ${ns}, ${totals.cycles} cycles run (${f1(runS / totals.cycles)} s per cycle, interval ${o['interval-ms'] / 1000} s)`,
      });
    }
    for (const x of v) process.stdout.write(`  verdict ${x.ok ? 'ok  ' : 'FAIL'} ${x.what} | ${x.detail}\n`);
    const bad = v.filter((x) => !x.ok).length;
    process.stdout.write(`soak: ${bad ? `${bad} verdicts failed` : 'every verdict ok'}\n`);
    return bad ? 1 : 0;
  } finally {
    killRuns();
    wl.stdin!.end();
    await Promise.race([wlDone, sleep(10_000)]);
    wl.kill('SIGKILL');
    deleteNetns(ns);
    await ch.cleanup();
  }
}

main(parseArgs(process.argv.slice(2))).then(
  (c) => process.exit(c),
  (e) => {
    process.stderr.write(`soak: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
