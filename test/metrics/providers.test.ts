// Stages reported through the provider interfaces show in /metrics with the
// values they report, and the sink's health decides /readyz.
import { expect } from 'chai';
import { startMetrics, type MetricsHandle } from '../../src/metrics/server';
import { viewsLabel, zeroNamespaces, zeroNetlink, type PollStageStats } from '../../src/metrics/stages';
import { CumulativeHistogram } from '../../src/metrics/histogram';
import { Logger } from '../../src/util/log';
import { VIEW_DESTROY, VIEW_EVENTS, VIEW_POLL, VIEW_SAMPLES } from '../../src/correlate/flow_row';
import { otherStages } from './fixtures';
import { scrape } from './scrape';

const quiet = new Logger({ write: () => undefined });

/** A poll stage that has completed `cycles` cycles, the last one `ageMs` ago. */
function pollAt(cycles: number, ageMs: number, intervalSeconds = 1): { stats(): PollStageStats } {
  return {
    stats: () => ({
      intervalSeconds,
      cycles,
      overruns: 0,
      sockets: 0,
      lastSockets: 0,
      batches: 0,
      cycleSeconds: new CumulativeHistogram(),
      firstCycleEndMs: cycles ? Date.now() - ageMs : null,
      lastCycleEndMs: cycles ? Date.now() - ageMs : null,
      netlink: zeroNetlink(),
      namespaces: zeroNamespaces(),
    }),
  };
}

describe('metrics from stage providers', () => {
  let m: MetricsHandle | undefined;
  afterEach(async () => {
    await m?.close();
    m = undefined;
  });

  it('events, samples, flows and sink counters appear with their values and bounded labels', async () => {
    const o = otherStages();
    m = await startMetrics({ listen: '127.0.0.1:0', logger: quiet, bpfStats: false }, o.stages);
    o.events.programs.handle_set_state = { read: 1200, lost: 3 };
    o.events.bytes = 76_800;
    o.samples.iterations = 40;
    o.samples.seconds = 0.5;
    o.samples.records = 800;
    o.flows.open = 17;
    o.flows.closed = 90;
    o.flows.evicted = 2;
    o.flows.byViews[viewsLabel(VIEW_POLL | VIEW_DESTROY | VIEW_EVENTS)] = 70;
    o.flows.byViews[viewsLabel(VIEW_EVENTS)] = 20;
    o.flows.reports = { unkeyed: 5, late: 4, tuple_joined: 3 };
    o.sink.tables.tcp_flows!.rows_queued = 500;
    o.sink.tables.tcp_flows!.rows_written = 480;
    o.sink.tables.tcp_flows!.rows_dropped = 20;
    (o.sink.insert_latency as CumulativeHistogram).observe(0.02);
    const s = await scrape(m.url);
    expect(s.get('tcplens_events_read_total', { program: 'handle_set_state' })).to.equal(1200);
    expect(s.get('tcplens_events_lost_total', { program: 'handle_set_state' })).to.equal(3);
    expect(s.get('tcplens_events_bytes_total')).to.equal(76_800);
    expect(s.get('tcplens_samples_iterations_total')).to.equal(40);
    expect(s.get('tcplens_samples_iteration_seconds_total')).to.equal(0.5);
    expect(s.get('tcplens_flows_open')).to.equal(17);
    expect(s.get('tcplens_flows_by_views_total', { views: 'poll+destroy+events' })).to.equal(70);
    expect(s.get('tcplens_flows_by_views_total', { views: 'events' })).to.equal(20);
    expect(s.get('tcplens_flows_reports_total', { outcome: 'unkeyed' })).to.equal(5);
    expect(s.get('tcplens_flows_reports_total', { outcome: 'late' })).to.equal(4);
    expect(s.get('tcplens_flows_reports_total', { outcome: 'adopted' })).to.equal(0);
    expect(s.get('tcplens_sink_rows_total', { table: 'tcp_flows', outcome: 'queued' })).to.equal(500);
    expect(s.get('tcplens_sink_rows_total', { table: 'tcp_flows', outcome: 'dropped' })).to.equal(20);
    expect(s.get('tcplens_sink_insert_duration_seconds_bucket', { le: '0.025' })).to.equal(1);
    expect(s.get('tcplens_sink_insert_duration_seconds_bucket', { le: '0.01' })).to.equal(0);
    // no label carries an address, a port or a namespace
    for (const key of s.values.keys()) expect(key).to.not.match(/(src|dst|sport|dport|netns|cookie|addr)=/);
    expect(viewsLabel(VIEW_POLL | VIEW_SAMPLES)).to.equal('poll+samples');
    expect(viewsLabel(0)).to.equal('none');
  });

  it('/readyz: a sink backlog, a full spool or insert failures make it 503 with the reason; recovery makes it 200', async () => {
    const o = otherStages({ queueCapacityRows: 1000, spoolBudgetBytes: 1 << 20 });
    m = await startMetrics({ listen: '127.0.0.1:0', logger: quiet, bpfStats: false }, { ...o.stages, poll: pollAt(1, 0) });
    const ready = async (): Promise<[number, string]> => {
      const r = await fetch(`${m!.url}/readyz`);
      return [r.status, await r.text()];
    };
    expect(await ready()).to.deep.equal([200, 'ready\n']);

    o.sink.queue_rows = 1000; // queue at its bound: rows are being dropped
    let [code, text] = await ready();
    expect(code).to.equal(503);
    expect(text).to.match(/sink queue full: 1000 of 1000 rows/);

    o.sink.queue_rows = 10;
    o.sink.outage = true; // ClickHouse down: spooling is fine...
    o.sink.tables.tcp_flows!.batches_retried = 7;
    o.sink.spool_bytes = 4096;
    expect((await ready())[0]).to.equal(200);
    let s = await scrape(m.url);
    expect(s.get('tcplens_sink_state', { state: 'spooling' })).to.equal(1);
    expect(s.get('tcplens_sink_insert_errors_total', { table: 'tcp_flows' })).to.equal(7);
    expect(s.get('tcplens_sink_spool_bytes')).to.equal(4096);
    expect(s.get('tcplens_sink_queue_rows')).to.equal(10);

    o.sink.tables.tcp_flows!.rows_spooled = 400;
    expect((await scrape(m.url)).get('tcplens_sink_state', { state: 'spooling' })).to.equal(1);
    o.sink.spool_bytes = 1 << 20; // ...until the spool is over budget and rows are dropped
    o.sink.tables.tcp_flows!.rows_dropped += 50;
    o.sink.last_error = 'ECONNREFUSED 127.0.0.1:8123';
    [code, text] = await ready();
    expect(code).to.equal(503);
    expect(text)
      .to.match(/sink failing: .*ECONNREFUSED/)
      .and.match(/spool over budget: 1048576 of 1048576 bytes/);
    s = await scrape(m.url);
    expect(s.get('tcplens_sink_state', { state: 'failing' })).to.equal(1);
    expect(s.get('tcplens_sink_state', { state: 'spooling' })).to.equal(0);

    o.sink.outage = false;
    o.sink.spool_bytes = 0;
    await new Promise((r) => setTimeout(r, 5)); // the write comes after the drop
    o.sink.tables.tcp_flows!.rows_written += 480;
    expect(await ready()).to.deep.equal([200, 'ready\n']);
    expect((await scrape(m.url)).get('tcplens_sink_state', { state: 'writing' })).to.equal(1);
  });

  it('/readyz: a poll stalled for more than 3 intervals is not ready, and says how long', async () => {
    m = await startMetrics({ listen: '127.0.0.1:0', logger: quiet, bpfStats: false }, { poll: pollAt(5, 4000, 1) });
    const r = await fetch(`${m.url}/readyz`);
    expect(r.status).to.equal(503);
    expect(await r.text()).to.match(/poll stalled: last cycle ended 4\.\d s ago \(interval 1 s\)/);
  });
});
