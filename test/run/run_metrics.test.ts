// /metrics and /readyz of a real `tcplens run`: the counters move as the
// workload does, stages balance, and readiness says why when the sink cannot
// keep up (ClickHouse stopped, spool over budget).
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { eventsAvailability } from '../../src/sources/events';
import { createNetns, deleteNetns, isRoot } from '../helpers/netns';
import { churn, heldChurn } from '../helpers/churn';
import { freePort, haveClickHouse, startTestServer, type TestServer } from '../helpers/clickhouse';
import { killRuns, startRun } from '../helpers/run_proc';
import { parseExposition, type Scrape } from '../metrics/scrape';
import { skipIf } from '../helpers/skip';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('tcplens run: metrics and readiness of a real run', function () {
  this.timeout(120_000);
  let ns = '';
  let dir = '';
  let ch: TestServer | null = null;

  beforeEach(function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    skipIf(this, !haveClickHouse(), 'clickhouse-server not installed (scripts/bootstrap.sh installs it)');
    ns = createNetns('runmet');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlmet-'));
  });
  afterEach(async () => {
    killRuns();
    if (ns) deleteNetns(ns);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await ch?.cleanup();
    ch = null;
  });

  it('counters follow the workload, every stage balances, and /readyz turns 503 with the reason when the spool is over budget', async () => {
    ch = await startTestServer();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const scrape = async (): Promise<Scrape> => parseExposition(await (await fetch(`${base}/metrics`)).text());
    const held = await heldChurn(ns, 4, 100); // 8 connected sockets + the listener
    const r = startRun(
      [
        '--netns',
        ns,
        '--database',
        ch.freshDb('met'),
        '--spool-dir',
        dir,
        '--spool-bytes',
        '64KiB',
        '--interval',
        '300ms',
        '--listen',
        `127.0.0.1:${port}`,
      ],
      { TCPLENS_CLICKHOUSE_URL: ch.url },
    );
    await r.waitFor('run.started');
    await sleep(1500);
    let m = await scrape();
    // the 8 connected sockets: the listener is polled in the listen view's cycles (--listen-interval)
    expect(m.get('tcplens_poll_sockets')).to.equal(8);
    expect(m.get('tcplens_view_rows_total', { view: 'listen' })).to.equal(1);
    expect(m.get('tcplens_poll_cycles_total')).to.be.at.least(3);
    expect(m.get('tcplens_netns_tracked', { view: 'poll' })).to.equal(1);
    expect((await fetch(`${base}/readyz`)).status).to.equal(200);

    const N = 10;
    churn(ns, N, 500);
    await sleep(3000); // drained, and past the flow table's close grace
    m = await scrape();
    if (eventsAvailability().ok) {
      // per connection: active open, passive open, two closes; plus the listener's close
      expect(m.get('tcplens_events_read_total', { program: 'tcp_events' })).to.equal(4 * N + 1);
      expect(m.get('tcplens_events_lost_total', { program: 'tcp_events' })).to.equal(0);
    }
    expect(m.get('tcplens_destroy_rows_total')).to.equal(2 * N + 1);
    expect(m.get('tcplens_flows_closed_total')).to.equal(2 * N);
    // flows: in = out (still open + closed)
    expect(m.get('tcplens_flows_opened_total')).to.equal(m.get('tcplens_flows_open')! + m.get('tcplens_flows_closed_total')!);
    // sink, per table: queued = written + spooled + dropped + still queued
    const tables = new Set(
      [...m.values.keys()].filter((k) => k.startsWith('tcplens_sink_rows_total')).map((k) => /table="([a-z_]+)"/.exec(k)![1]!),
    );
    expect(tables).to.include('tcp_snapshots');
    let waiting = 0;
    for (const t of tables) {
      const v = (o: string): number => m.get('tcplens_sink_rows_total', { table: t, outcome: o }) ?? 0;
      waiting += v('queued') - v('written') - v('spooled') - v('dropped');
      expect(v('dropped'), t).to.equal(0);
    }
    expect(waiting).to.equal(m.get('tcplens_sink_queue_rows'));

    await ch.server.stop();
    let ready: Response | null = null;
    for (let i = 0; i < 60; i++) {
      // the spool fills past 64 KiB within a few cycles
      await sleep(500);
      ready = await fetch(`${base}/readyz`);
      if (ready.status === 503) break;
    }
    expect(ready!.status).to.equal(503);
    expect(await ready!.text()).to.match(/spool over budget|sink failing/);
    m = await scrape();
    const insertErrors = [...m.values.entries()]
      .filter(([k]) => k.startsWith('tcplens_sink_insert_errors_total'))
      .reduce((n, [, v]) => n + v, 0);
    expect(insertErrors, 'failed inserts, all tables').to.be.greaterThan(0);
    expect(m.get('tcplens_sink_spool_bytes')).to.be.greaterThan(0);
    r.proc.kill('SIGTERM');
    expect(await r.exited).to.equal(0);
    await held.release();
  });

  it('a ring buffer too small for a burst: the lost-events counter is exactly the events not read', async function () {
    skipIf(this, !eventsAvailability().ok, `the events view cannot run here: ${(eventsAvailability() as { reason: string }).reason}`);
    const port = await freePort();
    const r = startRun([
      '--netns',
      ns,
      '--sink',
      'stdout',
      '--views',
      'poll,events',
      '--ring-bytes',
      '4KiB',
      '--drain-interval',
      '2s',
      '--interval',
      '10s',
      '--listen',
      `127.0.0.1:${port}`,
    ]);
    await r.waitFor('run.started');
    await sleep(500);
    const N = 300;
    churn(ns, N); // 4 events a connection + the listener's close, far past 4 KiB (160-byte records)
    await sleep(4500);
    const m = parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    r.proc.kill('SIGTERM');
    expect(await r.exited).to.equal(0);
    const read = m.get('tcplens_events_read_total', { program: 'tcp_events' })!;
    const lost = m.get('tcplens_events_lost_total', { program: 'tcp_events' })!;
    expect(lost).to.be.greaterThan(0);
    expect(read + lost).to.equal(4 * N + 1);
  });
});
