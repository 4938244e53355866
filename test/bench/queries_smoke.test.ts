// Keeps bench/queries working: its --smoke mode (100k flows) times every
// saved question beside a full scan of its table and prints the ratio.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { loadLibrary } from '../../src/query/library';
import { haveClickHouse } from '../helpers/clickhouse';
import { rowCells } from '../helpers/bench';
import { skipIf } from '../helpers/skip';

const ROOT = path.resolve(__dirname, '../../..');

describe('bench/queries --smoke', function () {
  this.timeout(180_000);

  it('prints each question beside the full scan of its table, as a ratio', function () {
    skipIf(this, !haveClickHouse(), 'clickhouse-server not installed (scripts/bootstrap.sh installs it)');
    const r = spawnSync('node', [path.join(ROOT, 'dist/bench/queries/bench.js'), '--smoke'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
    for (const name of loadLibrary().keys()) {
      const cells = rowCells(r.stdout, `${name} `);
      expect(Number(cells[1]), name).to.be.greaterThan(0);
      expect(Number(cells[2]), name).to.be.greaterThan(0);
      expect(cells.slice(3).join(' ')).to.match(/^question\/scan = \d+\.\d\d load \d+\.\d$/);
    }
  });
});
