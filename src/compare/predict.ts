// Coverage a poll interval would have had, from flow lifetimes alone: a poll
// every P with a random phase catches a flow that lives L with probability
// min(1, L / P) (some grid point falls inside [open, close)). The mean over
// flows is the expected share seen; its binomial spread says how far a
// measurement may be from it by chance.

/** Expected share of flows a poll every `intervalMs` sees. */
export function predictCoverage(lifetimesMs: readonly number[], intervalMs: number): number {
  if (lifetimesMs.length === 0) return NaN;
  let sum = 0;
  for (const l of lifetimesMs) sum += Math.min(1, Math.max(0, l) / intervalMs);
  return sum / lifetimesMs.length;
}

/** Standard deviation of the share seen: flows are seen independently with their own p. */
export function coverageSigma(lifetimesMs: readonly number[], intervalMs: number): number {
  if (lifetimesMs.length === 0) return NaN;
  let v = 0;
  for (const l of lifetimesMs) {
    const p = Math.min(1, Math.max(0, l) / intervalMs);
    v += p * (1 - p);
  }
  return Math.sqrt(v) / lifetimesMs.length;
}

export interface Prediction {
  interval_ms: number;
  predicted_coverage: number;
  sigma: number;
}

export function predictAll(lifetimesMs: readonly number[], intervalsMs: readonly number[]): Prediction[] {
  return intervalsMs.map((p) => ({
    interval_ms: p,
    predicted_coverage: predictCoverage(lifetimesMs, p),
    sigma: coverageSigma(lifetimesMs, p),
  }));
}
