import { expect } from 'chai';
import { CumulativeHistogram } from '../../src/metrics/histogram';

describe('CumulativeHistogram', () => {
  it('counts a value in the first bucket whose bound it does not exceed, past the last in +Inf', () => {
    const h = new CumulativeHistogram([1, 2, 5]);
    for (const v of [0, 1, 1.5, 2, 4.9, 5, 5.1, 100]) h.observe(v);
    expect(h.counts).to.deep.equal([2, 2, 2, 2]);
    expect(h.count).to.equal(8);
    expect(h.sum).to.be.closeTo(119.5, 1e-9);
  });

  it('with no bounds, every value is +Inf', () => {
    const h = new CumulativeHistogram([]);
    h.observe(3);
    expect(h.counts).to.deep.equal([1]);
  });
});
