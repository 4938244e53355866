// `tcplens run` when ClickHouse goes away for 30 s, and in cluster mode
// (two real servers as shards behind Distributed tables).
import { expect } from 'chai';
import { renderAll } from '../../src/sinks/clickhouse/schema';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import { heldChurn } from '../helpers/churn';
import { haveClickHouse, rows, startTestServer, type TestServer } from '../helpers/clickhouse';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { flags } from '../helpers/cli_flags';
import { runFixture, startRun } from '../helpers/run_proc';
import { skipIf } from '../helpers/skip';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type Totals = Record<string, { queued: number; written: number; spooled: number; dropped: number }>;
/** the figure: ClickHouse down for 30 s in the middle of a run */
const OUTAGE_MS = 30_000;

describe('tcplens run through a ClickHouse outage, and into a cluster', function () {
  this.timeout(180_000);
  const fx = runFixture('runout', 'tlrun-');
  const servers: TestServer[] = [];
  const clusters: TestCluster[] = [];

  beforeEach(function () {
    skipIf(this, !haveClickHouse(), 'clickhouse-server not installed (scripts/bootstrap.sh installs it)');
  });
  afterEach(async () => {
    for (const c of clusters.splice(0)) await c.cleanup(); // its servers too
    for (const s of servers.splice(0)) await s.cleanup();
  });

  it('ClickHouse stopped for 30 s: after replay every poll cycle is there once, and count() = what the sidecar queued', async () => {
    const t = await startTestServer();
    servers.push(t);
    const held = await heldChurn(fx.ns, 3, 100);
    const db = t.freshDb('outage');
    // --listen-interval every: the listener in every cycle's dump, so each cycle has the same rows
    const r = startRun(
      flags({ netns: fx.ns, database: db, listen: '127.0.0.1:0', interval: '1s', listenInterval: 'every', views: 'poll,destroy' }),
      { TCPLENS_CLICKHOUSE_URL: t.url },
    );
    await r.waitFor('run.started');
    await sleep(3000);
    await t.server.stop();
    await sleep(OUTAGE_MS);
    await t.server.start();
    // the sender retries within its backoff cap (10 s) and replays the spool
    await r.waitFor('sink.replayed', 60_000);
    await sleep(2000); // and writes directly again
    r.proc.kill('SIGTERM');
    expect(await r.exited).to.equal(0);
    await held.release();
    const totals = r.last('run.totals')!;
    const cycles = totals['cycles'] as number;
    const tables = totals['tables'] as Totals;
    expect(cycles).to.be.at.least(35);
    expect(tables['tcp_snapshots']!.spooled).to.be.greaterThan(0); // the outage really happened to us
    expect(r.last('sink.outage')?.['level']).to.equal('warn'); // and was said once, when it began
    expect(r.logs.filter((l) => l['key'] === 'sink.outage')).to.have.length(1);

    const pc = await rows<{ n: string; u: string }>(
      t.client,
      `SELECT count() AS n, uniqExact(ts_ns) AS u FROM ${db}.poll_cycles WHERE netns_inode = ${fx.ino}`,
    );
    expect(Number(pc[0]!.n)).to.equal(cycles);
    expect(Number(pc[0]!.u)).to.equal(cycles);
    const sn = await rows<{ n: string; u: string }>(
      t.client,
      `SELECT count() AS n, uniqExact(ts_ns, idiag_cookie) AS u FROM ${db}.tcp_snapshots WHERE view = 'poll' AND netns_inode = ${fx.ino}`,
    );
    expect(Number(sn[0]!.n)).to.equal(cycles * 7); // 6 connected + the listener, every cycle
    expect(Number(sn[0]!.u)).to.equal(Number(sn[0]!.n)); // none twice
    for (const [table, c] of Object.entries(tables)) {
      const n = await rows<{ n: string }>(t.client, `SELECT count() AS n FROM ${db}.${table}`);
      expect(c.dropped, table).to.equal(0);
      expect(Number(n[0]!.n), table).to.equal(c.queued);
    }
  });

  it('--cluster: rows go through the Distributed tables to both shards, none lost or doubled', async () => {
    const cluster = await startCluster({ name: 'tl_run', shards: 2 });
    clusters.push(cluster);
    servers.push(...cluster.servers);
    const db = servers[0]!.freshDb('cluster');
    // What an operator does once per node (`tcplens schema print --cluster`); plain MergeTree locals, no ZooKeeper.
    const ddl = renderAll({ database: db, dialect: LEGACY, cluster: 'tl_run', replicated: false, onCluster: false });
    for (const s of servers) for (const stmt of ddl) await s.client.command({ query: stmt });
    const held = await heldChurn(fx.ns, 5, 100);
    const r = startRun(
      flags({ netns: fx.ns, database: db, listen: '127.0.0.1:0', interval: '300ms', duration: '2s', views: 'poll', cluster: 'tl_run' }),
      { TCPLENS_CLICKHOUSE_URL: servers[0]!.url },
    );
    expect(await r.exited).to.equal(0);
    await held.release();
    const queued = (r.last('run.totals')!['tables'] as Totals)['tcp_snapshots']!.queued;
    expect(queued).to.be.greaterThan(20);
    // Distributed inserts reach the shards in the background: wait for them.
    let perShard: number[] = [];
    for (let i = 0; i < 50; i++) {
      perShard = [];
      for (const s of servers)
        perShard.push(Number((await rows<{ n: string }>(s.client, `SELECT count() AS n FROM ${db}.tcp_snapshots_local`))[0]!.n));
      if (perShard[0]! + perShard[1]! >= queued) break;
      await sleep(200);
    }
    expect(perShard[0]! + perShard[1]!).to.equal(queued);
    expect(perShard[0]).to.be.greaterThan(0);
    expect(perShard[1]).to.be.greaterThan(0);
    const total = await rows<{ n: string }>(servers[1]!.client, `SELECT count() AS n FROM ${db}.tcp_snapshots`);
    expect(Number(total[0]!.n)).to.equal(queued);
  });
});
