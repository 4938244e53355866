// Keeps bench/metrics working: its --smoke mode prints every figure beside
// its anchor with a ratio.
import { expect } from 'chai';
import { smokeRun } from '../helpers/bench';
import { isRoot } from '../helpers/netns';
import { skipIf } from '../helpers/skip';

describe('bench/metrics --smoke', function () {
  this.timeout(120_000);

  it('prints the scrape, observed cycle, BPF accounting and TCP health costs beside their anchors', function () {
    skipIf(this, !isRoot(), 'needs root for namespaces and BPF');
    const out = smokeRun('dist/bench/metrics/bench.js');
    for (const ratio of ['scrape/cycle', 'scrape/bare', 'observed/raw', 'on/off']) {
      const m = new RegExp(`${ratio} = (\\d+\\.\\d+)`).exec(out);
      expect(m, `${ratio} in:\n${out}`).to.not.equal(null);
      expect(Number(m![1])).to.be.greaterThan(0);
    }
    // the health lines: scrape, idle tick, fresh table, each with/without
    const health = [...out.matchAll(/health\/without = (\d+\.\d+)/g)].map((x) => Number(x[1]));
    expect(health, out).to.have.length(3);
    for (const x of health) expect(x).to.be.greaterThan(0);
    expect(out).to.match(/TCP health at \d+ flows \(2000 sockets/);
  });
});
