// The metrics server wired to real poll and destroy views over real
// namespaces: counters move exactly as the workload says, namespaces that
// come and go show, /readyz follows the first poll.
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { pollView } from '../../src/run/views/poll';
import { destroyView } from '../../src/run/views/destroy';
import { startMetrics } from '../../src/metrics/server';
import { Logger } from '../../src/util/log';
import { createNetns, deleteNetns, isRoot, startWorkload, type Workload } from '../helpers/netns';
import { scrape } from './scrape';
import { openOne } from '../helpers/views';
import { skipIf } from '../helpers/skip';

const CHURN = path.resolve(__dirname, '../../../test/helpers/churn.py');
const quiet = new Logger({ write: () => undefined });

describe('metrics over the real poll and destroy views', function () {
  this.timeout(60_000);
  const made: string[] = [];
  const loads: Workload[] = [];
  const closers: Array<() => unknown> = [];

  before(function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
  });
  after(async () => {
    for (const c of closers.reverse()) await c();
    for (const w of loads) await w.stop();
    for (const n of made) deleteNetns(n);
  });

  it('poll cycles, sockets and netlink traffic match the workload; /readyz turns 200 after the first poll', async () => {
    const a = createNetns('mA');
    made.push(a);
    loads.push(await startWorkload(a, { pairs: [{ family: 4 }, { family: 6 }] })); // 2 x (listener, client, server)
    const poll = openOne(pollView, a);
    closers.push(() => poll.view.close());
    const m = await startMetrics({ listen: '127.0.0.1:0', logger: quiet, bpfStats: false }, poll.stages);
    closers.push(() => m.close());

    const before = await fetch(`${m.url}/readyz`);
    expect(before.status).to.equal(503);
    expect(await before.text()).to.match(/no poll cycle completed yet/);
    expect((await scrape(m.url)).get('tcplens_poll_cycles_total')).to.equal(0);

    const CYCLES = 3;
    let seen = 0;
    for (let i = 0; i < CYCLES; i++) seen += await poll.tick();
    const s = await scrape(m.url);
    expect(s.get('tcplens_poll_cycles_total')).to.equal(CYCLES);
    expect(s.get('tcplens_poll_sockets')).to.equal(6);
    expect(s.get('tcplens_poll_sockets_total'))
      .to.equal(seen)
      .and.to.equal(6 * CYCLES);
    expect(s.get('tcplens_netlink_rows_total', { view: 'poll' })).to.equal(6 * CYCLES);
    expect(s.get('tcplens_netlink_requests_total', { view: 'poll' })).to.equal(2 * CYCLES); // AF_INET + AF_INET6
    expect(s.get('tcplens_netlink_messages_total', { view: 'poll' })).to.be.at.least(6 * CYCLES);
    expect(s.get('tcplens_netlink_bytes_total', { view: 'poll' })).to.be.greaterThan(0);
    expect(s.get('tcplens_netlink_errors_total', { view: 'poll', kind: 'parse' })).to.equal(0);
    expect(s.get('tcplens_poll_cycle_duration_seconds_count')).to.equal(CYCLES);
    expect(s.get('tcplens_poll_cycle_duration_seconds_bucket', { le: '+Inf' })).to.equal(CYCLES);
    expect(s.get('tcplens_poll_interval_seconds')).to.equal(1);
    expect(s.get('tcplens_poll_last_cycle_timestamp_seconds')).to.be.closeTo(Date.now() / 1000, 5);
    expect(s.get('tcplens_netns_tracked', { view: 'poll' })).to.equal(1);

    const after = await fetch(`${m.url}/readyz`);
    expect(after.status).to.equal(200);
    expect((await fetch(`${m.url}/healthz`)).status).to.equal(200);
  });

  it('namespaces added and removed between cycles show in the namespace metrics, and their counters stay', async () => {
    const a = createNetns('mB');
    made.push(a);
    const b = createNetns('mC');
    made.push(b);
    loads.push(await startWorkload(b, { listeners: [{ family: 4 }] }));
    const poll = openOne(pollView, `${a},${b}`);
    closers.push(() => poll.view.close());
    const m = await startMetrics({ listen: '127.0.0.1:0', logger: quiet, bpfStats: false }, poll.stages);
    closers.push(() => m.close());

    await poll.tick();
    let s = await scrape(m.url);
    expect(s.get('tcplens_netns_tracked', { view: 'poll' })).to.equal(2);
    expect(s.get('tcplens_netns_added_total', { view: 'poll' })).to.equal(2);
    const rows1 = s.get('tcplens_netlink_rows_total', { view: 'poll' });
    expect(rows1).to.equal(1);

    await loads.pop()!.stop();
    deleteNetns(b);
    await poll.tick();
    s = await scrape(m.url);
    expect(s.get('tcplens_netns_tracked', { view: 'poll' })).to.equal(1);
    expect(s.get('tcplens_netns_removed_total', { view: 'poll' })).to.equal(1);
    expect(s.get('tcplens_netns_unreadable', { view: 'poll' })).to.equal(1);
    // the vanished namespace's socket is closed, its counted rows are not lost
    expect(s.get('tcplens_netlink_rows_total', { view: 'poll' })).to.equal(rows1);

    // the same name again: a new namespace (new inode) appears under the selector
    execFileSync('ip', ['netns', 'add', b]);
    await poll.tick();
    s = await scrape(m.url);
    expect(s.get('tcplens_netns_tracked', { view: 'poll' })).to.equal(2);
    expect(s.get('tcplens_netns_added_total', { view: 'poll' })).to.equal(3);
    expect(s.get('tcplens_netns_unreadable', { view: 'poll' })).to.equal(0);
    expect(s.get('tcplens_netns_failing', { view: 'poll' })).to.equal(0);
  });

  it('destroy view: every destroyed socket of a churn is counted in and out', async () => {
    const ns = createNetns('mD');
    made.push(ns);
    const destroy = openOne(destroyView, ns);
    closers.push(() => destroy.view.close());
    const m = await startMetrics({ listen: '127.0.0.1:0', logger: quiet, bpfStats: false }, destroy.stages);
    closers.push(() => m.close());
    destroy.view.beforeCycle!();
    const N = 10;
    execFileSync('ip', ['netns', 'exec', ns, 'python3', CHURN, String(N), '100'], { encoding: 'utf8' });
    await new Promise((r) => setTimeout(r, 300));
    await destroy.tick();
    const s = await scrape(m.url);
    expect(s.get('tcplens_destroy_rows_total')).to.equal(2 * N + 1); // clients, accepted, listener
    expect(s.get('tcplens_netlink_rows_total', { view: 'destroy' })).to.equal(2 * N + 1);
    expect(s.get('tcplens_netlink_messages_total', { view: 'destroy' })).to.be.at.least(2 * N + 1);
    expect(s.get('tcplens_netlink_errors_total', { view: 'destroy', kind: 'enobufs' })).to.equal(0);
    expect(s.get('tcplens_destroy_drains_total')).to.equal(1);
    expect(s.get('tcplens_netns_tracked', { view: 'destroy' })).to.equal(1);
  });
});
