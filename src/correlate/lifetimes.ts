// Flow lifetimes as a decaying histogram: what the adaptive poll
// (src/run/adaptive.ts) predicts its coverage from. Fed one lifetime per
// closed flow whose whole life is known (the events view's close carries its
// duration); recent flows weigh more, with a half-life in time, so the
// prediction follows a workload that changes.
//
// Log-spaced buckets (BUCKETS_PER_DECADE per decade, 1 us to ~3 h), each
// with its weight and its weighted sum of lifetimes: a bucket counts as all
// its flows at their mean lifetime, at most ~4% off a bucket's edge. Forward
// decay: a flow added at t weighs 2^((t - ref) / halfLife); reads divide by
// the weight of now, so adding is O(1) and nothing is rescaled per flow.

/** Where closed flows' lifetimes go (the flow table's hook). */
export interface LifetimeSink {
  /** a flow closed now after living `ms` milliseconds */
  addLifetime(ms: number): void;
}

const BUCKETS_PER_DECADE = 32;
const MIN_MS = 1e-3;
const DECADES = 10;
const N = BUCKETS_PER_DECADE * DECADES;
/** past this forward weight the histogram is rescaled (2^600 is far from overflow) */
const RESCALE_LOG2 = 600;

/** The longest interval in [minMs, maxMs] whose predicted coverage is at
 * least `target` (minMs when none is; NaN when nothing is known), given a
 * prediction that falls as the interval grows. */
export function intervalFor(predict: (intervalMs: number) => number, target: number, minMs: number, maxMs: number): number {
  const atMax = predict(maxMs);
  if (Number.isNaN(atMax)) return NaN;
  if (atMax >= target) return maxMs;
  if (predict(minMs) < target) return minMs;
  let lo = Math.log(minMs),
    hi = Math.log(maxMs);
  for (let k = 0; k < 30; k++) {
    const mid = (lo + hi) / 2;
    if (predict(Math.exp(mid)) >= target) lo = mid;
    else hi = mid;
  }
  return Math.exp(lo);
}

export class LifetimeHistogram implements LifetimeSink {
  private readonly w = new Float64Array(N);
  private readonly sum = new Float64Array(N);
  private ref: number;
  private added = 0;

  /** halfLifeMs: a flow that closed this long ago weighs half of one closing now */
  constructor(
    readonly halfLifeMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(halfLifeMs > 0)) throw new RangeError('LifetimeHistogram: halfLifeMs must be > 0');
    this.ref = this.now();
  }

  /** lifetimes added since the start, undecayed */
  get total(): number {
    return this.added;
  }

  addLifetime(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    const t = this.now();
    let e = (t - this.ref) / this.halfLifeMs;
    if (e > RESCALE_LOG2) {
      this.rescale(t);
      e = 0;
    }
    const g = 2 ** e;
    const i = bucketOf(ms);
    this.w[i] = this.w[i]! + g;
    this.sum[i] = this.sum[i]! + g * ms;
    this.added++;
  }

  /** the decayed number of flows now (a flow closing now counts 1) */
  weight(): number {
    let s = 0;
    for (let i = 0; i < N; i++) s += this.w[i]!;
    return s / this.scaleNow();
  }

  /** Expected share of these flows a poll every `intervalMs` (random phase)
   * sees: the weighted mean of min(1, L / P). NaN with no flows. */
  predict(intervalMs: number): number {
    return this.predictWith((l) => Math.min(1, l / intervalMs));
  }

  /** The weighted mean of seen(L): the share of flows seen, given the share
   * seen of flows of each lifetime (e.g. PollGaps.seen). NaN with no flows. */
  predictWith(seen: (lifetimeMs: number) => number): number {
    let w = 0,
      s = 0;
    for (let i = 0; i < N; i++) {
      const wi = this.w[i]!;
      if (wi === 0) continue;
      w += wi;
      s += wi * seen(this.sum[i]! / wi);
    }
    return w > 0 ? s / w : NaN;
  }

  private scaleNow(): number {
    return 2 ** ((this.now() - this.ref) / this.halfLifeMs);
  }

  private rescale(t: number): void {
    const k = 2 ** ((this.ref - t) / this.halfLifeMs);
    for (let i = 0; i < N; i++) {
      this.w[i] = this.w[i]! * k;
      this.sum[i] = this.sum[i]! * k;
    }
    this.ref = t;
  }
}

function bucketOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  const i = Math.floor(Math.log10(ms / MIN_MS) * BUCKETS_PER_DECADE);
  return Math.min(N - 1, i);
}
