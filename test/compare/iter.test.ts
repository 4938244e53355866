// `tcplens compare --views poll,iter`: the iterator poll measured beside the
// inet_diag poll on a loadgen workload with ground truth, a poller per
// interval each: long-lived flows are seen by both at every interval, with
// the bytes the workload moved at most, each view with its own cost.
import { expect } from 'chai';
import { flags } from '../helpers/cli_flags';
import { runCompare, viewReport } from '../helpers/compare_run';
import { iterAvailability } from '../../src/sources/iter_poll';
import { isRoot } from '../helpers/netns';
import { skipIf } from '../helpers/skip';

describe('tcplens compare: the iterator poll as a view', function () {
  this.timeout(180_000);
  before(function () {
    skipIf(this, !isRoot(), 'needs root for the loadgen namespace');
    const a = iterAvailability();
    skipIf(this, !a.ok, `iterator poll unavailable: ${a.ok ? '' : a.reason}`);
  });

  it('sees what the inet_diag poll sees at the same interval, with its own cost', () => {
    const rep = runCompare(
      flags({ loadgen: 'rate=50,flows=40,duration=600ms,bytes=4k,seed=3', intervals: '100ms', views: 'poll,iter,host' }),
    );
    const it = viewReport(rep, 'iter');
    const p = viewReport(rep, 'poll');
    if (!it.available) {
      console.log(`      skipped: this kernel runs no variant of the iterator poll: ${it.reason}`);
      return;
    }
    console.log(
      `      iter 100ms ${(it.coverage! * 100).toFixed(1)}% at ${(it.cpu_us! / 1000).toFixed(1)} ms CPU; poll 100ms ${(p.coverage! * 100).toFixed(1)}% at ${(p.cpu_us! / 1000).toFixed(1)} ms`,
    );
    expect(rep.flows_total).to.equal(40);
    expect(it.interval_ms).to.equal(100);
    // 600 ms flows under a 100 ms poll: every one is seen by both
    expect(it.coverage).to.be.at.least(0.95);
    expect(p.coverage).to.be.at.least(0.95);
    expect(it.predicted_coverage).to.be.a('number');
    expect(it.cpu_us).to.be.a('number').and.greaterThan(0);
    expect(it.ticks).to.be.greaterThan(3);
    // the host pass (--poll-via host): one iter/task_file pass a tick, its own cost
    const h = viewReport(rep, 'host');
    if (!h.available) {
      console.log(`      host: skipped: this kernel runs no host pass: ${h.reason}`);
      return;
    }
    console.log(`      host 100ms ${(h.coverage! * 100).toFixed(1)}% at ${(h.cpu_us! / 1000).toFixed(1)} ms CPU`);
    expect(h.coverage).to.be.at.least(0.95);
    expect(h.cpu_us).to.be.a('number').and.greaterThan(0);
    expect(h.ticks).to.be.greaterThan(3);
  });
});
