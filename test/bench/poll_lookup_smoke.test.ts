// Keeps bench/poll_lookup working: its --smoke mode (one 8-socket namespace,
// 1 run of 3 rounds) for real; the row has its figures, and the lookups of 8
// sockets cost less than a dump that walks the host's established hash.
import { expect } from 'chai';
import { isRoot } from '../helpers/netns';
import { smokeRun } from '../helpers/bench';
import { skipIf } from '../helpers/skip';

describe('bench/poll_lookup --smoke', function () {
  it('a dump and the exact-match requests for the same sockets, side by side', function () {
    this.timeout(120_000);
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    const out = smokeRun('bench/poll_lookup/run.sh');
    const rows = out.split('\n').filter((l) => / \| /.test(l) && !l.startsWith('sockets |'));
    expect(rows, out).to.have.length(1);
    const [n, dump, look, ratio] = rows[0]!.split(' | ').map(Number);
    expect(n, rows[0]).to.equal(8);
    expect(dump, rows[0]).to.be.above(0);
    expect(look, rows[0]).to.be.above(0);
    expect(ratio, rows[0]).to.be.below(1);
  });
});
