// bench/metrics, part 4: what the TCP health metrics cost at N sockets (one
// namespace held by bench/poll's sockfarm, several processes as the fd limit
// asks). Interleaved, medians of process CPU:
//  - a /metrics scrape with the health metrics (fed by a flow table holding
//    every socket) beside the same scrape without them (anchor);
//  - run's poll view tick, flow table with health beside without (anchor):
//    steady state, the sockets idle (what a poll of a quiet host costs);
//  - a poll cycle into a fresh flow table, with health beside without
//    (anchor): every socket a new flow that moved, the health path taken for each.
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { createRegistry } from '../../src/metrics/registry';
import { FlowTable } from '../../src/correlate/flow_table';
import { HealthAccounts } from '../../src/correlate/health';
import { parseBreakdown } from '../../src/correlate/health_groups';
import { PollSource } from '../../src/sources/poll';
import { parseNetnsSelector } from '../../src/netns/select';
import { pollView } from '../../src/run/views/poll';
import { openOne, type OpenedOne } from '../../test/helpers/views';
import { otherStages } from '../../test/metrics/fixtures';

const ROOT = path.resolve(__dirname, '../../..');
const FARM_SRC = path.join(ROOT, 'bench/poll/sockfarm.c');
const FARM = path.join(ROOT, 'bench/poll/build/sockfarm');
/** pairs one process holds under RLIMIT_NOFILE's hard limit of 20000; listeners from port 61000 up, above the ephemeral range (the farms' own clients take ports below) */
const PAIRS_PER_FARM = 9900;

export interface Measure {
  median(xs: number[]): number;
  cpuOf(f: () => Promise<unknown>): Promise<number>;
  fmt(us: number): string;
}

/** Starts sockfarms in ns holding `sockets` established sockets; resolves when all are ready. */
async function farms(ns: string, sockets: number): Promise<ChildProcess[]> {
  if (!fs.existsSync(FARM) || fs.statSync(FARM).mtimeMs < fs.statSync(FARM_SRC).mtimeMs) {
    fs.mkdirSync(path.dirname(FARM), { recursive: true });
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', FARM, FARM_SRC]);
  }
  let pairs = Math.ceil(sockets / 2);
  const procs: ChildProcess[] = [];
  const ready: Array<Promise<void>> = [];
  for (let f = 0; pairs > 0; f++) {
    const n = Math.min(pairs, PAIRS_PER_FARM);
    pairs -= n;
    const p = spawn('ip', ['netns', 'exec', ns, FARM, String(n), String(61000 + f * 16), '16'], { stdio: ['pipe', 'pipe', 'inherit'] });
    procs.push(p);
    ready.push(
      new Promise((resolve, reject) => {
        p.stdout!.on('data', (d: Buffer) => {
          if (d.toString().startsWith('ready')) resolve();
        });
        p.once('exit', (c) => reject(new Error(`sockfarm exited ${c}`)));
      }),
    );
  }
  await Promise.all(ready);
  return procs;
}

export async function healthBench(sockets: number, reps: number, m: Measure, pid: number): Promise<void> {
  const ns = `tlbh-${pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  let procs: ChildProcess[] = [];
  const views: OpenedOne[] = [];
  const raw = new PollSource({ netns: parseNetnsSelector(ns) });
  try {
    procs = await farms(ns, sockets);
    // the same breakdowns an operator might ask for, so their cost is in
    const health = new HealthAccounts(parseBreakdown('port,comm,peer', '127.0.0.0/8=loopback', 2000));
    const perHost = new HealthAccounts(); // no breakdowns: the fixed per-host series only
    const withH = openOne(pollView, ns),
      hostOnly = openOne(pollView, ns),
      without = openOne(pollView, ns);
    views.push(withH, hostOnly, without);
    withH.ctx.table = new FlowTable({ health });
    hostOnly.ctx.table = new FlowTable({ health: perHost });
    for (const v of views) await v.tick();
    const held = withH.ctx.table.stats().tracked;

    const base = { ...withH.stages, ...otherStages().stages };
    const { health: _unused, ...noHealth } = base;
    void _unused;
    const regWith = createRegistry({ ...base, health: { stats: () => health } }, { version: 'bench' });
    const regWithout = createRegistry(noHealth, { version: 'bench' });
    const regHost = createRegistry({ ...base, health: { stats: () => perHost } }, { version: 'bench' });

    const sH: number[] = [],
      tH: number[] = [];
    let bytesH = 0;
    const sW: number[] = [],
      sWo: number[] = [],
      tW: number[] = [],
      tWo: number[] = [],
      fW: number[] = [],
      fWo: number[] = [];
    let bytesW = 0,
      bytesWo = 0;
    const fresh = (h: boolean) => async (): Promise<void> => {
      const t = new FlowTable(h ? { health: new HealthAccounts(health.breakdown) } : {});
      await raw.cycle((b, ctx) => t.observePoll(b, BigInt(ctx.ns.inode)));
    };
    // interleaved, the order reversed every other rep (what runs after a fresh
    // table's garbage pays for its collection)
    const steps: Array<[number[], () => Promise<unknown>]> = [
      [sW, async () => (bytesW = (await regWith.metrics()).length)],
      [sWo, async () => (bytesWo = (await regWithout.metrics()).length)],
      [sH, async () => (bytesH = (await regHost.metrics()).length)],
      [tW, () => withH.tick()],
      [tWo, () => without.tick()],
      [tH, () => hostOnly.tick()],
      [fW, fresh(true)],
      [fWo, fresh(false)],
    ];
    for (let r = 0; r < reps; r++) {
      for (const [out, f] of r % 2 ? [...steps].reverse() : steps) out.push(await m.cpuOf(f));
    }
    const [a, b, c, d, e, f, g, h] = [sW, sWo, tW, tWo, fW, fWo, sH, tH].map(m.median) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const fmt = m.fmt;
    console.log(`  TCP health at ${held} flows (${sockets} sockets held in one namespace), ${reps} reps`);
    console.log(`  /metrics scrape with health (${bytesW} bytes)         ${fmt(a).padStart(10)}`);
    console.log(`    anchor: the same scrape without (${bytesWo} bytes)  ${fmt(b).padStart(10)}   health/without = ${(a / b).toFixed(2)}`);
    console.log(
      `  /metrics scrape, per-host health only (${bytesH} bytes) ${fmt(g).padStart(10)}   host-only/without = ${(g / b).toFixed(2)}`,
    );
    console.log(`    (breakdowns by port, comm, peer: ${health.groups.length} groups, ${health.groupSeries()} series, cap 2000)`);
    console.log(`  poll view tick, idle sockets, table with health     ${fmt(c).padStart(10)}`);
    console.log(`    anchor: the same tick, table without health       ${fmt(d).padStart(10)}   health/without = ${(c / d).toFixed(3)}`);
    console.log(`  poll view tick, idle sockets, per-host health only  ${fmt(h).padStart(10)}   host-only/without = ${(h / d).toFixed(3)}`);
    console.log(`  poll cycle into a fresh table (every flow counted)  ${fmt(e).padStart(10)}`);
    console.log(`    anchor: the same, table without health            ${fmt(f).padStart(10)}   health/without = ${(e / f).toFixed(3)}`);
  } finally {
    for (const v of views) v.view.close();
    raw.close();
    // wait for the farms to be gone: a child's exit signal would interrupt the next part's syscalls
    await Promise.all(procs.map((p) => (p.exitCode !== null ? undefined : new Promise((r) => (p.once('exit', r), p.kill('SIGTERM'))))));
    execFileSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
  }
}
