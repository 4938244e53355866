// One comparison run: every view in its own process, all watching the same
// namespace at once, a workload (or whatever runs there) in between, then the
// join and the report.
//
// Why one poller per interval rather than one fast poll thinned out: thinning
// a 10 ms poll to every 100th cycle with a random phase gives exactly what a
// 1 s poller would have seen, but not what it would have cost (a dump's cost
// grows with the sockets alive at that instant, and a process woken 100 times
// a second pays wakeups a 1 s poller never pays). Cost is the half of the
// report that cannot be derived, so every interval runs for real, each in its
// own process so getrusage-style accounting is the view's alone.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Loadgen } from '../loadgen/run';
import { buildSchedule, scheduleSpanMs } from '../loadgen/schedule';
import { readTruth, type TruthSummary } from '../loadgen/truth';
import { formatSpec, type LoadSpec } from '../loadgen/spec';
import { Rng } from '../loadgen/rng';
import { ViewRunner, type ViewOutcome } from './runner';
import { joinTruth, joinUnion, lifetimesMs, type Joined } from './join';
import { buildReport, predictedOnly, type ViewReport } from './report';
import { resolveNetns, parseNetnsSelector } from '../netns/select';
import type { ViewName } from './views';
import { isPolled } from './views/polled';

export interface CompareOptions {
  /** netns mode: how long to watch; loadgen mode: the most the workload may take */
  durationMs: number;
  intervalsMs: number[];
  /** more intervals to predict (not measured) */
  predictMs: number[];
  loadgen?: LoadSpec;
  /** the namespace to watch (a name under /run/netns, a path, or host); with loadgen: run the workload there */
  netns?: string;
  views: ViewName[];
  sampleIntervalMs: number;
  /** seeds the random phase of every poller */
  seed: number;
  /** keep the workload's ground truth here */
  truthOut?: string;
  onProgress?: (fraction: number, text: string) => void;
  /** ends the run early (Ctrl-C): the workload stops starting flows, the report covers what ran */
  signal?: AbortSignal;
  /** write one JSON line per flow: what each view knew of it */
  flowsOut?: string;
  /** the adaptive view's coverage target and CPU budget (shares of one) */
  adaptive?: { target: number; cpuBudget: number };
}

export interface CompareResult {
  mode: 'loadgen' | 'netns';
  netns: string;
  workload?: { spec: string; summary: TruthSummary; truth_file?: string };
  flows_total: number;
  lifetimes_source: string;
  views: ViewReport[];
  predictions: ReturnType<typeof predictedOnly>;
  duration_ms: number;
}

export const DEFAULT_ADAPTIVE = { target: 0.9, cpuBudget: 0.05 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Lets the last closes reach every view's queue before they stop. */
const SETTLE_MS = 50;
const PROGRESS_MS = 200;

function runnersFor(o: CompareOptions, netns: string): ViewRunner[] {
  const rng = new Rng(o.seed);
  const out: ViewRunner[] = [];
  for (const v of o.views) {
    if (isPolled(v)) for (const p of o.intervalsMs) out.push(new ViewRunner({ view: v, netns, intervalMs: p, phaseMs: rng.next() * p }));
    else if (v === 'adaptive')
      out.push(new ViewRunner({ view: v, netns, intervalMs: 0, phaseMs: rng.next() * 100, adaptive: o.adaptive ?? DEFAULT_ADAPTIVE }));
    else if (v === 'samples') out.push(new ViewRunner({ view: v, netns, intervalMs: o.sampleIntervalMs, phaseMs: 0 }));
    else out.push(new ViewRunner({ view: v, netns, intervalMs: 0, phaseMs: 0 }));
  }
  return out;
}

async function watch(until: Promise<unknown>, totalMs: number, o: CompareOptions, text: () => string): Promise<void> {
  const t0 = Date.now();
  let done = false;
  void until.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  while (!done) {
    o.onProgress?.(Math.min(1, (Date.now() - t0) / totalMs), text());
    await Promise.race([until.catch(() => undefined), sleep(PROGRESS_MS)]);
  }
  o.onProgress?.(1, text());
}

/** Per flow: its reference life and bytes, and per view label the first and
 * last sighting and the bytes then (absent: the view never saw it). */
function writeFlows(file: string, j: Joined, labels: readonly string[]): void {
  const fd = fs.openSync(file, 'w');
  try {
    j.flows.forEach((f, i) => {
      const views: Record<string, object> = {};
      j.sights.forEach((m, v) => {
        const s = m.get(i);
        if (s) views[labels[v]!] = { first_ns: s.first_ns.toString(), last_ns: s.last_ns.toString(), bytes: s.bytes, final: s.final };
      });
      fs.writeSync(
        fd,
        `${JSON.stringify({ id: f.id, src: f.src, sport: f.sport, dst: f.dst, dport: f.dport, start_ns: f.start_ns.toString(), end_ns: f.end_ns?.toString() ?? null, bytes: f.bytes, views })}\n`,
      );
    });
  } finally {
    fs.closeSync(fd);
  }
}

export async function runCompare(o: CompareOptions): Promise<CompareResult> {
  const started = Date.now();
  let lg: Loadgen | null = null;
  let tmp: string | null = null;
  let runners: ViewRunner[] = [];
  try {
    let netns: string;
    let truthFile = '';
    if (o.loadgen) {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcplens-compare-'));
      truthFile = o.truthOut ?? path.join(tmp, 'truth.ndjson');
      lg = new Loadgen({ spec: o.loadgen, out: truthFile, ...(o.netns ? { netns: o.netns } : {}) });
      await lg.start();
      netns = lg.netns;
    } else {
      netns = o.netns ?? 'host';
      resolveNetns(parseNetnsSelector(netns)); // a name that names nothing fails here, before any worker starts
    }
    runners = runnersFor(o, netns);
    await Promise.all(runners.map((r) => r.start()));
    for (const r of runners) r.go();

    let summary: TruthSummary | undefined;
    if (lg && o.loadgen) {
      const span = scheduleSpanMs(buildSchedule(o.loadgen));
      const finished = lg.go();
      const timeout = setTimeout(() => lg!.stop(), o.durationMs);
      o.signal?.addEventListener('abort', () => lg!.stop(), { once: true });
      await watch(finished, span, o, () => `workload ${formatSpec(o.loadgen!).split(',').slice(0, 3).join(',')}`);
      clearTimeout(timeout);
      summary = await finished;
    } else {
      const aborted = new Promise<void>((res) =>
        o.signal?.aborted ? res() : o.signal?.addEventListener('abort', () => res(), { once: true }),
      );
      await watch(Promise.race([sleep(o.durationMs), aborted]), o.durationMs, o, () => `watching ${netns}`);
    }
    await sleep(SETTLE_MS);
    const outcomes: ViewOutcome[] = await Promise.all(runners.map((r) => r.stop()));

    const joined = summary
      ? joinTruth(readTruth(truthFile), outcomes)
      : joinUnion(outcomes, new Set(resolveNetns(parseNetnsSelector(netns), false).namespaces.map((n) => n.inode)));
    const lifetimes = lifetimesMs(joined);
    if (o.flowsOut)
      writeFlows(
        o.flowsOut,
        joined,
        runners.map((r) => r.label),
      );
    return {
      mode: summary ? 'loadgen' : 'netns',
      netns,
      ...(summary && o.loadgen
        ? { workload: { spec: formatSpec(o.loadgen), summary, ...(o.truthOut ? { truth_file: o.truthOut } : {}) } }
        : {}),
      flows_total: joined.flows.length,
      lifetimes_source: joined.lifetimes_source,
      views: buildReport(joined, outcomes, lifetimes),
      predictions: predictedOnly(
        lifetimes,
        [...new Set([...o.intervalsMs, ...o.predictMs])].sort((a, b) => a - b),
      ),
      duration_ms: Date.now() - started,
    };
  } finally {
    for (const r of runners) r.close();
    lg?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
