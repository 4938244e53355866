// `tcplens compare --views ...,targeted`: targeted snapshots measured beside
// the pollers on a loadgen workload with ground truth. Each flow lives 100 ms
// (four times the targeted view's gather, room for a loaded machine): the
// targeted view, woken by the events reader with opens gathered for 25 ms,
// asks for one end of each connection and sees nearly all of them while they
// live; a 1 s poll sees about 10%; the report gives the targeted view its own
// cost, its reader thread's included.
import { expect } from 'chai';
import { skipUnlessEvents } from '../helpers/events';
import { flags } from '../helpers/cli_flags';
import { runCompare, viewReport } from '../helpers/compare_run';

describe('tcplens compare: targeted snapshots as a view', function () {
  this.timeout(180_000);
  before(function () {
    skipUnlessEvents(this);
  });

  it('sees the flows a 1 s poll misses, with its own cost', () => {
    const rep = runCompare(
      flags({ loadgen: 'rate=100,flows=200,duration=100ms,bytes=2k,seed=7', intervals: '1s', views: 'poll,targeted' }),
    );
    const t = viewReport(rep, 'targeted');
    const p = viewReport(rep, 'poll');
    expect(t.available, t.reason).to.equal(true);
    console.log(
      `      targeted ${(t.coverage! * 100).toFixed(1)}% at ${(t.cpu_us! / 1000).toFixed(1)} ms CPU; poll 1s ${(p.coverage! * 100).toFixed(1)}% at ${(p.cpu_us! / 1000).toFixed(1)} ms`,
    );
    expect(rep.flows_total).to.equal(200);
    expect(t.coverage).to.be.at.least(0.85);
    expect(t.coverage!).to.be.greaterThan(p.coverage! + 0.5);
    expect(t.predicted_coverage).to.equal(null); // no model for it
    expect(t.cpu_us).to.be.a('number').and.greaterThan(0);
    expect(t.cpu_reader_us, 'the reader thread is charged').to.be.greaterThan(0);
    expect(t.cpu_us).to.equal(t.cpu_user_us! + t.cpu_sys_us! + t.cpu_reader_us!);
    expect(p.cpu_reader_us).to.equal(0);
    // one snapshot per connection: its other end (both are in the namespace) is not asked about
    expect(t.rows).to.be.at.most(rep.flows_total);
    expect(t.ticks).to.be.greaterThan(10);
  });
});
