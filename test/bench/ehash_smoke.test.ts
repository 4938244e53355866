// Keeps bench/ehash working: its --smoke mode (1 run of 3 dumps) for real;
// every row has its figures, and on 6.1+ the namespace with its own small
// table walks for less than the one sharing the host's.
import { expect } from 'chai';
import * as fs from 'fs';
import { isRoot } from '../helpers/netns';
import { smokeRun } from '../helpers/bench';
import { skipIf } from '../helpers/skip';

describe('bench/ehash --smoke', function () {
  it('the dumps of a shared and an own established hash, side by side, as ratios', function () {
    this.timeout(120_000);
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    const out = smokeRun('bench/ehash/run.sh');
    const own = fs.existsSync('/proc/sys/net/ipv4/tcp_child_ehash_entries');
    expect(out).to.match(own ? /tcp_ehash_entries: shared -\d+, own 1024/ : /the shared table only/);
    const rows = out.split('\n').filter((l) => / \| /.test(l) && !l.startsWith('dump |'));
    expect(rows).to.have.length(5);
    for (const row of rows) {
      const cells = row.split(' | ');
      expect(cells).to.have.length(own ? 5 : 3);
      for (const c of cells.slice(1)) expect(Number(c), row).to.be.at.least(0);
    }
    const walk = rows[0]!.split(' | ');
    if (own) expect(Number(walk[3]), `own/shared of the empty dump: ${rows[0]}`).to.be.below(1);
  });
});
