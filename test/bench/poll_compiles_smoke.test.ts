// Keeps bench/poll/compiles.sh working: its --smoke mode (2,000 sockets, one
// 7 s traced run); checks the report found the cycles, counted compiles per
// segment and saw the protector the stage pool drops at start (stage.ts).
import { expect } from 'chai';
import { isRoot } from '../helpers/netns';
import { smokeRun } from '../helpers/bench';
import { skipIf } from '../helpers/skip';

describe('bench/poll/compiles.sh --smoke', function () {
  this.timeout(300_000); // ~20 s on an idle machine

  it("splits one traced run's TurboFan compiles and deopts per cycle", function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    const out = smokeRun('bench/poll/compiles.sh');
    expect(out, out).to.match(/^== this \(rep 1, load [\d.]+\)$/m);
    expect(out).to.match(/^cycles \(ms of wall time\): \d+( \d+)+$/m); // at least two cycles in 7 s at 3 s
    const m = /^TurboFan compiles: (\d+); per segment: start \d+ \(\d+ ms\), c1 (\d+) /m.exec(out);
    expect(m, out).to.not.equal(null);
    expect(Number(m![1])).to.be.greaterThan(Number(m![2]));
    expect(out).to.match(/^ {2}1 start protector ArrayBufferDetaching$/m);
  });
});
