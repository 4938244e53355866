// Keeps bench/poll --namespaces working: its --smoke mode (2,000 sockets over
// 4 namespaces, 1 rep) for real; every row has a figure, the polls over the
// namespaces counted the same sockets, and the goal line is printed.
import { expect } from 'chai';
import { isRoot } from '../helpers/netns';
import { rowCells, smokeRun } from '../helpers/bench';
import { skipIf } from '../helpers/skip';
import { iterAvailability } from '../../src/sources/iter_poll';

describe('bench/poll --namespaces --smoke', function () {
  this.timeout(180_000);

  it('measures the per-namespace polls and the host pass beside one dump of the same sockets in one namespace', function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    const a = iterAvailability();
    skipIf(this, !a.ok, `iterator poll unavailable: ${a.ok ? '' : a.reason}`);
    const out = smokeRun('bench/poll/run.sh', '--namespaces', '4');
    const m = /^tcplens poll over many namespaces: (\d+) sockets in one namespace .*then (\d+) over 4 namespaces/m.exec(out);
    expect(m, out).to.not.equal(null);
    const counted = new Set<string>();
    for (const label of [
      'floor: raw inet_diag dump, one namespace',
      'tcplens inet_diag poll, one namespace',
      'inet_diag poll per namespace (today)',
      'iter/tcp poll per namespace',
      'host pass, no sweep',
      'host pass, sweep every 10 (amortised)',
      'host pass, sweep every cycle',
    ]) {
      const [cpu, xFloor, xPoll, sockets, reps] = rowCells(out, label);
      for (const v of [cpu, xFloor, xPoll]) expect(Number(v), `${label}: ${v}`).to.be.above(0);
      expect(reps).to.equal('1');
      if (!label.includes('one namespace')) counted.add(sockets!);
      else expect(sockets).to.equal(m![1]);
    }
    // every poll over the namespaces saw every socket the farms built (the sweep adds none: no TIME_WAIT)
    expect([...counted]).to.deep.equal([m![2]]);
    expect(out).to.match(/^goal: --poll-via host \(sweep every 10, amortised\) over 4 namespaces <= 2x .*: [\d.]+x (MET|NOT MET)/m);
  });
});
