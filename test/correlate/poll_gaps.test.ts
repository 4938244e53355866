// The share a poll with irregular gaps sees, against a simulation that lays
// flows at random over a real sequence of such gaps.
import { expect } from 'chai';
import { PollGaps, predictFromGaps } from '../../src/correlate/poll_gaps';
import { Rng } from '../../src/loadgen/rng';

function simulate(gaps: number[], lifetimes: number[], rng: Rng): number {
  const instants: number[] = [0];
  for (const g of gaps) instants.push(instants[instants.length - 1]! + g);
  const end = instants[instants.length - 1]!;
  let seen = 0;
  for (const L of lifetimes) {
    const b = rng.next() * (end - L); // wholly inside the polled span
    // first instant at or after b
    let lo = 0,
      hi = instants.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (instants[m]! >= b) hi = m;
      else lo = m + 1;
    }
    if (lo < instants.length && instants[lo]! < b + L) seen++;
  }
  return seen / lifetimes.length;
}

describe('poll gaps', () => {
  it('equal gaps give min(1, L/P)', () => {
    const g = new PollGaps([100, 100, 100]);
    expect(g.seen(50)).to.be.closeTo(0.5, 1e-12);
    expect(g.seen(100)).to.equal(1);
    expect(g.seen(250)).to.equal(1);
    expect(PollGaps.shifted(100, []).seen(25)).to.be.closeTo(0.25, 1e-12);
    expect(new PollGaps([]).seen(5)).to.be.NaN;
  });

  it('irregular gaps see less than their mean promises, as a simulation does', () => {
    const rng = new Rng(11);
    // a poll asked every 50 ms that comes up to 60 ms late, often
    const gaps = Array.from({ length: 4000 }, () => 50 + (rng.next() < 0.4 ? rng.next() * 60 : 0));
    const lifetimes = Array.from({ length: 40000 }, () => rng.exp(40));
    const model = predictFromGaps(lifetimes, new PollGaps(gaps));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const naive = lifetimes.reduce((a, l) => a + Math.min(1, l / mean), 0) / lifetimes.length;
    const sim = simulate(gaps, lifetimes, rng);
    const sigma = Math.sqrt((sim * (1 - sim)) / lifetimes.length);
    expect(Math.abs(model - sim), `model ${model} simulated ${sim}`).to.be.below(4 * sigma + 0.002);
    expect(naive - sim, `min(1, L/mean gap) ${naive} overestimates ${sim}`).to.be.above(0.01);
  });

  it('shifted(): the gaps a poll asked for P would have, given past lateness', () => {
    const g = PollGaps.shifted(100, [0, 50]);
    expect(g.mean).to.equal(125);
    // L = 100: the 150 ms gap misses 50 of its 150: 1 - 50 / 2 / 125
    expect(g.seen(100)).to.be.closeTo(1 - 25 / 125, 1e-12);
  });
});
