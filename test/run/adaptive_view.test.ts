// The adaptive poll in `run`: the poll view, the events view and the flow
// table of a real sidecar over a namespace where flows live 150 ms. The
// interval starts at --interval (2 s), learns the lifetimes from the events'
// closes through the flow table's hook, and comes down to about 150 / 0.9 ms
// (or to what the CPU budget allows); the metrics say what it chose, what it
// predicts and what set it. A random phase delays the first poll.
import { expect } from 'chai';
import { execFile } from 'child_process';
import * as path from 'path';
import { VIEW_FACTORIES } from '../../src/run/views';
import { openViews } from '../../src/run/open_views';
import { Sidecar } from '../../src/run/sidecar';
import { AdaptiveInterval } from '../../src/run/adaptive';
import { createRegistry } from '../../src/metrics/registry';
import { suiteNetns } from '../helpers/netns';
import { skipUnlessEvents } from '../helpers/events';
import { NullSink, quietLog, viewsRequest } from '../helpers/views';
import { parseExposition } from '../metrics/scrape';

const SHORT_FLOWS = path.resolve(__dirname, '../../../test/helpers/short_flows.py');

describe('run: the adaptive poll', function () {
  this.timeout(120_000);
  const netns = suiteNetns('adapt', true);
  before(function () {
    skipUnlessEvents(this);
  });

  it('comes down from --interval to what 150 ms flows need, and says so in its metrics', async () => {
    const adaptive = new AdaptiveInterval({ target: 0.9, cpuBudget: 0.5, initialMs: 2000, minMs: 20, maxMs: 2000 });
    const opened = openViews(
      VIEW_FACTORIES,
      viewsRequest(['poll', 'events'], netns.name, { intervalMs: 2000, drainMs: 50, ringBytes: 1 << 20, adaptive, phaseMs: 300 }),
      quietLog,
    );
    expect(opened.views.map((v) => v.name)).to.deep.equal(['poll', 'events']);
    const stages = { ...opened.stages, adaptive };
    const sidecar = new Sidecar({ maxFlows: 10_000, lifetimes: adaptive }, new NullSink(), opened.views, quietLog);
    const t0 = performance.now();
    const done = sidecar.run();
    await new Promise((r) => setTimeout(r, 200));
    expect(sidecar.stats().cycles, 'the first poll waits out its phase').to.equal(0);
    const before = parseExposition(await createRegistry(stages, { version: 't', defaults: false }).metrics());
    expect(before.get('tcplens_poll_interval_seconds')).to.equal(2);
    expect(before.get('tcplens_poll_interval_limited', { by: 'no_data' })).to.equal(1);
    expect(before.get('tcplens_poll_coverage_predicted')).to.equal(undefined);
    await new Promise<void>((resolve, reject) =>
      execFile('ip', ['netns', 'exec', netns.name, 'python3', SHORT_FLOWS, '40', '150', '10'], (err) => (err ? reject(err) : resolve())),
    );
    await new Promise((r) => setTimeout(r, 500));
    const m = parseExposition(await createRegistry(stages, { version: 't', defaults: false }).metrics());
    sidecar.stop();
    await done;
    const s = adaptive.stats();
    console.log(
      `      chose ${s.intervalMs.toFixed(1)} ms (${s.limit}), predicted ${s.predictedCoverage}, cycle ${s.cycleCpuMs.toFixed(2)} ms CPU, ${sidecar.stats().cycles} cycles in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    // both sockets of each flow closed: 80 lifetimes of ~150 ms
    expect(s.lifetimes).to.be.at.least(60);
    expect(m.get('tcplens_poll_lifetimes_total')).to.equal(s.lifetimes);
    expect(m.get('tcplens_poll_coverage_target')).to.equal(0.9);
    expect(m.get('tcplens_poll_cpu_budget_ratio')).to.equal(0.5);
    const chosen = m.get('tcplens_poll_interval_seconds')!;
    const limit = ['target', 'budget', 'dump'].find((by) => m.get('tcplens_poll_interval_limited', { by }) === 1);
    expect(limit, 'what set the interval').to.be.a('string');
    if (limit === 'target') {
      // 150 ms flows (a little longer with their handshake and close): 167-200 ms
      expect(chosen).to.be.within(0.14, 0.25);
      expect(m.get('tcplens_poll_coverage_predicted')!).to.be.closeTo(0.9, 0.01);
    } else {
      // a loaded host: the budget (a cycle's CPU / 50%) or the dump's own length set it, below the target
      expect(chosen).to.be.below(2);
      expect(m.get('tcplens_poll_coverage_predicted')!).to.be.below(0.9);
    }
    expect(sidecar.stats().cycles, 'polled faster than every 2 s').to.be.at.least(10);
  });
});
