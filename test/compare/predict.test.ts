// The coverage model against a direct simulation of random-phase polling:
// for seeded random lifetimes and phases, count the flows a grid of polls
// hits and compare with min(1, L/P) averaged over flows.
import { expect } from 'chai';
import { predictCoverage, coverageSigma, predictAll, walkWidening } from '../../src/compare/predict';
import { Rng } from '../../src/loadgen/rng';

function simulate(lifetimes: number[], P: number, rng: Rng): number {
  let seen = 0;
  const phase = rng.next() * P;
  let t = 0;
  for (const L of lifetimes) {
    t += rng.exp(7); // flows arrive at random, so each has its own phase against the grid
    const firstPoll = phase + Math.ceil((t - phase) / P) * P;
    if (firstPoll < t + L) seen++;
  }
  return seen / lifetimes.length;
}

/** A poll whose dump walks for `walk` ms, of flows with two sockets in random
 * buckets: a socket is seen when the walk reaches its bucket while it lives. */
function simulateWalk(lifetimes: number[], P: number, walk: number, rng: Rng): number {
  let seen = 0;
  for (const L of lifetimes) {
    const start = rng.next() * P; // against a dump starting at 0, P, 2P, ...
    const hit = [rng.next(), rng.next()].some((u) => {
      // the first dump time k*P + u*walk at or after start
      const at = u * walk + Math.ceil((start - u * walk) / P) * P;
      return at <= start + L;
    });
    if (hit) seen++;
  }
  return seen / lifetimes.length;
}

describe('coverage prediction', () => {
  it('is min(1, L/P) per flow', () => {
    expect(predictCoverage([5, 5, 5, 5], 1000)).to.equal(0.005);
    expect(predictCoverage([5, 2000], 1000)).to.equal((0.005 + 1) / 2);
    expect(predictCoverage([], 10)).to.be.NaN;
    expect(coverageSigma([2000, 2000], 1000)).to.equal(0);
    expect(predictAll([50], [10, 100]).map((p) => p.predicted_coverage)).to.deep.equal([1, 0.5]);
  });

  it('matches a simulated random-phase poll within 4 sigma at every interval', () => {
    const rng = new Rng(77);
    const lifetimes = Array.from({ length: 20000 }, () => (rng.next() < 0.9 ? rng.exp(8) : 500 + rng.next() * 3000));
    for (const P of [1, 10, 100, 1000, 10000]) {
      const sim = simulate(lifetimes, P, rng);
      const pred = predictCoverage(lifetimes, P);
      expect(Math.abs(sim - pred), `P=${P}: simulated ${sim} predicted ${pred}`).to.be.at.most(4 * coverageSigma(lifetimes, P) + 1e-9);
    }
  });

  it('a walk of d ms widens a two-ended flow by d/3 (L >= d) and less for shorter ones, as a simulated walk does', () => {
    expect(walkWidening(10, 3)).to.be.closeTo(1, 1e-12);
    expect(walkWidening(3, 3)).to.be.closeTo(1, 1e-12); // continuous at L = d
    expect(walkWidening(0, 3)).to.equal(0);
    expect(walkWidening(5, 0)).to.equal(0);
    const rng = new Rng(78);
    for (const [P, walk, L] of [
      [10, 2, 5],
      [10, 4, 1],
      [10, 8, 3],
      [100, 4, 5],
    ] as const) {
      const lifetimes = Array.from({ length: 40000 }, () => L * (0.8 + 0.4 * rng.next()));
      const sim = simulateWalk(lifetimes, P, walk, rng);
      const pred = predictCoverage(lifetimes, P, walk);
      const plain = predictCoverage(lifetimes, P);
      const label = `P=${P} walk=${walk} L~${L}: simulated ${sim} predicted ${pred} (plain ${plain})`;
      expect(Math.abs(sim - pred), label).to.be.at.most(4 * coverageSigma(lifetimes, P, walk) + 1e-9);
      expect(pred).to.be.above(plain);
    }
  });
});
