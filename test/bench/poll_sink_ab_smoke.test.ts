// Keeps bench/poll/sink_ab.sh working: its --smoke mode (2,000 sockets, 1 rep,
// 5 s runs) with this tree three times, the second with V8's semi-spaces capped as
// the DaemonSet and the systemd unit start it, the third with a `tcplens run`
// option (a variant's fourth field); checks every row, and the ratios to the first (the anchor).
import { expect } from 'chai';
import * as path from 'path';
import { isRoot } from '../helpers/netns';
import { smokeRun } from '../helpers/bench';
import { skipIf } from '../helpers/skip';

describe('bench/poll/sink_ab.sh --smoke', function () {
  this.timeout(300_000); // ~1 min on an idle machine

  it('runs each variant on the farm and on an empty namespace, beside the first as anchor', function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    const root = path.resolve(__dirname, '../../..');
    const out = smokeRun(
      'bench/poll/sink_ab.sh',
      '--variant',
      `plain=${root}`,
      '--variant',
      `capped=${root}|--max-semi-space-size=4`,
      '--variant',
      `ring1m=${root}|||--ring-bytes 1MiB`,
    );
    expect(out, out).to.match(/^tcplens run, 20\d\d sockets, medians of 1 interleaved reps/m);
    for (const v of ['plain', 'capped', 'ring1m']) {
      // variant, peak RSS MB, x anchor, empty-ns MB, above empty, CPU s, x anchor, cycles
      const m = new RegExp(`^${v}\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)\\s+(-?[\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)\\s+(\\d+)`, 'm').exec(
        out,
      );
      expect(m, `${v} row\n${out}`).to.not.equal(null);
      const [rss, , empty, , cpu, , cycles] = m!.slice(1).map(Number);
      expect(rss, `${v}: peak RSS MB`).to.be.within(30, 2000);
      expect(empty, `${v}: empty-namespace RSS MB`).to.be.within(30, 2000);
      expect(cpu, `${v}: CPU s`).to.be.greaterThan(0);
      expect(cycles, `${v}: cycles`).to.be.at.least(1);
    }
    expect(/^plain\s+[\d.]+\s+1\.00\s/m.test(out), `the anchor's own ratio is 1.00\n${out}`).to.equal(true);
    expect(out).to.match(/^load average: /m);
  });
});
