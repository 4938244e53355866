// Keeps bench/metrics working: its --smoke mode prints every figure beside
// its anchor with a ratio.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { isRoot } from '../helpers/netns';
import { skipIf } from '../helpers/skip';

const ROOT = path.resolve(__dirname, '../../..');

describe('bench/metrics --smoke', function () {
  this.timeout(120_000);

  it('prints the scrape, observed cycle, BPF accounting and TCP health costs beside their anchors', function () {
    skipIf(this, !isRoot(), 'needs root for namespaces and BPF');
    const r = spawnSync('node', [path.join(ROOT, 'dist/bench/metrics/bench.js'), '--smoke'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
    for (const ratio of ['scrape/cycle', 'scrape/bare', 'observed/raw', 'on/off']) {
      const m = new RegExp(`${ratio} = (\\d+\\.\\d+)`).exec(r.stdout);
      expect(m, `${ratio} in:\n${r.stdout}`).to.not.equal(null);
      expect(Number(m![1])).to.be.greaterThan(0);
    }
    // the health lines: scrape, idle tick, fresh table, each with/without
    const health = [...r.stdout.matchAll(/health\/without = (\d+\.\d+)/g)].map((x) => Number(x[1]));
    expect(health, r.stdout).to.have.length(3);
    for (const x of health) expect(x).to.be.greaterThan(0);
    expect(r.stdout).to.match(/TCP health at \d+ flows \(2000 sockets/);
  });
});
