// The TCP health metrics of a real `tcplens run`: nftables drops a share of a
// namespace's packets and the retransmit alert's expression turns true in a
// Prometheus that scrapes the run (and was false before the drops); and over
// a workload the counters equal the sums over the tcp_flows rows the sink
// wrote to a real ClickHouse.
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { parse } from 'yaml';
import { eventsAvailability } from '../../src/sources/events';
import { freePort, haveClickHouse, rows, startTestServer, type TestServer } from '../helpers/clickhouse';
import { runFixture, startRun } from '../helpers/run_proc';
import { PROMETHEUS, startPrometheus, type TestPrometheus } from '../helpers/prometheus';
import { scrape, type Scrape } from '../metrics/scrape';
import { haveCommand, skipIf } from '../helpers/skip';

const ROOT = path.resolve(__dirname, '../../..');
const RULES = path.join(ROOT, 'deploy/prometheus/tcp-health-rules.yml');
const TRAFFIC = path.join(ROOT, 'test/helpers/paced_traffic.py');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alertExpr(name: string): string {
  const doc = parse(fs.readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  const r = doc.groups.flatMap((g) => g.rules).find((x) => x.alert === name);
  if (!r) throw new Error(`${name} not in ${RULES}`);
  return r.expr;
}

/** paced_traffic.py in the namespace: its JSON lines as they come. */
function traffic(ns: string, args: string[]): { proc: ChildProcess; next(): Promise<Record<string, unknown>> } {
  const proc = spawn('ip', ['netns', 'exec', ns, 'python3', TRAFFIC, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const it = readline.createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  return {
    proc,
    async next() {
      const r = await it.next();
      if (r.done) throw new Error('paced_traffic.py ended early');
      return JSON.parse(r.value) as Record<string, unknown>;
    },
  };
}

/** Drops one in `every` of the data segments (over 200 bytes) to `port` on the namespace's way in:
 * a drop on the way out would fail the send, which TCP does not count as a retransmission. */
function dropShare(ns: string, port: number, every: number): void {
  const nft = (...a: string[]): void => {
    execFileSync('ip', ['netns', 'exec', ns, 'nft', ...a]);
  };
  nft('add', 'table', 'inet', 'tlhealth');
  nft('add', 'chain', 'inet', 'tlhealth', 'in', '{ type filter hook input priority 0 ; }');
  nft(...`add rule inet tlhealth in tcp dport ${port} ip length > 200 numgen random mod ${every} == 0 drop`.split(' '));
}

const sumSides = (m: Scrape, name: string, sides = ['client', 'server', 'unknown']): number =>
  sides.reduce((a, side) => a + (m.get(name, { side }) ?? 0), 0);
/** the sum of NAME's series whose labels include `has` (e.g. by="peer") */
const sumOf = (m: Scrape, name: string, has: string): number =>
  [...m.values].filter(([k]) => k.startsWith(`${name}{`) && k.includes(has)).reduce((a, [, v]) => a + v, 0);

async function until<T>(what: string, ms: number, f: () => Promise<T | null>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

describe('tcplens run: TCP health metrics', function () {
  this.timeout(180_000);
  const fx = runFixture('health', 'tlhealth-');
  let load: ChildProcess | null = null;
  let prom: TestPrometheus | null = null;
  let ch: TestServer | null = null;

  beforeEach(function () {
    skipIf(this, !haveCommand('nft'), 'nft not installed (scripts/bootstrap.sh installs nftables)');
  });
  afterEach(async () => {
    load?.kill('SIGKILL');
    load = null;
    await prom?.stop();
    prom = null;
    await ch?.cleanup();
    ch = null;
  });

  it("nftables drops a share of a namespace's packets: the retransmit alert's expression turns true in a Prometheus scraping the run", async function () {
    skipIf(this, !fs.existsSync(PROMETHEUS), 'prometheus not installed (scripts/bootstrap.sh installs it)');
    const port = await freePort();
    const run = startRun([
      '--netns',
      fx.ns,
      '--sink',
      `file:${path.join(fx.dir, 'rows.pb')}`,
      '--interval',
      '1s',
      '--listen',
      `127.0.0.1:${port}`,
    ]);
    await run.waitFor('run.started');
    prom = await startPrometheus(`127.0.0.1:${port}`, [RULES]);
    const expr = alertExpr('TcpRetransmitRatioHigh');
    const t = traffic(fx.ns, ['8', '120']);
    load = t.proc;
    const { port: dport } = (await t.next()) as { port: number };

    // clean traffic first: over the rule's traffic floor, no retransmits, the expression empty
    await until('clean traffic over the floor in Prometheus', 30_000, async () => {
      const r = await prom!.query('sum by (instance, job) (rate(tcplens_health_segments_sent_total[5m])) > 10');
      return r.length ? r : null;
    });
    await sleep(3000);
    expect(await prom.query(expr), 'no loss: the expression is empty').to.deep.equal([]);
    expect((await prom.alerts()).filter((a) => a.labels['alertname'] === 'TcpRetransmitRatioHigh')).to.deep.equal([]);

    // then one data segment in 5 dropped on its way in
    dropShare(fx.ns, dport, 5);
    const [labels, ratio] = await until('the retransmit expression to turn true', 60_000, async () => {
      const r = await prom!.query(expr);
      return r[0] ?? null;
    });
    expect(labels).to.include({ job: 'tcplens', instance: `127.0.0.1:${port}` });
    expect(ratio).to.be.above(0.02);
    // the rule as Prometheus loaded it: pending (true, waiting out its 10 minutes)
    const alert = await until('the alert pending', 10_000, async () => {
      const a = (await prom!.alerts()).find((x) => x.labels['alertname'] === 'TcpRetransmitRatioHigh');
      return a ?? null;
    });
    expect(alert.state).to.equal('pending');
    // the sender is the client: its retransmits, not the server's
    const m = await scrape(`http://127.0.0.1:${port}`);
    expect(m.get('tcplens_health_segments_retransmitted_total', { side: 'client' })).to.be.above(0);
    expect(m.get('tcplens_health_segments_retransmitted_total', { side: 'server' })).to.equal(0);
  });

  it('over a workload, the counters equal the sums over the tcp_flows rows the sink wrote to ClickHouse', async function () {
    skipIf(this, !haveClickHouse(), 'clickhouse-server not installed (scripts/bootstrap.sh installs it)');
    ch = await startTestServer();
    const db = ch.freshDb('health');
    const port = await freePort();
    const run = startRun(
      [
        ...['--netns', fx.ns, '--database', db, '--interval', '500ms', '--listen', `127.0.0.1:${port}`],
        ...['--health-by', 'port,comm', '--health-peers', '127.0.0.0/8=loopback'],
      ],
      { TCPLENS_CLICKHOUSE_URL: ch.url },
    );
    await run.waitFor('run.started');
    const REFUSED = 3,
      CONNS = 4;
    const t = traffic(fx.ns, [String(CONNS), '4', String(REFUSED)]);
    load = t.proc;
    const { port: dport } = (await t.next()) as { port: number };
    dropShare(fx.ns, dport, 10); // some retransmits to count
    expect(await t.next()).to.include({ done: true });
    const url = `http://127.0.0.1:${port}`;
    // every flow closed and past the flow table's close grace
    const m = await until('every flow written', 30_000, async () => {
      const s = await scrape(url);
      return s.get('tcplens_flows_open') === 0 && (s.get('tcplens_flows_closed_total') ?? 0) >= 2 * CONNS ? s : null;
    });
    await sleep(2500);
    const last = await scrape(url);
    expect(last.get('tcplens_health_flows_closed_total', { side: 'client' })).to.equal(
      m.get('tcplens_health_flows_closed_total', { side: 'client' }),
    );
    run.proc.kill('SIGTERM');
    expect(await run.exited).to.equal(0);

    type Sums = Record<'n' | 'segs_out' | 'segs_in' | 'acked' | 'received' | 'retrans' | 'resets', string>;
    const [s] = await rows<Sums>(
      ch.client,
      `SELECT count() AS n, sum(tcpi_segs_out) AS segs_out, sum(tcpi_segs_in) AS segs_in, sum(tcpi_bytes_acked) AS acked,
              sum(tcpi_bytes_received) AS received, sum(tcpi_total_retrans) AS retrans, sum(reset_events) AS resets
       FROM ${db}.tcp_flows WHERE evicted = 0`,
    );
    const want = {
      flows: Number(s!.n),
      segsOut: Number(s!.segs_out),
      segsIn: Number(s!.segs_in),
      acked: Number(s!.acked),
      received: Number(s!.received),
      retrans: Number(s!.retrans),
      resets: Number(s!.resets),
    };
    const events = eventsAvailability().ok;
    const got = {
      flows: sumSides(last, 'tcplens_health_flows_closed_total'),
      segsOut: sumSides(last, 'tcplens_health_segments_sent_total'),
      segsIn: sumSides(last, 'tcplens_health_segments_received_total'),
      acked: sumSides(last, 'tcplens_health_bytes_sent_total'),
      received: sumSides(last, 'tcplens_health_bytes_received_total'),
      retrans: sumSides(last, 'tcplens_health_segments_retransmitted_total'),
      resets: ['client', 'server', 'unknown'].reduce(
        (a, side) =>
          a + ['sent', 'received'].reduce((b, direction) => b + (last.get('tcplens_health_resets_total', { side, direction }) ?? 0), 0),
        0,
      ),
    };
    expect(got).to.deep.equal(want);
    // the breakdowns hold the same traffic: every flow has a peer group; every server flow a port group
    const peer = 'by="peer"',
      byPort = 'by="port"';
    expect(sumOf(last, 'tcplens_health_group_segments_sent_total', peer)).to.equal(want.segsOut);
    expect(sumOf(last, 'tcplens_health_group_bytes_received_total', peer)).to.equal(want.received);
    expect(last.get('tcplens_health_group_flows_closed_total', { by: 'peer', name: 'loopback', side: 'server' })).to.equal(CONNS);
    expect(sumOf(last, 'tcplens_health_group_segments_sent_total', byPort)).to.equal(
      last.get('tcplens_health_segments_sent_total', { side: 'server' }),
    );
    expect(last.get('tcplens_health_group_flows_closed_total', { by: 'port', name: String(dport), side: 'server' })).to.equal(CONNS);
    expect(last.get('tcplens_health_group_overflow_total', { by: 'comm' })).to.equal(0);
    // the workload is in there: its connections, the bytes the clients sent, retransmits
    expect(want.flows).to.be.at.least(2 * CONNS + (events ? REFUSED : 0));
    expect(want.retrans).to.be.above(0);
    expect(last.get('tcplens_health_flows_opened_total', { side: 'client' })).to.equal(
      last.get('tcplens_health_flows_closed_total', { side: 'client' }),
    );
    if (events) {
      expect(last.get('tcplens_health_connects_total', { outcome: 'refused' })).to.equal(REFUSED);
      expect(last.get('tcplens_health_connects_total', { outcome: 'established' })).to.equal(CONNS);
      expect(last.get('tcplens_health_accepts_total')).to.equal(CONNS);
      expect(last.get('tcplens_health_resets_total', { side: 'none', direction: 'sent' })).to.equal(REFUSED);
      expect(want.resets).to.equal(REFUSED);
    }
  });
});
