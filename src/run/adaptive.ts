// The adaptive poll (--coverage-target, --cpu-budget): after every cycle,
// the interval that reaches the coverage target by the lifetimes seen so far
// (src/correlate/lifetimes.ts), within the CPU budget.
//
// Coverage of a poll every P (random phase) = mean of min(1, L / P) over the
// flows' lifetimes L when every cycle comes exactly on time; cycles that come
// late (a slow dump, no CPU) see less, so the prediction uses the gaps the
// last cycles really had, as lateness against what they asked for
// (src/correlate/poll_gaps.ts). Two histograms, a fast one (its clock counts closes:
// the last ~100 flows weigh most, so it follows a change as fast as flows
// come) and a slow one (half-life in time: steady when flows are few); the
// interval is the shorter of their answers, so a turn to shorter flows is followed at once
// and a turn to longer ones a little later. Then the budget: a cycle costs
// C ms of CPU (measured, smoothed), so the interval is at least C / budget;
// and a poll cannot come more often than a cycle lasts.
import { LifetimeHistogram, intervalFor, type LifetimeSink } from '../correlate/lifetimes';
import { PollGaps } from '../correlate/poll_gaps';

export interface AdaptiveOptions {
  /** share of flows to see, (0, 1] */
  target: number;
  /** share of one CPU the poll may use, (0, 1] */
  cpuBudget: number;
  /** the interval until enough lifetimes are known */
  initialMs: number;
  minMs: number;
  maxMs: number;
  /** half-life of the fast histogram in closed flows (default 64) and of the slow one in ms (default 60 s) */
  fastHalfLifeFlows?: number;
  slowHalfLifeMs?: number;
  /** a histogram is used once it holds at least this many (decayed) flows (default 20) */
  minFlows?: number;
  now?: () => number;
}

/** What set the interval: the target, the CPU budget, the cycle's own duration, a bound, or nothing known yet. */
export type IntervalLimit = 'no_data' | 'target' | 'budget' | 'dump' | 'floor' | 'ceiling';
export const INTERVAL_LIMITS: readonly IntervalLimit[] = ['no_data', 'target', 'budget', 'dump', 'floor', 'ceiling'];

export interface AdaptiveStats {
  target: number;
  cpuBudget: number;
  intervalMs: number;
  /** predicted coverage at the interval chosen (null until lifetimes are known) */
  predictedCoverage: number | null;
  limit: IntervalLimit;
  /** lifetimes fed since the start */
  lifetimes: number;
  /** the mean lateness of the recent cycles, ms */
  lateMs: number;
  /** smoothed CPU and wall time of one cycle, ms */
  cycleCpuMs: number;
  cycleWallMs: number;
  /** intervals chosen so far (one per cycle) */
  decisions: number;
}

/** cycles whose lateness is remembered */
const GAPS_KEPT = 32;
/** a cycle later than this many intervals counts as this late */
const LATE_CLIP = 4;
/** smoothing of the per-cycle cost */
const ALPHA = 0.2;
/** the interval grows at most this much per cycle (it shrinks at once) */
const MAX_GROWTH = 2;

export class AdaptiveInterval implements LifetimeSink {
  private readonly fast: LifetimeHistogram;
  private readonly slow: LifetimeHistogram;
  private readonly minFlows: number;
  private closes = 0;
  /** closes when the interval was last chosen */
  private chosenAt = 0;
  private cpuMs = 0;
  private wallMs = 0;
  private cycles = 0;
  /** each recent cycle's gap from the previous one minus the interval asked for */
  private readonly late: number[] = [];
  private lastMid: number | null = null;
  private s: { intervalMs: number; predicted: number | null; limit: IntervalLimit };

  constructor(readonly opts: AdaptiveOptions) {
    if (!(opts.target > 0 && opts.target <= 1)) throw new RangeError('target must be in (0, 1]');
    if (!(opts.cpuBudget > 0 && opts.cpuBudget <= 1)) throw new RangeError('cpuBudget must be in (0, 1]');
    if (!(opts.minMs > 0 && opts.maxMs >= opts.minMs)) throw new RangeError('need 0 < minMs <= maxMs');
    const now = opts.now ?? (() => performance.now());
    this.fast = new LifetimeHistogram(opts.fastHalfLifeFlows ?? 64, () => this.closes);
    this.slow = new LifetimeHistogram(opts.slowHalfLifeMs ?? 60_000, now);
    this.minFlows = opts.minFlows ?? 20;
    this.s = { intervalMs: clamp(opts.initialMs, opts.minMs, opts.maxMs), predicted: null, limit: 'no_data' };
  }

  /** The interval now: chosen again when lifetimes came in since the last
   * choice, so a turn to shorter flows shortens the wait already under way. */
  get intervalMs(): number {
    if (this.closes !== this.chosenAt && this.cycles > 0) this.s = this.choose();
    return this.s.intervalMs;
  }

  addLifetime(ms: number): void {
    this.closes++;
    this.fast.addLifetime(ms);
    this.slow.addLifetime(ms);
  }

  /** Predicted coverage of a poll asked to come every `intervalMs`, as late
   * as the last cycles were, by the histograms in use (the lower; NaN with none). */
  predict(intervalMs: number, hs = this.usable()): number {
    const gaps = PollGaps.shifted(intervalMs, this.late);
    const p = hs.map((h) => h.predictWith((l) => gaps.seen(l)));
    return p.length ? Math.min(...p) : NaN;
  }

  /** A cycle ended: its cost and its gap from the previous one are counted
   * and the next interval chosen. startMs: when it began (monotonic ms). */
  afterCycle(cycleCpuMs: number, cycleWallMs: number, startMs: number): number {
    // a dump samples its sockets over its walk: its midpoint is its instant
    const mid = startMs + cycleWallMs / 2;
    if (this.lastMid !== null) {
      // one pause (a suspended host, a stopped process) is not how late cycles come: clipped
      this.late.push(Math.min(mid - this.lastMid - this.s.intervalMs, LATE_CLIP * this.s.intervalMs));
      if (this.late.length > GAPS_KEPT) this.late.shift();
    }
    this.lastMid = mid;
    const first = this.cycles++ === 0;
    this.cpuMs = first ? cycleCpuMs : this.cpuMs + ALPHA * (cycleCpuMs - this.cpuMs);
    this.wallMs = first ? cycleWallMs : this.wallMs + ALPHA * (cycleWallMs - this.wallMs);
    this.s = this.choose();
    return this.s.intervalMs;
  }

  stats(): AdaptiveStats {
    return {
      target: this.opts.target,
      cpuBudget: this.opts.cpuBudget,
      intervalMs: this.s.intervalMs,
      predictedCoverage: this.s.predicted,
      limit: this.s.limit,
      lifetimes: this.slow.total,
      lateMs: this.late.length ? this.late.reduce((a, b) => a + b, 0) / this.late.length : 0,
      cycleCpuMs: this.cpuMs,
      cycleWallMs: this.wallMs,
      decisions: this.cycles,
    };
  }

  private usable(): LifetimeHistogram[] {
    return [this.fast, this.slow].filter((h) => h.weight() >= this.minFlows);
  }

  private choose(): { intervalMs: number; predicted: number | null; limit: IntervalLimit } {
    this.chosenAt = this.closes;
    const o = this.opts;
    const hs = this.usable();
    if (!hs.length) return { intervalMs: this.s.intervalMs, predicted: null, limit: 'no_data' };
    let p = Math.min(...hs.map((h) => intervalFor((x) => this.predict(x, [h]), o.target, o.minMs, o.maxMs)));
    let limit: IntervalLimit = 'target';
    if (p <= o.minMs && this.predict(o.minMs) < o.target) limit = 'floor';
    const budgetMs = this.cpuMs / o.cpuBudget;
    if (budgetMs > p) {
      p = budgetMs;
      limit = 'budget';
    }
    if (p > this.s.intervalMs * MAX_GROWTH) p = this.s.intervalMs * MAX_GROWTH;
    if (p > o.maxMs) {
      p = o.maxMs;
      if (limit === 'budget') limit = 'ceiling';
    }
    if (this.wallMs > p && limit === 'target') limit = 'dump';
    return { intervalMs: p, predicted: this.predict(p, hs), limit };
  }
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** Runs one cycle and measures it: the process's CPU (every thread: the dumps
 * run off the JS thread) and the wall time, in ms. */
export async function measureCycle<T>(fn: () => Promise<T>): Promise<{ result: T; cpuMs: number; wallMs: number; startMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { result, cpuMs: (c.user + c.system) / 1000, wallMs, startMs: t0 };
}
