// The TCP-health dashboard's SQL (the saved questions of schema/queries/, as
// scripts/gen-dashboards.js renders them into its panels) against a real
// ClickHouse server with the project's schema applied: known rows in, the
// numbers the panels must show out. tcp_flows rows go through the real
// ClickHouseSink, which is also wired to /metrics and /readyz here.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClickHouseSink } from '../../src/sinks/clickhouse/sink';
import { observeSink } from '../../src/metrics/sink_stage';
import { startMetrics } from '../../src/metrics/server';
import { Logger } from '../../src/util/log';
import type { FlowRow } from '../../src/correlate/flow_row';
import { NO_FORENSICS } from '../helpers/flow_rows';
import { freePort, haveClickHouse, rows, startTestServer, type TestServer, freshSchemaDb } from '../helpers/clickhouse';
import { scrape } from './scrape';

const ROOT = path.resolve(__dirname, '../../..');
const INTERVAL = 60;
const quiet = new Logger({ write: () => undefined });

interface Panel {
  title: string;
  description?: string;
  targets?: Array<{ query: string }>;
}
const gen = require(path.join(ROOT, 'scripts/gen-dashboards.js')) as { dashboards(): Record<string, { panels: Panel[] }> };
const PANELS = gen.dashboards()['tcp-health.json']!.panels.filter((p) => p.targets);

/** The saved question a panel shows (its description names it). */
const questionOf = (p: Panel): string => /Saved question ([a-z-]+) /.exec(p.description ?? '')?.[1] ?? '';

/** The SQL of the panel that shows question `name`, with Grafana's macros and the database filled in. */
function panelSql(name: string, db: string, from: number, to: number): string {
  const p = PANELS.find((x) => questionOf(x) === name);
  if (!p) throw new Error(`no panel shows ${name}`);
  return p
    .targets![0]!.query.replace(/\$from\b/g, String(from))
    .replace(/\$to\b/g, String(to))
    .replace(/\$interval\b/g, String(INTERVAL))
    .replace(/\btcplens\./g, `${db}.`);
}

function flow(dst: string, segsOut: number, retrans: number, rttUs: number, closeNs: bigint, resets = 0): FlowRow {
  return {
    netns_inode: 1n,
    idiag_cookie: BigInt(Math.floor(Math.random() * 2 ** 40)),
    idiag_family: 2,
    src: '10.9.9.9',
    sport: 40000,
    dst,
    dport: 443,
    views: 1,
    open_ns: closeNs - 1_000_000n,
    close_ns: closeNs,
    first_seen_ns: closeNs - 1_000_000n,
    last_seen_ns: closeNs,
    first_poll_ns: 0n,
    last_poll_ns: 0n,
    polls: 0,
    duration_ns: 1_000_000n,
    final_source: 'destroy',
    direction: 1,
    tcpi_bytes_acked: 1000n,
    tcpi_bytes_received: 1000n,
    tcpi_segs_in: segsOut,
    tcpi_segs_out: segsOut,
    tcpi_total_retrans: retrans,
    tcpi_rtt: rttUs,
    bytes_unpolled: 0n,
    peak_bytes_per_s: 0n,
    peak_retrans: 0,
    retransmit_events: retrans,
    reset_events: resets,
    pid: 1,
    tgid: 1,
    comm: 'curl',
    cgroup_id: 0n,
    evicted: 0,
    ...NO_FORENSICS,
  };
}

describe('TCP health SQL on a real ClickHouse', function () {
  this.timeout(120_000);
  let t: TestServer;
  let db = '';
  const T0 = Math.floor(Date.now() / 1000 / INTERVAL) * INTERVAL - 10 * INTERVAL; // a whole bucket, 10 minutes ago
  const FROM = T0,
    TO = T0 + 5 * INTERVAL;
  const dirs: string[] = [];

  before(async function () {
    if (!haveClickHouse()) {
      console.log('    skipped: clickhouse-server not installed (scripts/bootstrap.sh installs it)');
      this.skip();
      return;
    }
    t = await startTestServer();
    db = await freshSchemaDb(t, 'health');
    const ev = (kind: number, dst: string, dport: number, n: number, at: number): string =>
      `INSERT INTO ${db}.tcp_events (host, ts, src, dst, ts_ns, sport, dport, kind) SELECT 'h', toDateTime(${at}), IPv6StringToNum('::ffff:10.9.9.9'), IPv6StringToNum('${dst}'), ${at}000000000, 40000, ${dport}, ${kind} FROM system.numbers LIMIT ${n}`;
    for (const q of [
      ev(5, '::ffff:10.0.0.1', 443, 120, T0 + 5), // retransmits: 120 in the first minute
      ev(5, '::ffff:10.0.0.1', 443, 60, T0 + 65), // 60 in the second
      ev(5, '::ffff:10.0.0.1', 443, 999, T0 - 3600), // outside the range
      ev(7, '::ffff:10.0.0.1', 443, 5, T0 + 10), // resets received from A
      ev(6, '::ffff:10.0.0.1', 443, 1, T0 + 10), // a reset we sent A
      ev(7, '::ffff:10.0.0.2', 80, 2, T0 + 70), // resets received from B
      ev(1, '::ffff:10.0.0.3', 22, 50, T0 + 10), // opens: no health signal
      `INSERT INTO ${db}.tcp_snapshots (host, ts, view, idiag_state, tcpi_rtt) SELECT 'h', toDateTime(${T0 + 30}), 'poll', 1, if(number < 50, 1000, 3000) FROM system.numbers LIMIT 100`,
      `INSERT INTO ${db}.tcp_snapshots (host, ts, view, idiag_state, tcpi_rtt) SELECT 'h', toDateTime(${T0 + 30}), 'poll', 10, 900000 FROM system.numbers LIMIT 100`, // listeners: not counted
    ])
      await t.client.command({ query: q });
  });
  after(async () => {
    await t?.cleanup();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const run = <T>(name: string): Promise<T[]> => rows<T>(t.client, panelSql(name, db, FROM, TO));

  it('every panel is a saved question, and every panel runs on 18.16', async () => {
    const names = PANELS.map(questionOf);
    expect(names).to.not.include('');
    expect(names).to.include.members(['retransmit-rate', 'rtt-over-time', 'retransmit-top', 'resets-by-peer', 'slow-endpoints']);
    for (const n of names) await run(n);
  });

  it('retransmits per second per bucket, from the events view', async () => {
    const r = await run<{ t: string; retransmits_per_s: number }>('retransmit-rate');
    expect(r.map((x) => [Number(x.t), x.retransmits_per_s])).to.deep.equal([
      [T0 * 1000, 2],
      [(T0 + 60) * 1000, 1],
    ]);
  });

  it('RTT of established sockets: p50 and p99 in ms, listeners left out', async () => {
    const r = await run<{ t: string; rtt_p50_ms: number; rtt_p99_ms: number }>('rtt-over-time');
    expect(r).to.have.length(1);
    expect(Number(r[0]!.t)).to.equal(T0 * 1000);
    expect(r[0]!.rtt_p99_ms).to.equal(3);
    expect(r[0]!.rtt_p50_ms).to.be.within(1, 3);
  });

  it('peers that reset us most, with the resets we sent them', async () => {
    const r = await run<{ peer: string; peer_port: number; direction: string; state: string; resets: string }>('resets-by-peer');
    expect(r.map((x) => [x.peer, x.peer_port, x.direction, x.state, Number(x.resets)])).to.deep.equal([
      ['10.0.0.1', 443, 'received', 'UNKNOWN', 5],
      ['10.0.0.2', 80, 'received', 'UNKNOWN', 2],
      ['10.0.0.1', 443, 'sent', 'UNKNOWN', 1],
    ]);
  });

  it('retransmission ratio per peer from flows written by the real sink; the sink metrics match count()', async () => {
    const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlspool-'));
    dirs.push(spoolDir);
    const sink = new ClickHouseSink({
      clickhouse: { url: t.url, user: 'default', password: '', database: db },
      host: 'h',
      flushIntervalMs: 50,
      spoolDir,
    });
    await sink.start();
    const m = await startMetrics(
      { listen: '127.0.0.1:0', logger: quiet, bpfStats: false },
      { sink: observeSink(sink, { queueCapacityRows: 100_000, spoolBudgetBytes: 256 << 20 }) },
    );
    try {
      const at = BigInt(T0 + 100) * 1_000_000_000n;
      sink.writeFlows([flow('10.0.0.1', 100, 10, 2000, at, 1), flow('10.0.0.1', 100, 10, 4000, at), flow('10.0.0.2', 300, 0, 1000, at)]);
      await sink.flush(20_000);
      const r = await run<{ key: string; flows: string; segs_out: string; retrans_segs: string; retrans_ratio: number }>('retransmit-top');
      expect(r.map((x) => [x.key, Number(x.flows), Number(x.segs_out), Number(x.retrans_segs), x.retrans_ratio])).to.deep.equal([
        ['10.0.0.1', 2, 200, 20, 0.1],
        ['10.0.0.2', 1, 300, 0, 0],
      ]);
      const s = await scrape(m.url);
      const [n] = await rows<{ n: string }>(t.client, `SELECT count() AS n FROM ${db}.tcp_flows`);
      expect(s.get('tcplens_sink_rows_total', { table: 'tcp_flows', outcome: 'written' }))
        .to.equal(Number(n!.n))
        .and.equal(3);
      expect(s.get('tcplens_sink_rows_total', { table: 'tcp_flows', outcome: 'queued' })).to.equal(3);
      expect(s.get('tcplens_sink_insert_duration_seconds_count')).to.be.at.least(1);
      expect(s.get('tcplens_sink_state', { state: 'writing' })).to.equal(1);
      expect((await fetch(`${m.url}/readyz`)).status).to.equal(200);
    } finally {
      await m.close();
      await sink.close();
    }
  });

  it('a real sink whose ClickHouse is down spools, counts failed inserts, and /readyz fails once the spool is over budget', async () => {
    const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlspool-'));
    dirs.push(spoolDir);
    const dead = await freePort();
    const budget = 64 << 10;
    const sink = new ClickHouseSink({
      clickhouse: { url: `http://127.0.0.1:${dead}`, user: 'default', password: '', database: db },
      host: 'h',
      flushIntervalMs: 20,
      maxAttempts: 1,
      backoffInitialMs: 20,
      backoffMaxMs: 50,
      spoolDir,
      spoolBytes: budget,
    });
    await sink.start();
    const m = await startMetrics(
      { listen: '127.0.0.1:0', logger: quiet, bpfStats: false },
      { sink: observeSink(sink, { queueCapacityRows: 100_000, spoolBudgetBytes: budget }) },
    );
    try {
      const at = BigInt(T0) * 1_000_000_000n;
      let s = await scrape(m.url);
      for (let i = 0; i < 200 && !(s.get('tcplens_sink_spool_bytes')! > budget / 2); i++) {
        sink.writeFlows(Array.from({ length: 20 }, () => flow('10.0.0.9', 1, 0, 1, at)));
        await new Promise((r) => setTimeout(r, 25));
        s = await scrape(m.url);
      }
      expect(s.get('tcplens_sink_state', { state: 'spooling' })).to.equal(1);
      expect(s.get('tcplens_sink_insert_errors_total', { table: 'tcp_flows' })).to.be.greaterThan(0);
      expect(s.get('tcplens_sink_rows_total', { table: 'tcp_flows', outcome: 'spooled' })).to.be.greaterThan(0);
      // keep writing until the budget is reached: then rows are dropped and /readyz says so
      let ready = await fetch(`${m.url}/readyz`);
      for (let i = 0; i < 400 && ready.status === 200; i++) {
        sink.writeFlows(Array.from({ length: 20 }, () => flow('10.0.0.9', 1, 0, 1, at)));
        await new Promise((r) => setTimeout(r, 25));
        ready = await fetch(`${m.url}/readyz`);
      }
      expect(ready.status).to.equal(503);
      expect(await ready.text()).to.match(/sink (failing|spool over budget)/);
    } finally {
      await m.close();
      await sink.close(2000);
    }
  });
});
