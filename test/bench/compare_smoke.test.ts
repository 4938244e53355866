// Keeps bench/compare working: its --smoke run (300 flows, 1 rep) for real,
// checking that every tcplens figure is printed beside its anchor from the
// same run with a ratio, and the anchors saw the workload.
import { expect } from 'chai';
import { smokeRun } from '../helpers/bench';
import { isRoot } from '../helpers/netns';
import { haveCommand, skipIf } from '../helpers/skip';

const has = haveCommand;

describe('bench/compare --smoke', function () {
  this.timeout(180_000);

  it('prints poll cost beside ss and the events view beside bpftrace, from one run', function () {
    skipIf(this, !isRoot(), 'needs root (network namespaces, eBPF)');
    for (const tool of ['bpftrace', 'bpftool']) skipIf(this, !has(tool), `${tool} not installed (scripts/bootstrap.sh installs it)`);
    const out = smokeRun('bench/compare/run.sh');
    expect(out).to.match(/^tcplens compare benchmark: rate=300,flows=300,.* \(300 flows\), 1 rep\(s\)/m);
    const ss = /^ss -tinmHO every 100 ms: (\d+) us\/poll .*, (\d+) polls per rep/m.exec(out);
    expect(ss, out).to.not.equal(null);
    expect(Number(ss![1])).to.be.above(0);
    expect(Number(ss![2])).to.be.at.least(3);
    for (const P of [100, 1000]) {
      const m = new RegExp(`^poll ${P} ms \\| ([\\d.]+)% \\| (\\d+) us/poll \\| ss (\\d+) us/poll \\| ([\\d.]+)x$`, 'm').exec(out);
      expect(m, `poll ${P} row in\n${out}`).to.not.equal(null);
      expect(Number(m![2])).to.be.above(0);
      expect(Number(m![4])).to.be.closeTo(Number(m![3]) / Number(m![2]), 0.02 * Number(m![4]) + 0.01);
    }
    expect(out).to.match(/^destroy \| 100\.00% \| [\d.]+ us\/close/m);
    // targeted snapshots beside the 10 ms poll on flows that outlive its gather: both see (nearly) all
    const tg =
      /^targeted \(rate=200,flows=200,duration=60ms\) \| ([\d.]+)% \| ([\d.]+) ms CPU .* \| poll 10 ms ([\d.]+)%, ([\d.]+) ms \| ([\d.]+)x/m.exec(
        out,
      );
    expect(tg, `targeted row in\n${out}`).to.not.equal(null);
    expect(Number(tg![1])).to.be.at.least(90);
    expect(Number(tg![5])).to.be.closeTo(Number(tg![2]) / Number(tg![4]), 0.01);
    const ev =
      /^events \| ([\d.]+)% \| ([\d.]+) us\/event user \+ ([\d.]+) us\/run kernel \| bpftrace count ([\d.]+) us\/run kernel .* \| kernel ([\d.]+)x, total ([\d.]+)x$/m.exec(
        out,
      );
    if (ev) {
      expect(Number(ev[1])).to.equal(100);
      for (const i of [2, 3, 4]) expect(Number(ev[i])).to.be.above(0);
      expect(out).to.match(/^bpftrace counted [1-9]\d* state changes per rep/m);
    } else {
      expect(out, 'events row: measured, or why not').to.match(/^events \| not measured: .+/m);
    }
  });
});
