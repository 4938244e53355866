// One view in a process of its own, so its cost is its own: started by
// runner.ts. Protocol on stdio, one JSON line each way per step:
//   -> {"ready":true} | {"unavailable":"why"}      <- "go" (the workload starts)
//   <- "stop" (the workload ended)                  -> {"result":{...},"socks":[...]}
// Ticks run on a grid (go + phase, then one driver.tickMs after another) so
// a slow tick does not shift the later ones; slots missed because a tick
// overran are counted. The tick is read after every tick (the adaptive poll
// changes it); a fixed one gives the grid go + phase + k * tick. A view that
// watches its data (driver.watch) sleeps until woken instead, and ticks then.
import * as readline from 'readline';
import { performance } from 'perf_hooks';
import { DRIVERS, type ViewName } from './views';
import { ObsTable, type SockObs } from './observe';
import { CostMeter, type Cost } from './cost';
import { parseNetnsSelector } from '../netns/select';
import type { ViewDriver } from './views/driver';

export interface WorkerArgs {
  view: ViewName;
  netns: string;
  intervalMs: number;
  /** offset of the tick grid from "go", ms: a random phase in [0, tick) */
  phaseMs: number;
  /** the adaptive poll's target and CPU budget */
  adaptive?: { target: number; cpuBudget: number };
}

export interface WorkerResult {
  view: ViewName;
  interval_ms: number;
  tick_ms: number;
  phase_ms: number;
  ticks: number;
  skipped_ticks: number;
  rows: number;
  ignored_rows: number;
  window_ms: number;
  cost: Cost;
  counters: Record<string, number>;
  tick_errors: number;
  last_error?: string;
  /** poll-like views: ms between consecutive dumps' midpoints (the instants a poll samples at) */
  gaps_ms?: number[];
}

const say = (o: object): Promise<void> => new Promise((res) => process.stdout.write(`${JSON.stringify(o)}\n`, () => res()));

function delta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(b)) out[k] = v - (a[k] ?? 0);
  return out;
}

async function run(args: WorkerArgs, driver: ViewDriver): Promise<void> {
  const obs = new ObsTable();
  const meter = new CostMeter(driver.backgroundCpuUs?.bind(driver));
  await driver.start(obs);
  let wake: () => void = () => {};
  let stopping = false;
  let go: () => void = () => {};
  const started = new Promise<void>((res) => {
    go = res;
  });
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (l) => {
    if (l.trim() === 'go') go();
    if (l.trim() === 'stop') {
      stopping = true;
      wake();
    }
  });
  rl.on('close', () => {
    stopping = true;
    go();
    wake();
  });
  await say({ ready: true });
  await started;

  const counters0 = driver.counters();
  meter.begin();
  const t0 = performance.now();
  let due = t0 + args.phaseMs;
  let ticks = 0,
    skipped = 0,
    rows = 0,
    errors = 0;
  let lastError: string | undefined;
  const mids: number[] = [];
  while (!stopping) {
    if (driver.watch) {
      // until a batch wakes us (or stop does); a view that cannot be watched ticks every tickMs
      const woken = await new Promise<boolean>((res) => {
        wake = () => res(false);
        if (!driver.watch!(() => res(true))) res(false);
      });
      if (stopping) break;
      if (woken) due = performance.now();
    }
    // Node's timers count from the loop's cached clock and may fire early:
    // wait again until the slot has really come (an early tick would poll a
    // slot twice, and a 10 ms poller then polled every ~6 ms)
    for (let wait = due - performance.now(); wait > 0 && !stopping; wait = due - performance.now()) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.ceil(wait));
        wake = () => {
          clearTimeout(t);
          res();
        };
      });
    }
    if (stopping) break;
    const t1 = performance.now();
    try {
      rows += await meter.time(() => driver.tick(obs));
      mids.push((t1 + performance.now()) / 2);
    } catch (e) {
      errors++;
      lastError = (e as Error).message;
    }
    ticks++;
    // the next slot after now (at least the next one)
    const tick = driver.tickMs;
    const late = Math.floor((performance.now() - due) / tick);
    const next = Math.max(1, late + 1);
    skipped += next - 1;
    due += next * tick;
  }
  await meter.time(() => driver.finish(obs));
  const window = performance.now() - t0;
  const instants = driver.instants?.() ?? mids;
  const gaps = instants.slice(1).map((m, i) => Math.round((m - instants[i]!) * 100) / 100);
  const result: WorkerResult = {
    view: args.view,
    interval_ms: args.intervalMs,
    tick_ms: driver.tickMs,
    phase_ms: args.phaseMs,
    ticks,
    skipped_ticks: skipped,
    rows,
    ignored_rows: obs.ignored,
    window_ms: window,
    cost: meter.end(),
    counters: delta(counters0, driver.counters()),
    tick_errors: errors,
    ...(lastError ? { last_error: lastError } : {}),
    gaps_ms: gaps,
  };
  driver.close();
  const socks: SockObs[] = [...obs.socks.values()];
  await say({ result, socks });
}

async function main(): Promise<void> {
  // Ctrl-C reaches the whole process group: the parent stops us over stdin
  // so that what we saw is still reported.
  process.on('SIGINT', () => {});
  const args = JSON.parse(process.argv[2] ?? '{}') as WorkerArgs;
  const made = DRIVERS[args.view]({
    netns: parseNetnsSelector(args.netns),
    intervalMs: args.intervalMs,
    ...(args.adaptive ? { adaptive: args.adaptive } : {}),
  });
  if ('unavailable' in made) {
    await say({ unavailable: made.unavailable });
    return;
  }
  await run(args, made);
}

main().then(
  () => process.exit(0),
  async (e: Error) => {
    await say({ error: e.message });
    process.exit(1);
  },
);
