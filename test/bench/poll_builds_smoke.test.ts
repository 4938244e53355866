// Keeps bench/poll/builds.sh working: its --smoke mode (2,000 sockets, 1 rep,
// 7 s runs) with this tree as both builds, this one with --this-args (the
// iterator poll writing only what moved); checks both rows are there with
// runs, cycles, a whole-run ratio and the rows they wrote, and the paired line.
import { expect } from 'chai';
import * as path from 'path';
import { isRoot } from '../helpers/netns';
import { smokeRun } from '../helpers/bench';
import { skipIf } from '../helpers/skip';

describe('bench/poll/builds.sh --smoke', function () {
  this.timeout(300_000); // ~1 min on an idle machine

  it('runs two builds side by side on one farm and pairs them per rep', function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    const args = '--poll-via iter --changes-only';
    const out = smokeRun('bench/poll/builds.sh', '--base', path.resolve(__dirname, '../../..'), '--this-args', args);
    expect(out, out).to.match(/^sockets 20\d\d; 1 reps; floor [\d.]+ us\/socket/m);
    expect(out).to.include(`this runs with: ${args}`);
    const rows = new Map<string, number[]>();
    for (const v of ['base', 'this']) {
      // build runs whole five steady c1 c2 later cycles rss snapshots-a-cycle
      const row = new RegExp(`^${v}\\s+1\\s+(.*)$`, 'm').exec(out);
      expect(row, `${v} row\n${out}`).to.not.equal(null);
      const cols = row![1]!.trim().split(/\s+/).map(Number); // '-' (not measured) becomes NaN
      expect(cols, `${v} row\n${out}`).to.have.length(9);
      // at 2,000 sockets the whole run is mostly start-up: the ratio may come out at or under 0
      expect(Number.isFinite(cols[0]), `${v}: whole run x floor`).to.equal(true);
      rows.set(v, cols);
    }
    // the default writes every socket each cycle; after its first (full) cycle
    // --changes-only writes the farm's listeners only, so fewer a cycle once a second cycle ran
    const CYCLES = 6,
      SNAPS = 8;
    const col = (v: string, i: number): number => rows.get(v)?.[i] ?? NaN;
    expect(col('base', SNAPS), out).to.be.at.least(2000);
    if (col('this', CYCLES) >= 2) expect(col('this', SNAPS), out).to.be.below(col('base', SNAPS));
    // (either sign, as the rows: this and base can each come out under their empty runs here)
    expect(out).to.match(/^per rep, this\/base: whole run -?[\d.]+ \(median -?[\d.]+\)/m);
    // "as 5 cycles" needs a third cycle, which a smoke run may not make
    expect(out).to.match(/^goal: whole run <= 2x the floor: this -?[\d.]+x \(as 5 cycles (-?[\d.]+x|-)\) (MET|NOT MET)/m);
  });
});
