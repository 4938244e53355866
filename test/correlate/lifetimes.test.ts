// The lifetime histogram the adaptive poll predicts from: its prediction
// against the exact mean of min(1, L/P), its decay, and the interval search.
import { expect } from 'chai';
import { LifetimeHistogram, intervalFor } from '../../src/correlate/lifetimes';
import { predictCoverage } from '../../src/compare/predict';
import { Rng } from '../../src/loadgen/rng';

describe('lifetime histogram', () => {
  it('predicts what the exact lifetimes predict, within half a point, at every interval', () => {
    const rng = new Rng(3);
    const lifetimes = Array.from({ length: 5000 }, () => (rng.next() < 0.7 ? rng.exp(20) : 200 + rng.next() * 5000));
    const h = new LifetimeHistogram(1e9, () => 0);
    for (const l of lifetimes) h.addLifetime(l);
    expect(h.total).to.equal(5000);
    for (const P of [0.5, 5, 50, 500, 5000, 50000]) {
      expect(Math.abs(h.predict(P) - predictCoverage(lifetimes, P)), `P=${P}`).to.be.below(0.005);
    }
    expect(new LifetimeHistogram(1000).predict(10)).to.be.NaN;
  });

  it('forgets by its half-life: old flows weigh half after one, and it follows a new workload', () => {
    let now = 0;
    const h = new LifetimeHistogram(1000, () => now);
    for (let i = 0; i < 100; i++) h.addLifetime(200);
    now = 1000;
    expect(h.weight()).to.be.closeTo(50, 1e-9);
    for (let i = 0; i < 100; i++) h.addLifetime(20);
    // 50 (decayed) flows of 200 ms, 100 of 20 ms: at P = 100, (50 * 1 + 100 * 0.2) / 150
    expect(h.predict(100)).to.be.closeTo((50 + 20) / 150, 0.01);
    now = 10_000;
    for (let i = 0; i < 100; i++) h.addLifetime(20);
    expect(h.predict(100)).to.be.closeTo(0.2, 0.01);
    // a clock far ahead rescales without losing the shape
    now = 1_000_000;
    h.addLifetime(20);
    expect(h.predict(100)).to.be.closeTo(0.2, 0.01);
    expect(Number.isFinite(h.weight())).to.equal(true);
  });

  it('finds the longest interval that reaches a target, within its bounds', () => {
    const h = new LifetimeHistogram(1e9, () => 0);
    for (let i = 0; i < 100; i++) h.addLifetime(90);
    const p = intervalFor((x) => h.predict(x), 0.9, 1, 10_000);
    expect(p).to.be.closeTo(100, 1);
    expect(intervalFor((x) => h.predict(x), 0.9, 1, 50)).to.equal(50); // the ceiling reaches it
    expect(intervalFor((x) => h.predict(x), 0.9, 200, 1000)).to.equal(200); // even the floor does not
    expect(intervalFor(() => NaN, 0.9, 1, 100)).to.be.NaN;
  });
});
