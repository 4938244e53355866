// The coverage model against a direct simulation of random-phase polling:
// for seeded random lifetimes and phases, count the flows a grid of polls
// hits and compare with min(1, L/P) averaged over flows.
import { expect } from 'chai';
import { predictCoverage, coverageSigma, predictAll } from '../../src/compare/predict';
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
});
