// `tcplens run` end to end: a real child process polling a test namespace
// into a real ClickHouse server started by the test.
import { expect } from 'chai';
import { PollSource } from '../../src/sources/poll';
import { parseNetnsSelector } from '../../src/netns/select';
import { eventsAvailability } from '../../src/sources/events';
import { VIEW_DESTROY, VIEW_EVENTS, VIEW_POLL } from '../../src/correlate/flow_row';
import { churn, heldChurn } from '../helpers/churn';
import { haveClickHouse, rows, sharedServer } from '../helpers/clickhouse';
import { runFixture, startRun } from '../helpers/run_proc';
import { skipIf } from '../helpers/skip';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type Totals = Record<string, { queued: number; written: number; spooled: number; dropped: number }>;

describe('tcplens run (real namespace, real ClickHouse)', function () {
  this.timeout(120_000);
  const ch = sharedServer();
  const fx = runFixture('run', 'tlrun-');
  beforeEach(function () {
    skipIf(this, !haveClickHouse(), 'clickhouse-server not installed (scripts/bootstrap.sh installs it)');
  });

  const common = (db: string): string[] => ['--netns', fx.ns, '--database', db, '--spool-dir', fx.dir, '--listen', '127.0.0.1:0'];

  it('writes every socket of the workload in every poll cycle, as the poll view reads it', async () => {
    const held = await heldChurn(fx.ns, 5, 1000);
    const truth = new Map<string, bigint>();
    const poll = new PollSource({ netns: parseNetnsSelector(fx.ns) });
    await poll.cycle((b) => {
      for (let i = 0; i < b.rows; i++) truth.set(b.u64('idiag_cookie')[i]!.toString(), b.u64('tcpi_bytes_acked')[i]!);
    });
    poll.close();
    expect(truth.size).to.equal(11); // 10 connected + the listener

    const db = ch.freshDb('snap');
    // the listener in every cycle's dump too (--listen-interval every): every socket, every cycle
    const r = startRun(
      [...common(db), '--interval', '400ms', '--listen-interval', 'every', '--duration', '2s', '--views', 'poll,destroy'],
      {
        TCPLENS_CLICKHOUSE_URL: ch.url,
      },
    );
    expect(await r.exited).to.equal(0);
    await held.release();
    const totals = r.last('run.totals')!;
    const cycles = totals['cycles'] as number;
    expect(cycles).to.be.within(3, 7);

    const pc = await rows<{ n: string; s: string }>(
      ch.client,
      `SELECT count() AS n, sum(sockets) AS s FROM ${db}.poll_cycles WHERE netns_inode = ${fx.ino}`,
    );
    expect(Number(pc[0]!.n)).to.equal(cycles);
    expect(Number(pc[0]!.s)).to.equal(cycles * 11);
    const snaps = await rows<{ c: string; n: string; lo: string; hi: string }>(
      ch.client,
      `SELECT toString(idiag_cookie) AS c, count() AS n, min(tcpi_bytes_acked) AS lo, max(tcpi_bytes_acked) AS hi
       FROM ${db}.tcp_snapshots WHERE view = 'poll' AND netns_inode = ${fx.ino} GROUP BY c`,
    );
    expect(snaps.map((s) => s.c).sort()).to.deep.equal([...truth.keys()].sort());
    for (const s of snaps) {
      expect(Number(s.n), `cookie ${s.c}`).to.equal(cycles);
      expect(BigInt(s.lo)).to.equal(truth.get(s.c)); // idle connections: the same every cycle
      expect(BigInt(s.hi)).to.equal(truth.get(s.c));
    }
    const t = (totals['tables'] as Totals)['tcp_snapshots']!;
    const all = await rows<{ n: string }>(ch.client, `SELECT count() AS n FROM ${db}.tcp_snapshots`);
    expect(t.dropped).to.equal(0);
    expect(t.written).to.equal(t.queued);
    expect(Number(all[0]!.n)).to.equal(t.queued);
  });

  it('flows born and dead between two polls reach tcp_flows from events/destroy, flagged missed by polling, with exact bytes', async () => {
    const events = eventsAvailability().ok;
    const db = ch.freshDb('flows');
    const r = startRun([...common(db), '--interval', '1m', '--views', 'poll,destroy,events'], { TCPLENS_CLICKHOUSE_URL: ch.url });
    await r.waitFor('run.started');
    await sleep(800); // the first poll is done; the next is a minute away
    const N = 20,
      BYTES = 3000;
    const truth = churn(fx.ns, N, BYTES);
    await sleep(800); // destroy and events drained (every 200 ms)
    r.proc.kill('SIGTERM');
    expect(await r.exited).to.equal(0);

    const flows = await rows<{
      sport: number;
      dport: number;
      views: number;
      polls: number;
      final_source: string;
      acked: string;
      received: string;
      unpolled: string;
    }>(
      ch.client,
      `SELECT sport, dport, views, polls, final_source, toString(tcpi_bytes_acked) AS acked, toString(tcpi_bytes_received) AS received,
              toString(bytes_unpolled) AS unpolled FROM ${db}.tcp_flows WHERE netns_inode = ${fx.ino}`,
    );
    expect(flows).to.have.length(2 * N);
    const lport = truth.listener[1];
    for (const f of flows) {
      expect(f.views & VIEW_POLL).to.equal(0);
      expect(f.polls).to.equal(0);
      expect(f.views & VIEW_DESTROY).to.equal(VIEW_DESTROY);
      if (events) expect(f.views & VIEW_EVENTS).to.equal(VIEW_EVENTS);
      expect(f.final_source).to.equal(events ? 'events' : 'destroy');
      expect(BigInt(f.unpolled)).to.equal(BigInt(f.acked) + BigInt(f.received));
    }
    for (const t of truth.flows) {
      const client = flows.find((f) => f.sport === t.sport && f.dport === lport)!;
      const server = flows.find((f) => f.dport === t.sport && f.sport === lport)!;
      expect(client, `client ${t.sport}`).to.exist;
      expect(server, `server of ${t.sport}`).to.exist;
      // sequence space: data + SYN + FIN acked; data + FIN received
      expect(Number(client.acked)).to.equal(BYTES + 2);
      expect(Number(client.received)).to.equal(BYTES / 2 + 1);
      expect(Number(server.received)).to.equal(BYTES + 1);
    }
  });

  it('SIGTERM loses no rows: every table holds what the sidecar queued', async () => {
    const held = await heldChurn(fx.ns, 3, 100);
    const db = ch.freshDb('term');
    const r = startRun([...common(db), '--interval', '200ms'], { TCPLENS_CLICKHOUSE_URL: ch.url });
    await r.waitFor('run.started');
    await sleep(2000);
    r.proc.kill('SIGTERM');
    expect(await r.exited).to.equal(0);
    await held.release();
    const tables = r.last('run.totals')!['tables'] as Totals;
    expect(Object.keys(tables)).to.include.members(['tcp_snapshots', 'poll_cycles']);
    for (const [table, t] of Object.entries(tables)) {
      const n = await rows<{ n: string }>(ch.client, `SELECT count() AS n FROM ${db}.${table}`);
      expect(t.dropped, table).to.equal(0);
      expect(Number(n[0]!.n), table).to.equal(t.queued);
    }
  });
});
