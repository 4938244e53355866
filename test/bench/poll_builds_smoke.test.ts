// Keeps bench/poll/builds.sh working: its --smoke mode (2,000 sockets, 1 rep,
// 7 s runs) with this tree as both builds; checks both rows are there with
// runs, cycles and a whole-run ratio, and the paired line.
import { expect } from 'chai';
import * as path from 'path';
import { isRoot } from '../helpers/netns';
import { smokeRun } from '../helpers/bench';
import { skipIf } from '../helpers/skip';

describe('bench/poll/builds.sh --smoke', function () {
  this.timeout(300_000); // ~1 min on an idle machine

  it('runs two builds side by side on one farm and pairs them per rep', function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    const out = smokeRun('bench/poll/builds.sh', '--base', path.resolve(__dirname, '../../..'));
    expect(out, out).to.match(/^sockets 20\d\d; 1 reps; floor [\d.]+ us\/socket/m);
    for (const v of ['base', 'this']) {
      // at 2,000 sockets the whole run is mostly start-up: the ratio may come out at or under 0
      const row = new RegExp(`^${v}\\s+1\\s+(-?[\\d.]+)\\s`, 'm').exec(out);
      expect(row, `${v} row\n${out}`).to.not.equal(null);
      expect(Number.isFinite(Number(row![1])), `${v}: whole run x floor`).to.equal(true);
    }
    // (either sign, as the rows: this and base can each come out under their empty runs here)
    expect(out).to.match(/^per rep, this\/base: whole run -?[\d.]+ \(median -?[\d.]+\)/m);
    // "as 5 cycles" needs a third cycle, which a smoke run may not make
    expect(out).to.match(/^goal: whole run <= 2x the floor: this -?[\d.]+x \(as 5 cycles (-?[\d.]+x|-)\) (MET|NOT MET)/m);
  });
});
