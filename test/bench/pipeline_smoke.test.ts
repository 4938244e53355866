// Keeps bench/pipeline working: its --smoke run (20,000 rows, one rep, its own
// private ClickHouse) prints every row with sane figures, and the server
// stored exactly the rows both paths inserted.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { haveClickHouse } from '../helpers/clickhouse';

const ROOT = path.resolve(__dirname, '../../..');

describe('bench/pipeline --smoke', function () {
  this.timeout(120_000);

  it('measures Native encode and insert beside the JSONEachRow anchors', function () {
    if (!haveClickHouse()) {
      this.skip();
      return;
    } // bootstrap.sh installs clickhouse-server; CI has it
    const r = spawnSync('node', [path.join(ROOT, 'dist/bench/pipeline/encode.js'), '--smoke'], { cwd: ROOT, encoding: 'utf8' });
    const out = r.stdout;
    expect(r.status, `exit ${r.status}\n${out}\n${r.stderr}`).to.equal(0);
    const m = /stored (\d+) rows \(expected (\d+)\)/.exec(out);
    expect(m, out).to.not.equal(null);
    expect(Number(m![1])).to.equal(Number(m![2]));
    expect(Number(m![2])).to.equal(40_000);
    for (const label of [
      'JSON.stringify of row objects',
      'Native encode from columns',
      'insert() JSONEachRow from row objects',
      'Native encode + INSERT FORMAT Native',
    ]) {
      const line = out.split('\n').find((l) => l.startsWith(label));
      expect(line, `${label} in:\n${out}`).to.be.a('string');
      const cells = line!.trim().split(/\s+/).slice(-5); // cpu, rate, wall, rate, ratio
      for (const v of cells.slice(0, 4)) expect(Number(v), `${label}: ${line}`).to.be.above(0);
      expect(cells[4]).to.match(/^(anchor|\d+\.\dx)$/);
    }
    expect(out).to.match(/server-accepted rows\/s \(wall\): Native [\d.]+ M vs JSONEachRow [\d.]+ M = [\d.]+x/);
  });
});
