// The poll's exact-match mode against the real kernel: a namespace whose
// sockets the poll knows (its last dump's, and those the real events view saw
// open since) is polled by lookups, and each lookup cycle's rows are the same
// sockets with the same fields as a dump taken beside it, including a
// connection opened between two cycles and one closed; a lost event, an
// open it cannot key, and every LOOKUP_FULL_EVERY-th cycle bring a dump back.
import { expect } from 'chai';
import { PollSource, type CycleResult } from '../../src/sources/poll';
import { ExactPoll, LOOKUP_FULL_EVERY, LOOKUP_MAX_SOCKETS } from '../../src/sources/poll_lookup';
import { parseNetnsSelector } from '../../src/netns/select';
import { splitStates } from '../../src/sources/listen_states';
import { ALL_STATES } from '../../src/format/tcp_states';
import { FLOW_KINDS, type EventSource } from '../../src/sources/events';
import { eventsSuite, netnsInode, nsEvents } from '../helpers/events';
import { startWorkload, type Workload } from '../helpers/netns';
import { collector, type Row } from '../helpers/poll_rows';
import { EventBatch } from '../../src/layout/event_columns';
import { TCP_STATES } from '../../src/format/tcp_states';
import { scaled } from '../helpers/time_scale';

/** columns that move between two polls of an idle socket, or say when the row was read */
const MOVING = /^(ts_ns|idiag_expires|tcpi_last_|tcpi_busy_time|tcpi_rcv_rtt|tcpi_rcv_space)/;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('poll by exact-match requests (ExactPoll)', function () {
  this.timeout(scaled(120_000));
  let ns = '';
  const { track } = eventsSuite('plk', (n) => (ns = n));
  const running: Workload[] = [];
  afterEach(async () => {
    for (const w of running.splice(0)) await w.stop();
  });

  const states = splitStates(ALL_STATES)!.flows;
  let lost = 0;
  /** false: as if the events view's state part were down */
  let vouch = true;
  let events: EventSource;
  let exact: ExactPoll;
  let looked: PollSource, dumped: PollSource;

  /** Feeds what the events view holds now to the exact poll, until `until` holds or 5 s. */
  async function drainUntil(until: () => boolean): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await events.drain((b) => exact.observeEvents(b));
      if (until()) return;
      await sleep(100);
    }
  }

  /** One cycle of the exact-match source and one dump beside it: their rows by cookie. */
  async function both(): Promise<{ r: CycleResult; lookRows: Map<string, Row>; dumpRows: Map<string, Row> }> {
    const lookRows = new Map<string, Row>(),
      dumpRows = new Map<string, Row>();
    const r = await looked.cycle(collector(ns, lookRows), { states, exact });
    await dumped.cycle(collector(ns, dumpRows), { states });
    return { r, lookRows, dumpRows };
  }

  function expectSame(lookRows: Map<string, Row>, dumpRows: Map<string, Row>): void {
    expect([...lookRows.keys()].sort()).to.deep.equal([...dumpRows.keys()].sort());
    for (const [k, d] of dumpRows) {
      const l = lookRows.get(k)!;
      const diff = [...d.keys()]
        .filter((c) => !MOVING.test(c) && d.get(c) !== l.get(c))
        .map((c) => `${c}: dump ${d.get(c)} lookup ${l.get(c)}`);
      expect(diff, k).to.deep.equal([]);
    }
  }

  beforeEach(() => {
    lost = 0;
    vouch = true;
    events = track(nsEvents(ns, { kinds: FLOW_KINDS }));
    // lookups whatever they cost against a dump: under qemu a dump of a guest's small hash is cheaper
    exact = new ExactPoll(
      {
        get opens() {
          return vouch && events.parts().some((p) => p.part === 'state' && p.up);
        },
        lost: () => lost,
        traces: (inode) => inode === netnsInode(ns),
      },
      LOOKUP_FULL_EVERY,
      LOOKUP_MAX_SOCKETS,
      512,
      false,
    );
    looked = new PollSource({ netns: parseNetnsSelector(ns) });
    dumped = new PollSource({ netns: parseNetnsSelector(ns) });
  });
  afterEach(() => {
    exact.close();
    looked.close();
    dumped.close();
  });

  it('gives the dump’s sockets and fields, with a connection opened and one closed between cycles', async () => {
    const first = await startWorkload(ns, {
      pairs: [
        { family: 4, send: 4000 },
        { family: 6, send: 1000 },
      ],
    });
    running.push(first);
    const c1 = await both();
    expect(c1.r.namespaces[0]!.lookup).to.equal('first');
    expect(c1.dumpRows.size).to.equal(4); // two pairs, both ends (listeners are the listen view's)
    const c2 = await both();
    expect(c2.r.namespaces[0]!.lookup).to.equal('lookup');
    expectSame(c2.lookRows, c2.dumpRows);

    // a connection opens and another closes between two cycles
    const opened = await startWorkload(ns, { pairs: [{ family: 4, send: 2000 }] });
    running.push(opened);
    const before = exact.counts.requested;
    const inode = looked.stats()[0]!.ns.inode;
    // the two new ends, once their open events are read (where the events carry no cookie, 5.10,
    // the first pair's opens read only now are known by their tuple too, until a lookup answers them)
    await drainUntil(() => exact.known(inode) >= 6);
    expect(exact.known(inode)).to.be.at.least(6);
    await first.stop();
    running.splice(running.indexOf(first), 1);
    await sleep(200);
    const c3 = await both();
    expect(c3.r.namespaces[0]!.lookup).to.equal('lookup');
    const asked = exact.counts.requested - before; // 4 known + the 2 ends just opened (+ tuple twins)
    expect(asked).to.be.at.least(6);
    expectSame(c3.lookRows, c3.dumpRows);
    const ports = new Set(opened.info.sockets.filter((s) => s.role !== 'listener').map((s) => s.sport));
    const seen = [...c3.lookRows.values()].filter((r) => ports.has(Number(r.get('sport'))));
    expect(seen.length).to.be.greaterThanOrEqual(2);
    // what the closed pair left (TIME_WAIT or nothing) is the dump's too: checked by expectSame
  });

  it('knows a socket whose open is read while a dump is under way (the walk may have passed its bucket)', async () => {
    running.push(await startWorkload(ns, { pairs: [{ family: 4, send: 100 }] }));
    await looked.cycle(() => undefined, { states, exact }); // the first cycle: a dump
    const inode = looked.stats()[0]!.ns.inode;
    await drainUntil(() => true); // the first pair's opens
    exact.beginDump(inode); // a dump that has walked past the next pair's buckets: it will not report them
    const opened = await startWorkload(ns, { pairs: [{ family: 4, send: 100 }] });
    running.push(opened);
    await drainUntil(() => exact.known(inode) === 2);
    exact.endDump(inode, true, 1000);
    expect(exact.known(inode)).to.equal(2);
    const rows = new Map<string, Row>();
    const r = await looked.cycle(collector(ns, rows), { states, exact });
    expect(r.namespaces[0]!.lookup).to.equal('lookup');
    const ports = new Set(opened.info.sockets.filter((s) => s.role !== 'listener').map((s) => s.sport));
    expect([...rows.values()].filter((x) => ports.has(Number(x.get('sport')))).length).to.equal(2);
  });

  it('dumps when events were lost, when an open cannot be keyed, and every LOOKUP_FULL_EVERY cycles', async () => {
    running.push(await startWorkload(ns, { pairs: [{ family: 4, send: 100 }] }));
    const modes: string[] = [];
    const cycle = async (): Promise<void> => {
      const r = await looked.cycle(() => undefined, { states, exact });
      modes.push(r.namespaces[0]!.lookup!);
    };
    for (let i = 0; i < LOOKUP_FULL_EVERY + 1; i++) await cycle();
    expect(modes).to.deep.equal(['first', ...Array(LOOKUP_FULL_EVERY - 1).fill('lookup'), 'due']);
    lost++;
    await cycle();
    expect(modes.at(-1)).to.equal('events');
    await cycle();
    expect(modes.at(-1)).to.equal('lookup');
    // an open with no local port (nothing to ask for): the next cycle dumps
    const b = new EventBatch(1);
    b.rows = 1;
    b.u8('kind')[0] = 1;
    b.u64('netns_inode')[0] = BigInt(looked.stats()[0]!.ns.inode);
    b.u64('idiag_cookie')[0] = 12345n;
    exact.observeEvents(b);
    await cycle();
    expect(modes.at(-1)).to.equal('unkeyed');
    await cycle();
    expect(modes.at(-1)).to.equal('lookup');
  });

  it('while the events cannot vouch it dumps without learning; when they can again, it dumps before any lookup', async () => {
    running.push(await startWorkload(ns, { pairs: [{ family: 4, send: 100 }] }));
    const modes: string[] = [];
    const cycle = async (): Promise<Map<string, Row>> => {
      const got = new Map<string, Row>();
      const r = await looked.cycle(collector(ns, got), { states, exact });
      modes.push(r.namespaces[0]!.lookup!);
      return got;
    };
    await cycle();
    await cycle();
    expect(modes).to.deep.equal(['first', 'lookup']);
    const inode = looked.stats()[0]!.ns.inode;
    expect(exact.known(inode)).to.be.greaterThan(0);
    vouch = false;
    // a connection opened while nothing vouches: the dumps see it, nothing learns it
    running.push(await startWorkload(ns, { pairs: [{ family: 4, send: 100 }] }));
    const known = exact.known(inode);
    const during = await cycle();
    await cycle();
    expect(modes.slice(2)).to.deep.equal(['events', 'events']);
    expect(exact.known(inode), 'a dump nobody vouches for learns nothing').to.equal(known);
    vouch = true;
    const after = await cycle();
    expect(modes.at(-1), 'the known set is stale: a dump first').to.equal('first');
    expect([...after.keys()].sort()).to.deep.equal([...during.keys()].sort());
    await cycle();
    expect(modes.at(-1)).to.equal('lookup');
    expect(exact.known(inode)).to.equal(after.size);
  });
  it('a namespace over the size limit is dumped without learning its sockets; when it shrinks, a learning dump, then lookups', async () => {
    const est = 1 << TCP_STATES.indexOf('ESTABLISHED'); // no TIME_WAIT left behind by the stopped workload
    const small = new ExactPoll(
      { opens: true, lost: () => 0, traces: (inode) => inode === netnsInode(ns) },
      LOOKUP_FULL_EVERY,
      2,
      512,
      false,
    );
    const modes: string[] = [];
    const inode = (): number => looked.stats()[0]!.ns.inode;
    const cycle = async (): Promise<void> => {
      const r = await looked.cycle(() => undefined, { states: est, exact: small });
      modes.push(r.namespaces[0]!.lookup!);
    };
    try {
      const big = await startWorkload(ns, {
        pairs: [
          { family: 4, send: 100 },
          { family: 4, send: 100 },
        ],
      });
      await cycle();
      await cycle();
      expect(modes).to.deep.equal(['first', 'size']);
      expect(small.known(inode()), 'over the limit: nothing kept').to.equal(0);
      await big.stop();
      running.push(await startWorkload(ns, { pairs: [{ family: 4, send: 100 }] }));
      await cycle(); // counts 2 sockets: under the limit again
      await cycle();
      await cycle();
      expect(modes.slice(2)).to.deep.equal(['size', 'first', 'lookup']);
      expect(small.known(inode())).to.equal(2);
    } finally {
      small.close();
    }
  });
});
