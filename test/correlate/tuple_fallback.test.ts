// The events view forced into its classic-tracepoint fallback (cookies only
// where a poll made them first) joined with the poll view on the real kernel:
// every connection of a fresh namespace is one flow with both views and the
// poll's cookie, whichever view saw it first.
import { expect } from 'chai';
import { VIEW_EVENTS, VIEW_POLL, type FlowRow } from '../../src/correlate/flow_row';
import { EventSource } from '../../src/sources/events';
import { eventsWithTracefs } from '../helpers/tracefs';
import { heldChurn, type ChurnTruth } from '../helpers/churn';
import { nsEvents } from '../helpers/events';
import { FLOW_KINDS } from '../../src/sources/events';
import { kernelFlows } from '../helpers/flows';
import { scaled } from '../helpers/time_scale';

const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('FlowTable: classic-tracepoint events joined to polls on (netns, 4-tuple) (real kernel)', function () {
  this.timeout(scaled(60_000));
  let events: EventSource | undefined;

  const tracefs = eventsWithTracefs();
  before(tracefs.before);
  after(tracefs.after);
  const fx = kernelFlows('tuple');
  beforeEach(() => {
    events = undefined; // each test starts its own, with the kinds it keeps
  });

  async function drainEvents(): Promise<void> {
    await settle();
    await events!.drain((b, ctx) => fx.table.observeEvents(b, ctx.names));
  }
  function expectJoined(rows: FlowRow[], truth: ChurnTruth, n: number): void {
    expect(events!.mode).to.equal('tracepoint');
    expect(rows).to.have.length(2 * n);
    expect(new Set(rows.map((r) => r.idiag_cookie)).size).to.equal(2 * n);
    const port = truth.listener[1];
    for (const f of truth.flows) {
      const client = rows.find((r) => r.sport === f.sport && r.dport === port);
      const server = rows.find((r) => r.sport === port && r.dport === f.sport);
      expect(client, `client ${f.sport}`).to.include({ views: VIEW_POLL | VIEW_EVENTS, direction: 1, final_source: 'events', polls: 1 });
      expect(server, `server of ${f.sport}`).to.include({ views: VIEW_POLL | VIEW_EVENTS, direction: 2, final_source: 'events', polls: 1 });
      for (const r of [client!, server!]) {
        expect(r.idiag_cookie).to.not.equal(0n);
        expect(r.open_ns > 0n && r.close_ns > r.open_ns).to.equal(true);
      }
    }
    const st = fx.table.stats();
    expect(st.coverage).to.deep.equal({ 'poll+events': 2 * n });
    expect(st.tracked).to.equal(0);
  }

  it('polled first: N connections are 2N flows, poll+events, each with its poll cookie', async () => {
    const N = 10,
      BYTES = 1000;
    events = fx.track(nsEvents(fx.ns, { mode: 'tracepoint', kinds: FLOW_KINDS })); // as `run` keeps them
    const held = await heldChurn(fx.ns, N, BYTES);
    await fx.pollOnce();
    const truth = await held.release();
    await drainEvents(); // opens without cookies; closes with the cookie the poll made (read from the socket)
    await fx.pollOnce();
    fx.clock += 1000;
    expectJoined(fx.table.collect(), truth, N);
    // the opens came before any poll generated a cookie: joined on the tuple
    expect(fx.table.stats()).to.include({ adopted: 0, tupleJoined: 2 * N, unkeyed: 0 });
  });

  it('events first, every state change kept: the poll adopts the cookieless flows, still 2N flows', async () => {
    const N = 10,
      BYTES = 1000;
    events = fx.track(nsEvents(fx.ns, { mode: 'tracepoint' }));
    const held = await heldChurn(fx.ns, N, BYTES);
    await drainEvents(); // the opens make 2N cookieless flows
    expect(fx.table.stats()).to.include({ tracked: 2 * N, opened: 2 * N });
    await fx.pollOnce();
    expect(fx.table.stats()).to.include({ tracked: 2 * N, opened: 2 * N, adopted: 2 * N });
    const truth = await held.release();
    await drainEvents();
    await fx.pollOnce();
    fx.clock += 1000;
    expectJoined(fx.table.collect(), truth, N);
    // each client's move to SYN_SENT comes before its port is chosen: no tuple
    expect(fx.table.stats().unkeyed).to.equal(N);
  });
});
