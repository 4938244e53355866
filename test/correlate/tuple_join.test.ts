// Cookieless events (classic-tracepoint fallback) joined on (netns, 4-tuple):
// crafted poll, destroy and events batches, so every ordering is exact.
import { expect } from 'chai';
import { FlowTable } from '../../src/correlate/flow_table';
import { VIEW_DESTROY, VIEW_EVENTS, VIEW_POLL } from '../../src/correlate/flow_row';
import { ColumnBatch, PollBatch } from '../../src/layout/batch';
import { EVENT_COLUMNS, EV_KIND, EVF } from '../../src/layout/event_columns';
import { putTuple, withRows, type Tuple } from '../helpers/batches';

const NS = 4026532001n,
  OTHER_NS = 4026532002n;
const ESTABLISHED = 1,
  SYN_SENT = 2,
  CLOSE = 7;

const CLIENT: Tuple = { src: [10, 0, 0, 1], sport: 40000, dst: [10, 0, 0, 2], dport: 80 };
const SERVER: Tuple = { src: [10, 0, 0, 2], sport: 80, dst: [10, 0, 0, 1], dport: 40000 };

/** One established socket per row, in the poll layout (poll and destroy views). */
function pollBatch(rows: Array<{ t: Tuple; cookie: bigint; ts: bigint; acked?: bigint }>): PollBatch {
  return withRows(new PollBatch(rows.length), rows, (b, i, r) => {
    putTuple(b, i, r.t);
    b.u8('idiag_state')[i] = ESTABLISHED;
    b.u64('idiag_cookie')[i] = r.cookie;
    b.u64('ts_ns')[i] = r.ts;
    b.u64('tcpi_bytes_acked')[i] = r.acked ?? 0n;
  });
}

interface Ev {
  kind: number;
  t: Tuple;
  ts: bigint;
  cookie?: bigint;
  flags?: number;
  ns?: bigint;
  acked?: bigint;
  newstate?: number;
}

/** Events as the fallback writes them: cookie 0 and NOCOOKIE unless told otherwise. */
function eventBatch(evs: Ev[]): ColumnBatch {
  return withRows(new ColumnBatch(evs.length, EVENT_COLUMNS), evs, (b, i, e) => {
    putTuple(b, i, e.t);
    b.u8('kind')[i] = e.kind;
    b.u8('flags')[i] = e.flags ?? EVF.NOCOOKIE | (e.kind === EV_KIND.CLOSE ? EVF.FINAL : 0);
    b.u64('idiag_cookie')[i] = e.cookie ?? 0n;
    b.u64('netns_inode')[i] = e.ns ?? NS;
    b.u64('ts_ns')[i] = e.ts;
    b.u64('tcpi_bytes_acked')[i] = e.acked ?? 0n;
    b.u8('newstate')[i] = e.newstate ?? (e.kind === EV_KIND.CLOSE ? CLOSE : ESTABLISHED);
  });
}

describe('FlowTable: cookieless events joined on (netns, 4-tuple)', () => {
  let clock = 0;
  let table: FlowTable;
  const GRACE = 1000;
  const events = (...evs: Ev[]): void => table.observeEvents(eventBatch(evs), []);
  const drainAll = (): ReturnType<FlowTable['collect']> => {
    clock += GRACE;
    return table.collect();
  };

  beforeEach(() => {
    clock = 0;
    table = new FlowTable({ now: () => clock, closeGraceMs: GRACE });
  });

  it('costs nothing until the first cookieless event; then indexes the flows already in the table', () => {
    table.observePoll(pollBatch([{ t: CLIENT, cookie: 77n, ts: 200n }]), NS);
    table.observeEvents(eventBatch([{ kind: EV_KIND.RETRANSMIT, t: CLIENT, ts: 210n, cookie: 77n, flags: 0 }]), []);
    expect((table as unknown as { tuples: unknown }).tuples).to.equal(null);
    events({ kind: EV_KIND.RETRANSMIT, t: CLIENT, ts: 220n });
    expect((table as unknown as { tuples: unknown }).tuples).to.not.equal(null);
    expect(table.stats()).to.include({ tracked: 1, opened: 1, tupleJoined: 1 });
  });

  it("a polled flow's cookieless open and close join it: one row, poll+events, the poll's cookie and the close's counters", () => {
    table.observePoll(
      pollBatch([
        { t: CLIENT, cookie: 77n, ts: 200n, acked: 10n },
        { t: SERVER, cookie: 78n, ts: 200n },
      ]),
      NS,
    );
    events({ kind: EV_KIND.ACTIVE_OPEN, t: CLIENT, ts: 100n }, { kind: EV_KIND.CLOSE, t: CLIENT, ts: 300n, acked: 502n });
    const rows = drainAll();
    expect(rows).to.have.length(1);
    const r = rows[0]!;
    expect(r).to.include({
      idiag_cookie: 77n,
      views: VIEW_POLL | VIEW_EVENTS,
      direction: 1,
      final_source: 'events',
      open_ns: 100n,
      close_ns: 300n,
    });
    expect(r.tcpi_bytes_acked).to.equal(502n);
    expect(table.stats()).to.include({ opened: 2, tracked: 1, tupleJoined: 2, adopted: 0, unkeyed: 0 });
  });

  it('the same tuple in another namespace is another flow', () => {
    table.observePoll(pollBatch([{ t: CLIENT, cookie: 77n, ts: 200n }]), NS);
    events({ kind: EV_KIND.ACTIVE_OPEN, t: CLIENT, ts: 100n, ns: OTHER_NS }, { kind: EV_KIND.CLOSE, t: CLIENT, ts: 300n, ns: OTHER_NS });
    const rows = drainAll();
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ netns_inode: OTHER_NS, idiag_cookie: 0n, views: VIEW_EVENTS });
    expect(table.stats().tracked).to.equal(1); // the polled flow in NS, still open
  });

  it('a flow no poll saw: one row with cookie 0 (never the synthetic key), events only, missed by polling', () => {
    events(
      { kind: EV_KIND.PASSIVE_OPEN, t: SERVER, ts: 100n },
      { kind: EV_KIND.RETRANSMIT, t: SERVER, ts: 150n },
      { kind: EV_KIND.CLOSE, t: SERVER, ts: 300n },
    );
    const rows = drainAll();
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ idiag_cookie: 0n, views: VIEW_EVENTS, direction: 2, retransmit_events: 1, duration_ns: 200n });
    expect(table.stats()).to.include({ opened: 1, written: 1, missedByPoll: 1, tupleJoined: 3, tracked: 0 });
    expect(table.stats().coverage).to.deep.equal({ events: 1 });
  });

  it('a destroy row after the cookieless events adopts their flow: one row, events+destroy, the real cookie', () => {
    events({ kind: EV_KIND.ACTIVE_OPEN, t: CLIENT, ts: 100n }, { kind: EV_KIND.CLOSE, t: CLIENT, ts: 300n, acked: 502n });
    table.observeDestroy(pollBatch([{ t: CLIENT, cookie: 99n, ts: 301n, acked: 502n }]), NS);
    const rows = drainAll();
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ idiag_cookie: 99n, views: VIEW_EVENTS | VIEW_DESTROY, final_source: 'events' });
    expect(table.stats()).to.include({ opened: 1, adopted: 1 });
    // now known by its cookie: a second report of that socket is late, not a flow
    table.observeDestroy(pollBatch([{ t: CLIENT, cookie: 99n, ts: 302n }]), NS);
    expect(table.stats()).to.include({ late: 1, tracked: 0 });
  });

  it('a poll row after a cookieless open adopts the flow; later polls find it by cookie', () => {
    events({ kind: EV_KIND.ACTIVE_OPEN, t: CLIENT, ts: 100n });
    table.observePoll(pollBatch([{ t: CLIENT, cookie: 55n, ts: 200n }]), NS);
    table.observePoll(pollBatch([{ t: CLIENT, cookie: 55n, ts: 400n }]), NS);
    events({ kind: EV_KIND.CLOSE, t: CLIENT, ts: 500n });
    const rows = drainAll();
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ idiag_cookie: 55n, views: VIEW_POLL | VIEW_EVENTS, polls: 2, open_ns: 100n });
    expect(table.stats()).to.include({ opened: 1, adopted: 1 });
  });

  it('a cookie no cookieless flow is waiting for is a flow of its own, even on an indexed tuple', () => {
    table.observePoll(pollBatch([{ t: CLIENT, cookie: 55n, ts: 200n }]), NS);
    events({ kind: EV_KIND.RETRANSMIT, t: CLIENT, ts: 250n });
    table.observePoll(pollBatch([{ t: CLIENT, cookie: 56n, ts: 400n }]), NS); // the tuple's next socket
    expect(table.stats()).to.include({ opened: 2, adopted: 0 });
    events({ kind: EV_KIND.CLOSE, t: CLIENT, ts: 500n }); // joins the newest flow of the tuple
    const rows = drainAll();
    expect(rows.map((r) => [r.idiag_cookie, r.views])).to.deep.equal([[56n, VIEW_POLL | VIEW_EVENTS]]);
  });

  it("an open after its tuple's flow closed is the tuple reused: two flows", () => {
    events(
      { kind: EV_KIND.ACTIVE_OPEN, t: CLIENT, ts: 100n },
      { kind: EV_KIND.CLOSE, t: CLIENT, ts: 200n, acked: 10n },
      { kind: EV_KIND.ACTIVE_OPEN, t: CLIENT, ts: 300n },
      { kind: EV_KIND.CLOSE, t: CLIENT, ts: 400n, acked: 20n },
    );
    const rows = drainAll();
    expect(rows.map((r) => [r.idiag_cookie, r.open_ns, r.close_ns, r.tcpi_bytes_acked])).to.have.deep.members([
      [0n, 100n, 200n, 10n],
      [0n, 300n, 400n, 20n],
    ]);
    expect(table.stats()).to.include({ opened: 2, closed: 2, tupleJoined: 4 });
  });

  it("a closed flow's own open, drained after a poll saw the flow, joins it", () => {
    const ns = NS;
    table.beginCycle(ns);
    table.observePoll(pollBatch([{ t: CLIENT, cookie: 77n, ts: 200n }]), ns);
    table.endCycle(ns);
    table.beginCycle(ns);
    table.endCycle(ns); // gone from a complete poll: closed, in its grace
    events({ kind: EV_KIND.ACTIVE_OPEN, t: CLIENT, ts: 100n }, { kind: EV_KIND.CLOSE, t: CLIENT, ts: 250n });
    const rows = drainAll();
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ idiag_cookie: 77n, views: VIEW_POLL | VIEW_EVENTS, open_ns: 100n, close_ns: 250n });
  });

  it('a cookieless report after its flow was written is absorbed as late; an open there is a new flow', () => {
    events({ kind: EV_KIND.ACTIVE_OPEN, t: CLIENT, ts: 100n }, { kind: EV_KIND.CLOSE, t: CLIENT, ts: 200n });
    expect(drainAll()).to.have.length(1);
    events({ kind: EV_KIND.RETRANSMIT, t: CLIENT, ts: 201n });
    expect(table.stats()).to.include({ late: 1, tracked: 0 });
    events({ kind: EV_KIND.ACTIVE_OPEN, t: CLIENT, ts: 300n });
    expect(table.stats()).to.include({ late: 1, tracked: 1, opened: 2 });
  });

  it('cookie 0 without the NOCOOKIE flag stays unkeyed, and so do a flagged reset no socket sent and a flagged event without a local port', () => {
    events({ kind: EV_KIND.RESET_SENT, t: CLIENT, ts: 100n, flags: 0, newstate: CLOSE });
    events({ kind: EV_KIND.CLOSE, t: SERVER, ts: 110n, flags: EVF.FINAL });
    events({ kind: EV_KIND.RESET_SENT, t: CLIENT, ts: 120n, newstate: CLOSE }); // fallback's orphan reset
    events({ kind: EV_KIND.STATE, t: { ...CLIENT, sport: 0 }, ts: 125n, newstate: SYN_SENT }); // connect before its port
    expect(table.stats()).to.include({ unkeyed: 4, tracked: 0, opened: 0, tupleJoined: 0 });
    // a flagged reset on a known tuple is that flow's
    events({ kind: EV_KIND.ACTIVE_OPEN, t: CLIENT, ts: 130n }, { kind: EV_KIND.RESET_SENT, t: CLIENT, ts: 140n, newstate: CLOSE });
    expect(table.stats()).to.include({ unkeyed: 4, tracked: 1, tupleJoined: 2 });
  });

  it('over the cap the least recently seen leaves before the new flow enters (not the new flow itself), written with cookie 0 and gone from the index', () => {
    table = new FlowTable({ now: () => clock, closeGraceMs: GRACE, maxFlows: 2 });
    const t = (sport: number): Tuple => ({ ...CLIENT, sport });
    events(
      { kind: EV_KIND.ACTIVE_OPEN, t: t(1), ts: 100n },
      { kind: EV_KIND.ACTIVE_OPEN, t: t(2), ts: 200n },
      { kind: EV_KIND.ACTIVE_OPEN, t: t(3), ts: 300n },
    );
    const evicted = table.collect();
    expect(evicted.map((r) => [r.sport, r.idiag_cookie, r.evicted, r.views])).to.deep.equal([[1, 0n, 1, VIEW_EVENTS]]);
    expect(table.stats()).to.include({ tracked: 2, evicted: 1 });
    // the evicted tuple's next report starts a flow again (no stale index entry)
    events({ kind: EV_KIND.RETRANSMIT, t: t(1), ts: 400n });
    expect(table.stats()).to.include({ opened: 4, evicted: 2 });
  });
});
