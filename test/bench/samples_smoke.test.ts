// Keeps bench/samples working: runs its --smoke mode (200 threads, 1 rep)
// for real and checks the table has every mode with sane figures, the
// anchor beside them, and the goal line.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { samplesSkipReason } from '../helpers/samples';
import { rowCells } from '../helpers/bench';
import { skipIf } from '../helpers/skip';

const ROOT = path.resolve(__dirname, '../../..');

describe('bench/samples --smoke', function () {
  this.timeout(120_000);

  it('measures tcplens active/all/floor beside the /proc sampler on the threads it started', function () {
    const why = samplesSkipReason();
    skipIf(this, why, `${why}`);
    const r = spawnSync('bash', [path.join(ROOT, 'bench/samples/run.sh'), '--smoke'], { cwd: ROOT, encoding: 'utf8' });
    const out = r.stdout;
    expect(r.status, `exit ${r.status}\n${out}\n${r.stderr}`).to.equal(0);
    expect(out).to.match(/^tcplens samples benchmark: 200 farm threads \(100 blocked in recv/m);
    const [aRows, aCpu, aRead, aBpf, aWall, pCpu, pRows, ratio] = rowCells(out, 'active only');
    // the 100 receivers are active for both samplers (plus whatever else runs)
    expect(Number(aRows)).to.be.at.least(100);
    expect(Number(pRows)).to.be.at.least(100);
    for (const v of [aCpu, aRead, aBpf, aWall, pCpu]) expect(Number(v)).to.be.above(0);
    expect(Number(aBpf)).to.be.below(Number(aRead)); // the program runs inside the reading thread's read()
    expect(ratio).to.match(/^[\d.]+x$/);
    const [allRows, allCpu, , , , , allProcRows] = rowCells(out, 'all threads');
    expect(Number(allRows)).to.be.at.least(200);
    expect(Number(allRows)).to.be.above(Number(aRows));
    expect(Math.abs(Number(allRows) - Number(allProcRows))).to.be.below(50); // same threads, sampled moments apart
    expect(Number(allCpu)).to.be.above(0);
    const [fRows, fCpu] = rowCells(out, 'floor (walk only)');
    expect(fRows).to.equal('0');
    expect(Number(fCpu)).to.be.above(0);
    expect(out).to.match(/records dropped or malformed: 0$/m);
    expect(out).to.match(
      /^goal all threads: <= 3 ms per iteration: [\d.]+ ms (MET|NOT MET); RSS added <= 20 MB: [\d.]+ MB (MET|NOT MET)$/m,
    );
  });
});
