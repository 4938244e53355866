// Coverage a poll interval would have had, from flow lifetimes alone: a poll
// every P with a random phase catches a flow that lives L with probability
// min(1, L / P) (some grid point falls inside [open, close)). The mean over
// flows is the expected share seen; its binomial spread says how far a
// measurement may be from it by chance.

//
// A dump is not instantaneous: it walks the hash for walkMs, and a flow's two
// sockets (client and server, when both are watched) sit in random buckets,
// walked |U1 - U2| * walkMs apart. Seeing either one sees the flow, so its
// window widens by min(L, |U1 - U2| * walkMs): by walkMs / 3 on average for a
// flow that outlives the walk.

/** Mean widening of a flow's window by a walk of `walkMs` (|U1 - U2| has density 2(1 - x) on [0, 1]). */
export function walkWidening(lifeMs: number, walkMs: number): number {
  if (!(walkMs > 0) || !(lifeMs > 0)) return 0;
  const a = lifeMs / walkMs;
  return a >= 1 ? walkMs / 3 : walkMs * (a - a * a + (a * a * a) / 3);
}

/** The chance a poll every `intervalMs`, walking for `walkMs`, sees a flow that lives `lifeMs`. */
export function seenChance(lifeMs: number, intervalMs: number, walkMs = 0): number {
  const l = Math.max(0, lifeMs);
  return Math.min(1, (l + walkWidening(l, walkMs)) / intervalMs);
}

/** Expected share of flows a poll every `intervalMs` sees. */
export function predictCoverage(lifetimesMs: readonly number[], intervalMs: number, walkMs = 0): number {
  if (lifetimesMs.length === 0) return NaN;
  let sum = 0;
  for (const l of lifetimesMs) sum += seenChance(l, intervalMs, walkMs);
  return sum / lifetimesMs.length;
}

/** Standard deviation of the share seen: flows are seen independently with their own p. */
export function coverageSigma(lifetimesMs: readonly number[], intervalMs: number, walkMs = 0): number {
  if (lifetimesMs.length === 0) return NaN;
  let v = 0;
  for (const l of lifetimesMs) {
    const p = seenChance(l, intervalMs, walkMs);
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
