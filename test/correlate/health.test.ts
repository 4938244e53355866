// The TCP health accounts fed by the flow table: crafted poll and events
// batches, so every count is known; read through the real registry (what a
// scrape shows). The breakdowns, the series cap and the peer CIDRs.
import { expect } from 'chai';
import { FlowTable } from '../../src/correlate/flow_table';
import { HealthAccounts, GROUP_SERIES } from '../../src/correlate/health';
import { parseBreakdown, parsePeers } from '../../src/correlate/health_groups';
import { ColumnBatch, PollBatch } from '../../src/layout/batch';
import { EVENT_COLUMNS, EV_KIND } from '../../src/layout/event_columns';
import { putTuple, withRows } from '../helpers/batches';
import { createRegistry } from '../../src/metrics/registry';
import { GROUP_METRIC_SERIES } from '../../src/metrics/health';
import { parseExposition, type Scrape } from '../metrics/scrape';
import type { FlowRow } from '../../src/correlate/flow_row';
import { spawn } from 'child_process';
import { PollSource } from '../../src/sources/poll';
import { parseNetnsSelector } from '../../src/netns/select';
import { createNetns, deleteNetns, isRoot } from '../helpers/netns';
import { pollInto } from '../helpers/flows';
import { skipIf } from '../helpers/skip';

const NS = 4026532101n;
const ESTABLISHED = 1,
  SYN_SENT = 2,
  CLOSE = 7,
  LISTEN = 10;

interface Sock {
  cookie: bigint;
  src?: number[];
  sport: number;
  dst?: number[];
  dport: number;
  state?: number;
  segsOut?: number;
  segsIn?: number;
  acked?: number;
  received?: number;
  retrans?: number;
  rttUs?: number;
  rq?: number;
  wq?: number;
}

function pollBatch(socks: Sock[], ts: bigint): PollBatch {
  return withRows(new PollBatch(socks.length), socks, (b, i, s) => {
    putTuple(b, i, { src: s.src ?? [10, 0, 0, 1], sport: s.sport, dst: s.dst ?? (s.dport ? [10, 0, 0, 2] : [0, 0, 0, 0]), dport: s.dport });
    b.u8('idiag_state')[i] = s.state ?? ESTABLISHED;
    b.u64('idiag_cookie')[i] = s.cookie;
    b.u64('ts_ns')[i] = ts;
    b.u32('tcpi_segs_out')[i] = s.segsOut ?? 0;
    b.u32('tcpi_segs_in')[i] = s.segsIn ?? 0;
    b.u64('tcpi_bytes_acked')[i] = BigInt(s.acked ?? 0);
    b.u64('tcpi_bytes_received')[i] = BigInt(s.received ?? 0);
    b.u32('tcpi_total_retrans')[i] = s.retrans ?? 0;
    b.u32('tcpi_rtt')[i] = s.rttUs ?? 0;
    b.u32('tcpi_min_rtt')[i] = s.rttUs ?? 0;
    b.u32('idiag_rqueue')[i] = s.rq ?? 0;
    b.u32('idiag_wqueue')[i] = s.wq ?? 0;
  });
}

interface Ev {
  kind: number;
  cookie: bigint;
  sport?: number;
  dport?: number;
  oldstate?: number;
  newstate?: number;
  flags?: number;
  segsOut?: number;
  retrans?: number;
  ts?: bigint;
}

function eventBatch(evs: Ev[]): ColumnBatch {
  return withRows(new ColumnBatch(evs.length, EVENT_COLUMNS), evs, (b, i, e) => {
    putTuple(b, i, { src: [10, 0, 0, 1], sport: e.sport ?? 40000, dst: [10, 0, 0, 2], dport: e.dport ?? 80 });
    b.u8('kind')[i] = e.kind;
    b.u8('flags')[i] = e.flags ?? 0;
    b.u8('oldstate')[i] = e.oldstate ?? 0;
    b.u8('newstate')[i] = e.newstate ?? (e.kind === EV_KIND.CLOSE ? CLOSE : ESTABLISHED);
    b.u64('idiag_cookie')[i] = e.cookie;
    b.u64('netns_inode')[i] = NS;
    b.u64('ts_ns')[i] = e.ts ?? 1000n;
    b.u32('tcpi_segs_out')[i] = e.segsOut ?? 0;
    b.u32('tcpi_total_retrans')[i] = e.retrans ?? 0;
  });
}

describe('TCP health accounts (flow table -> tcplens_health_*)', () => {
  let clock = 0;
  let health: HealthAccounts;
  let table: FlowTable;
  const GRACE = 1000;

  const scrape = async (): Promise<Scrape> =>
    parseExposition(await createRegistry({ health: { stats: () => health } }, { version: 't', defaults: false }).metrics());
  const cycle = (socks: Sock[], ts: bigint): void => {
    table.observePoll(pollBatch(socks, ts), NS);
    table.endCycle(NS);
    table.beginCycle(NS);
  };
  const finishAll = (): FlowRow[] => {
    clock += GRACE;
    return table.collect();
  };

  beforeEach(() => {
    clock = 0;
    health = new HealthAccounts();
    table = new FlowTable({ now: () => clock, closeGraceMs: GRACE, health });
  });

  it('per side: what the counters moved between polls, and at the close up to the final counters', async () => {
    const listener: Sock = { cookie: 1n, sport: 80, dport: 0, state: LISTEN, rq: 0, wq: 128 };
    // a server flow on the listening port, and a client flow from an ephemeral port
    const srv = (segsOut: number, retrans: number): Sock => ({
      cookie: 10n,
      sport: 80,
      dport: 50000,
      segsOut,
      retrans,
      acked: segsOut * 100,
      rttUs: 800,
    });
    const cli = (segsOut: number): Sock => ({ cookie: 20n, sport: 41000, dport: 443, segsOut, segsIn: 7, received: 700, rttUs: 30000 });
    cycle([listener, srv(100, 2), cli(50)], 1_000_000_000n);
    cycle([listener, srv(100, 2), cli(50)], 2_000_000_000n); // nothing moved: no RTT sample
    cycle([listener, srv(300, 12), cli(80)], 3_000_000_000n);
    let m = await scrape();
    expect(m.get('tcplens_health_segments_sent_total', { side: 'server' })).to.equal(300);
    expect(m.get('tcplens_health_segments_retransmitted_total', { side: 'server' })).to.equal(12);
    expect(m.get('tcplens_health_bytes_sent_total', { side: 'server' })).to.equal(30000);
    expect(m.get('tcplens_health_segments_sent_total', { side: 'client' })).to.equal(80);
    expect(m.get('tcplens_health_bytes_received_total', { side: 'client' })).to.equal(700);
    expect(m.get('tcplens_health_flows_opened_total', { side: 'server' })).to.equal(1);
    expect(m.get('tcplens_health_flows_opened_total', { side: 'client' })).to.equal(1);
    expect(m.get('tcplens_health_rtt_seconds_count', { side: 'server' })).to.equal(2);
    expect(m.get('tcplens_health_rtt_seconds_bucket', { side: 'server', le: '0.001' })).to.equal(2);
    expect(m.get('tcplens_health_rtt_seconds_bucket', { side: 'server', le: '0.0005' })).to.equal(0);
    expect(m.get('tcplens_health_rtt_seconds_bucket', { side: 'client', le: '0.025' })).to.equal(0);
    expect(m.get('tcplens_health_rtt_seconds_bucket', { side: 'client', le: '0.05' })).to.equal(2);
    expect(m.get('tcplens_health_min_rtt_seconds_count', { side: 'client' })).to.equal(2);
    expect(m.get('tcplens_health_listeners')).to.equal(1);

    // the server flow ends with more than the last poll saw (destroy's final record)
    const d = pollBatch([srv(340, 15)], 3_500_000_000n);
    table.observeDestroy(d, NS);
    cycle([listener, cli(80)], 4_000_000_000n);
    const rows = finishAll();
    expect(rows.map((r) => r.idiag_cookie)).to.deep.equal([10n]);
    m = await scrape();
    expect(m.get('tcplens_health_segments_sent_total', { side: 'server' })).to.equal(340);
    expect(m.get('tcplens_health_segments_retransmitted_total', { side: 'server' })).to.equal(15);
    expect(m.get('tcplens_health_flows_closed_total', { side: 'server' })).to.equal(1);
    expect(m.get('tcplens_health_flows_closed_total', { side: 'client' })).to.equal(0);
    // over finished flows, the counters are the tcp_flows rows' sums
    expect(rows[0]!.tcpi_segs_out).to.equal(340);
    expect(rows[0]!.tcpi_total_retrans).to.equal(15);
  });

  it('connects by outcome, accepts, resets per side and direction, resets no socket sent', async () => {
    table.observeEvents(
      eventBatch([
        { kind: EV_KIND.ACTIVE_OPEN, cookie: 30n },
        { kind: EV_KIND.PASSIVE_OPEN, cookie: 31n, sport: 80, dport: 40000 },
        // refused: the peer resets the SYN, the socket closes from SYN_SENT
        { kind: EV_KIND.RESET_RECEIVED, cookie: 32n, sport: 40002, dport: 81, oldstate: SYN_SENT, newstate: SYN_SENT },
        { kind: EV_KIND.CLOSE, cookie: 32n, sport: 40002, dport: 81, oldstate: SYN_SENT },
        // timed out: closed from SYN_SENT with no reset
        { kind: EV_KIND.CLOSE, cookie: 33n, sport: 40003, dport: 82, oldstate: SYN_SENT },
        { kind: EV_KIND.RESET_SENT, cookie: 31n, sport: 80, dport: 40000 },
        // a SYN to a closed port answered by the kernel: no socket, no cookie
        { kind: EV_KIND.RESET_SENT, cookie: 0n, sport: 9, dport: 40009, flags: 0x04, oldstate: CLOSE, newstate: CLOSE },
      ]),
      [],
    );
    const m = await scrape();
    expect(m.get('tcplens_health_connects_total', { outcome: 'established' })).to.equal(1);
    expect(m.get('tcplens_health_connects_total', { outcome: 'refused' })).to.equal(1);
    expect(m.get('tcplens_health_connects_total', { outcome: 'timed_out' })).to.equal(1);
    expect(m.get('tcplens_health_accepts_total')).to.equal(1);
    expect(m.get('tcplens_health_resets_total', { side: 'client', direction: 'received' })).to.equal(1);
    expect(m.get('tcplens_health_resets_total', { side: 'server', direction: 'sent' })).to.equal(1);
    expect(m.get('tcplens_health_resets_total', { side: 'none', direction: 'sent' })).to.equal(1);
    expect(m.get('tcplens_health_flows_opened_total', { side: 'client' })).to.equal(3);
    expect(m.get('tcplens_health_flows_opened_total', { side: 'server' })).to.equal(1);
  });

  it('listen queues: a listener over its backlog counts once per poll that finds it so', async () => {
    const l = (rq: number): Sock => ({ cookie: 1n, sport: 80, dport: 0, state: LISTEN, rq, wq: 4 });
    cycle([l(4), { cookie: 2n, sport: 81, dport: 0, state: LISTEN, rq: 0, wq: 4 }], 1n);
    cycle([l(5)], 2n);
    cycle([l(5)], 3n);
    const m = await scrape();
    expect(m.get('tcplens_health_listen_queue_full_total')).to.equal(2);
    expect(m.get('tcplens_health_listeners')).to.equal(1);
    expect(m.get('tcplens_health_listeners_full')).to.equal(1);
    // a second namespace's listeners add up; once it is gone they leave the gauges, not the counter
    const OTHER = NS + 1n;
    table.observePoll(pollBatch([{ cookie: 3n, sport: 80, dport: 0, state: LISTEN, rq: 9, wq: 4 }], 4n), OTHER);
    table.beginCycle(OTHER);
    expect(health.listening()).to.deep.equal({ listeners: 2, full: 2 });
    table.keepNamespaces(new Set([NS]));
    expect(health.listening()).to.deep.equal({ listeners: 1, full: 1 });
    expect(health.listenFullTotal).to.equal(3);
  });

  it('no health accounts: the flow table does no health work and no tcplens_health_* series exist', async () => {
    const t = new FlowTable({ now: () => clock });
    t.observePoll(pollBatch([{ cookie: 5n, sport: 1, dport: 2, segsOut: 9 }], 1n), NS);
    const text = await createRegistry({}, { version: 't', defaults: false }).metrics();
    expect(text).to.not.match(/^tcplens_health_\w+(\{.*\})? /m);
  });
});

describe('TCP health breakdowns and the series cap', () => {
  it('every group exports GROUP_SERIES series', () => {
    expect(GROUP_METRIC_SERIES).to.equal(GROUP_SERIES);
  });

  it('by comm, port and peer: each flow in its group; a group per (by, name, side)', async () => {
    const health = new HealthAccounts(parseBreakdown('port,comm', '10.0.0.0/8=dc1,192.168.0.0/16=office', 10_000));
    const table = new FlowTable({ health });
    table.observeEvents(
      eventBatch([
        { kind: EV_KIND.PASSIVE_OPEN, cookie: 1n, sport: 443, dport: 50000 },
        { kind: EV_KIND.PASSIVE_OPEN, cookie: 2n, sport: 443, dport: 50001 },
        { kind: EV_KIND.ACTIVE_OPEN, cookie: 3n, sport: 40000, dport: 5432 },
      ]),
      [],
    );
    const m = parseExposition(await createRegistry({ health: { stats: () => health } }, { version: 't', defaults: false }).metrics());
    expect(m.get('tcplens_health_group_flows_opened_total', { by: 'port', name: '443', side: 'server' })).to.equal(2);
    expect(m.get('tcplens_health_group_flows_opened_total', { by: 'comm', name: 'unknown', side: 'server' })).to.equal(2);
    expect(m.get('tcplens_health_group_flows_opened_total', { by: 'peer', name: 'dc1', side: 'client' })).to.equal(1);
    expect(m.get('tcplens_health_group_connects_total', { by: 'peer', name: 'dc1', side: 'client', outcome: 'established' })).to.equal(1);
    // a client's port is no group: not a listening port
    expect([...m.values.keys()].filter((k) => k.startsWith('tcplens_health_group_flows_opened_total{by="port"'))).to.have.length(1);
    expect(m.get('tcplens_health_group_series')).to.equal(health.groups.length * GROUP_SERIES);
  });

  it("by cgroup: the owner's cgroup id; a flow whose owner becomes known moves its later counts to that group", async () => {
    const health = new HealthAccounts(parseBreakdown('cgroup', undefined, 10_000));
    const table = new FlowTable({ health });
    table.observeEvents(eventBatch([{ kind: EV_KIND.ACTIVE_OPEN, cookie: 7n }]), []);
    const b = eventBatch([{ kind: EV_KIND.RESET_RECEIVED, cookie: 7n, flags: 0x02 }]);
    b.u64('cgroup_id')[0] = 4242n;
    b.u32('comm')[0] = 1;
    table.observeEvents(b, ['curl']);
    const m = parseExposition(await createRegistry({ health: { stats: () => health } }, { version: 't', defaults: false }).metrics());
    expect(
      m.get('tcplens_health_group_connects_total', { by: 'cgroup', name: 'unknown', side: 'client', outcome: 'established' }),
    ).to.equal(1);
    expect(m.get('tcplens_health_group_resets_total', { by: 'cgroup', name: '4242', side: 'client', direction: 'received' })).to.equal(1);
    expect(m.get('tcplens_health_group_resets_total', { by: 'cgroup', name: 'unknown', side: 'client', direction: 'received' })).to.equal(
      0,
    );
    // the per-host counters count the flow once
    expect(m.get('tcplens_health_flows_opened_total', { side: 'client' })).to.equal(1);
  });

  it('a breakdown that would exceed the cap stops at it and counts the rest', async () => {
    const CAP_GROUPS = 3,
      FLOWS = 8;
    const health = new HealthAccounts(parseBreakdown('comm', undefined, CAP_GROUPS * GROUP_SERIES + GROUP_SERIES - 1));
    const table = new FlowTable({ health });
    // one process name per flow: 8 would-be groups
    const names = Array.from({ length: FLOWS }, (_, i) => `proc${i}`);
    const b = eventBatch(names.map((_, i) => ({ kind: EV_KIND.ACTIVE_OPEN, cookie: BigInt(100 + i), sport: 41000 + i, flags: 0x02 })));
    names.forEach((_, i) => (b.u32('comm')[i] = i + 1));
    table.observeEvents(b, names);
    const text = await createRegistry({ health: { stats: () => health } }, { version: 't', defaults: false }).metrics();
    const m = parseExposition(text);
    const series = text.split('\n').filter((l) => /^tcplens_health_group_\w+\{/.test(l) && !l.startsWith('tcplens_health_group_overflow'));
    expect(series).to.have.length(CAP_GROUPS * GROUP_SERIES);
    expect(m.get('tcplens_health_group_series')).to.equal(CAP_GROUPS * GROUP_SERIES);
    expect(m.get('tcplens_health_group_overflow_total', { by: 'comm' })).to.equal(FLOWS - CAP_GROUPS);
    // the per-host totals still hold every flow
    expect(m.get('tcplens_health_connects_total', { outcome: 'established' })).to.equal(FLOWS);
    // an existing group keeps counting at the cap
    const again = eventBatch([{ kind: EV_KIND.ACTIVE_OPEN, cookie: 999n, sport: 42000, flags: 0x02 }]);
    again.u32('comm')[0] = 1;
    table.observeEvents(again, names);
    const m2 = parseExposition(await createRegistry({ health: { stats: () => health } }, { version: 't', defaults: false }).metrics());
    expect(m2.get('tcplens_health_group_connects_total', { by: 'comm', name: 'proc0', side: 'client', outcome: 'established' })).to.equal(
      2,
    );
    expect(m2.get('tcplens_health_group_overflow_total', { by: 'comm' })).to.equal(FLOWS - CAP_GROUPS);
  });

  it('peer CIDRs: v4, v6, v4-mapped, first match wins, other; bad input is one usage error', () => {
    const p = parsePeers('10.1.0.0/16=lab, 10.0.0.0/8=dc1,fd00::/8=dc1');
    expect(p.nameOf('10.1.2.3')).to.equal('lab');
    expect(p.nameOf('10.200.0.1')).to.equal('dc1');
    expect(p.nameOf('::ffff:10.200.0.1')).to.equal('dc1');
    expect(p.nameOf('fd12::1')).to.equal('dc1');
    expect(p.nameOf('8.8.8.8')).to.equal('other');
    expect(p.names).to.deep.equal(['lab', 'dc1']);
    for (const bad of ['10.0.0.0=dc1', '10.0.0.0/33=x', 'nothost/8=x', '10.0.0.0/8=', '10.0.0.0/8=other', '10.0.0.0/8=a b'])
      expect(() => parsePeers(bad), bad)
        .to.throw(/--health-peers/)
        .with.property('code', 'EUSAGE');
    expect(() => parseBreakdown('peer', undefined, 10)).to.throw(/--health-peers/);
    expect(() => parseBreakdown('ports', undefined, 10)).to.throw(/unknown breakdown "ports"/);
    expect(() => parseBreakdown('', undefined, -1)).to.throw(/--health-max-series/);
    expect(parseBreakdown('', '10.0.0.0/8=dc1', 5).dimensions).to.deep.equal(['peer']);
  });
});

describe('TCP health on the real kernel: a listen queue that overflows', function () {
  this.timeout(30_000);
  let ns = '';
  afterEach(() => {
    if (ns) deleteNetns(ns);
  });

  it('a listener (backlog 2) that never accepts 6 connects: the poll finds its queue over the backlog; a sibling listener is not', async function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    ns = createNetns('hlq');
    const code = [
      'import socket, sys',
      'full = socket.socket(); full.bind(("127.0.0.1", 0)); full.listen(2)',
      'calm = socket.socket(); calm.bind(("127.0.0.1", 0)); calm.listen(2)',
      'cs = []',
      'for _ in range(6):',
      '    c = socket.socket(); c.setblocking(False)',
      '    try: c.connect(full.getsockname())',
      '    except BlockingIOError: pass',
      '    cs.append(c)',
      'print("ready", flush=True)',
      'sys.stdin.readline()',
    ].join('\n');
    const p = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((r) => p.stdout!.once('data', () => r()));
    await new Promise((r) => setTimeout(r, 300)); // the handshakes past the queue are being dropped
    const health = new HealthAccounts();
    const table = new FlowTable({ health });
    const poll = new PollSource({ netns: parseNetnsSelector(ns) });
    try {
      await pollInto(poll, table);
      await pollInto(poll, table);
    } finally {
      poll.close();
      p.stdin!.end();
    }
    expect(health.listening()).to.deep.equal({ listeners: 2, full: 1 });
    expect(health.listenFullTotal).to.equal(2);
  });
});
