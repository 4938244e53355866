// bench/metrics: what observability costs, each figure beside its anchor
// measured in the same run, as a ratio:
//  1. one /metrics scrape (every stage + default metrics), CPU, vs one poll
//     cycle over the same namespaces (the work it describes) and vs a bare
//     prom-client registry of default metrics (what any Node exporter pays);
//  2. run's poll view tick (counting, per-namespace fold, flow table) vs PollSource.cycle,
//     interleaved, over N namespaces;
//  3. BPF run-time accounting on vs off: ns per run of a no-op program;
//  4. the TCP health metrics at --sockets N (default 100k): a scrape with and
//     without them, a poll view tick with and without them (health.ts).
// Usage: node dist/bench/metrics/bench.js [--namespaces N] [--reps R] [--sockets N] [--health-reps R] [--smoke]
import { execFileSync } from 'child_process';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { PollSource } from '../../src/sources/poll';
import { parseNetnsSelector } from '../../src/netns/select';
import { pollView } from '../../src/run/views/poll';
import { openOne } from '../../test/helpers/views';
import { startMetrics } from '../../src/metrics/server';
import { BpfProgStats } from '../../src/metrics/bpf_stats';
import { bpfStatsAddon } from '../../src/native/bpf_stats';
import { Logger } from '../../src/util/log';
import { otherStages } from '../../test/metrics/fixtures';
import * as fs from 'fs';
import { healthBench } from './health';
import { median, numArg, smoke } from '../lib';

const NS = smoke ? 3 : numArg('--namespaces', 50);
const REPS = smoke ? 5 : numArg('--reps', 41);
const SOCKETS = smoke ? 2000 : numArg('--sockets', 100_000);
const HEALTH_REPS = smoke ? 3 : numArg('--health-reps', 9);

const cpuUs = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
async function cpuOf(f: () => Promise<unknown>): Promise<number> {
  const t = cpuUs();
  await f();
  return cpuUs() - t;
}
const fmt = (us: number): string => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} us`);

async function main(): Promise<void> {
  const names = Array.from({ length: NS }, (_, i) => `tlbm-${process.pid}-${i}`);
  for (const n of names) execFileSync('ip', ['netns', 'add', n]);
  try {
    const sel = parseNetnsSelector(names.join(','));
    const raw = new PollSource({ netns: sel });
    const poll = openOne(pollView, names.join(','));
    const m = await startMetrics(
      { listen: '127.0.0.1:0', logger: new Logger({ write: () => undefined }), bpfStats: true },
      { ...poll.stages, ...otherStages().stages },
    );
    const bare = new Registry();
    collectDefaultMetrics({ register: bare });
    await raw.cycle(() => undefined);
    await poll.tick(); // warm: namespaces opened

    const cycRaw: number[] = [],
      cycObs: number[] = [],
      scrapes: number[] = [],
      bares: number[] = [];
    let bytes = 0;
    for (let r = 0; r < REPS; r++) {
      cycRaw.push(await cpuOf(() => raw.cycle(() => undefined)));
      cycObs.push(await cpuOf(() => poll.tick()));
      scrapes.push(
        await cpuOf(async () => {
          bytes = (await m.registry.metrics()).length;
        }),
      );
      bares.push(await cpuOf(() => bare.metrics()));
    }
    const [cr, co, sc, ba] = [cycRaw, cycObs, scrapes, bares].map(median) as [number, number, number, number];
    console.log(`tcplens metrics benchmark: ${NS} namespaces (+0 sockets each), ${REPS} reps, medians of process CPU`);
    console.log(`  /metrics scrape (all stages, ${bytes} bytes)     ${fmt(sc).padStart(10)}`);
    console.log(`    anchor: poll cycle over the same namespaces  ${fmt(cr).padStart(10)}   scrape/cycle = ${(sc / cr).toFixed(2)}`);
    console.log(`    anchor: bare prom-client default metrics     ${fmt(ba).padStart(10)}   scrape/bare = ${(sc / ba).toFixed(2)}`);
    console.log(`  run's poll view tick (counters, flow table)    ${fmt(co).padStart(10)}`);
    console.log(
      `    anchor: PollSource.cycle                     ${fmt(cr).padStart(10)}   observed/raw = ${(co / cr).toFixed(3)} (${co >= cr ? '+' : '-'}${fmt(Math.abs(co - cr))} per cycle)`,
    );

    // 4. the TCP health metrics at SOCKETS sockets
    await healthBench(SOCKETS, HEALTH_REPS, { median, cpuOf, fmt }, process.pid);

    // 3. BPF accounting: wall ns per run of a no-op program, stats on vs off (interleaved)
    const bpf = bpfStatsAddon();
    const fd = bpf.selftestLoad();
    const N = smoke ? 100_000 : 2_000_000;
    const on: number[] = [],
      off: number[] = [];
    const sysctlOn = fs.readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim() === '1';
    await m.close(); // releases the server's stats fd: "off" is really off
    for (let r = 0; r < (smoke ? 3 : 9); r++) {
      const s = new BpfProgStats();
      let t = process.hrtime.bigint();
      bpf.selftestRun(fd, N);
      on.push(Number(process.hrtime.bigint() - t) / N);
      s.close();
      t = process.hrtime.bigint();
      bpf.selftestRun(fd, N);
      off.push(Number(process.hrtime.bigint() - t) / N);
    }
    fs.closeSync(fd);
    const [bon, boff] = [median(on), median(off)];
    console.log(
      `  BPF no-op program run, accounting on           ${bon.toFixed(1).padStart(7)} ns${sysctlOn ? '   (kernel.bpf_stats_enabled=1: "off" is on too)' : ''}`,
    );
    console.log(
      `    anchor: accounting off                       ${boff.toFixed(1).padStart(7)} ns   on/off = ${(bon / boff).toFixed(2)} (+${(bon - boff).toFixed(1)} ns per run)`,
    );
    raw.close();
    poll.view.close();
  } finally {
    for (const n of names) {
      try {
        execFileSync('ip', ['netns', 'delete', n], { stdio: 'ignore' });
      } catch {
        /* gone */
      }
    }
  }
}

main().catch((e) => {
  console.error(`bench/metrics: ${(e as Error).message}`);
  process.exit(1);
});
