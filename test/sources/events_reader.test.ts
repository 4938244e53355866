// The events view's native reader thread (native/event_pump.c, EventSource
// option pumpMs), on the real kernel, each test in its own namespace: woken
// by the programs once the ring holds wakeBytes (not by its timer), asleep
// while the ring is idle and woken by its first record, its ready fd watched
// by the JS loop (at the first record, or once it has read: gathered), a full
// queue pauses it without loss, and a drain with nothing waiting is answered
// without a round trip through the libuv pool.
import { expect } from 'chai';
import { FLOW_KINDS, type EventSource, type EventOptions } from '../../src/sources/events';
import { churn, churnAsync } from '../helpers/churn';
import { armWatch } from '../helpers/watch';
import { collectEvents, eventsSuite, nsEvents, type EventRow } from '../helpers/events';
import { scaled } from '../helpers/time_scale';

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const count = (rows: EventRow[], kind: string): number => rows.filter((r) => r.kind === kind).length;
const connCloses = (rows: EventRow[]): number => rows.filter((r) => r.kind === 'close' && r.dport !== 0).length;
/** one tl_event record in the ring: 160 bytes and an 8-byte header */
const RECORD = 168;

/** the kinds `run` keeps (no other state changes): 4 events a connection, and the listener's close */
const flows = (ns: string, opts: EventOptions = {}): EventSource => nsEvents(ns, { kinds: FLOW_KINDS, ...opts });

function expectExact(rows: EventRow[], n: number): void {
  expect(count(rows, 'active_open'), 'active opens').to.equal(n);
  expect(count(rows, 'passive_open'), 'passive opens').to.equal(n);
  expect(connCloses(rows), 'connection closes').to.equal(2 * n);
}

/** Median microseconds of `reps` empty drains; each must resolve before a
 * setImmediate queued beside it runs, i.e. without going round the event
 * loop (a libuv pool job completes in a later loop phase at the earliest). */
async function emptyDrainMicros(src: EventSource, reps: number): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    let looped = false;
    setImmediate(() => (looped = true));
    const t0 = process.hrtime.bigint();
    const r = await src.drain(() => {});
    t.push(Number(process.hrtime.bigint() - t0) / 1000);
    expect(r.rows).to.equal(0);
    expect(looped, 'the drain went round the event loop').to.equal(false);
    await new Promise((res) => setImmediate(res));
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

describe('EventSource reader thread (pumpMs, real kernel)', function () {
  this.timeout(scaled(90_000));
  let ns = '';
  const { track } = eventsSuite('evr', (n) => (ns = n));

  it('is woken by the programs once the ring holds wakeBytes, and hands over every event once', async () => {
    // a timer that never fires within the test: only the programs' wakeups move records
    const src = track(flows(ns, { pumpMs: 600_000, wakeBytes: 32 * RECORD, batchRows: 64 }));
    await src.drain(() => {}); // starts the thread (batches of the caller's size)
    const N = 150;
    churn(ns, N);
    await settle(300);
    const before = src.stats().pump!;
    expect(before.dataWakeups, 'data wakeups').to.be.greaterThan(0);
    expect(before.timerWakeups, 'timer wakeups').to.equal(0);
    // everything past the last threshold crossing was read by the thread
    expect(before.queuedRows).to.be.greaterThan(4 * N - 64);
    const rows = await collectEvents(src);
    expectExact(rows, N);
    expect(src.stats().lost).to.equal(0);
    expect(src.stats().pump!.queuedRows).to.equal(0);
  });

  it("below the threshold the thread's timer reads the ring", async () => {
    const src = track(flows(ns, { pumpMs: 100, wakeBytes: 1 << 20, batchRows: 1024 }));
    await src.drain(() => {});
    churn(ns, 10);
    await settle(400);
    const st = src.stats().pump!;
    expect(st.dataWakeups).to.equal(0);
    expect(st.timerWakeups).to.be.greaterThan(0);
    expect(st.queuedRows, 'read by the timer').to.equal(41); // 40 + the listener's close
    expectExact(await collectEvents(src), 10);
  });

  it('an idle ring costs the thread no wakeups but a look every 10 pumpMs; the first record wakes it', async () => {
    const src = track(flows(ns, { pumpMs: 50, wakeBytes: 1 << 20, batchRows: 1024 }));
    await src.drain(() => {});
    await settle(1200);
    const idle = src.stats().pump!;
    // a 50 ms timer would have woken it 24 times; the idle look is every 500 ms
    expect(idle.wakeups, 'wakeups while idle').to.be.within(1, 3);
    expect(idle.timerWakeups + idle.dataWakeups, 'reads while idle').to.equal(0);
    const woke = armWatch(src, 'watch armed');
    await settle(200);
    expect(woke.count, 'no wake without rows').to.equal(0);
    churn(ns, 3);
    await woke.first();
    await settle(200); // the thread reads pumpMs after the first record
    expect(woke.count, 'the watch fired once rows waited').to.equal(1);
    const st = src.stats().pump!;
    // the first record's wakeup, then one read pumpMs later (a few more if the churn outlasted it)
    expect(st.timerWakeups, 'reads').to.be.within(1, 3);
    expect(st.dataWakeups).to.equal(0);
    expectExact(await collectEvents(src), 3);
    // taken: the watch stays quiet until rows come again
    const again = armWatch(src);
    await settle(300);
    expect(again.count, 'no wake once taken').to.equal(0);
  });

  it("a gathered watch wakes when the thread has read (pumpMs after the first record), not at the first record; the thread's CPU is reported", async () => {
    const PUMP_MS = 600;
    const src = track(flows(ns, { pumpMs: PUMP_MS, wakeBytes: 1 << 20, batchRows: 1024 }));
    await src.drain(() => {});
    const cpu0 = src.stats().pump!.cpuNs;
    const plain = armWatch(src, 'plain watch armed');
    const t0 = performance.now(); // before the first record
    // not execFileSync: the event loop must be free to see the plain watch
    // fire at the first record, not once the script has exited (a starved
    // qemu guest took longer than PUMP_MS / 2 from one to the other)
    const ran = churnAsync(ns, 3);
    await plain.first();
    const plainAt = performance.now() - t0;
    const gathered = armWatch(src, 'gathered watch armed', true);
    await gathered.first(3 * PUMP_MS);
    const gatheredAt = performance.now() - t0;
    expect(gathered.count).to.equal(1);
    // the plain watch fired at the first record, the gathered one when the thread read, PUMP_MS later
    expect(gatheredAt, 'gathered: not before the read').to.be.at.least(PUMP_MS - 5);
    expect(gatheredAt - plainAt, 'plain: at the first record').to.be.at.least(PUMP_MS / 2);
    await ran;
    expect(src.stats().pump!.timerWakeups, 'reads').to.be.within(1, 3);
    expectExact(await collectEvents(src), 3);
    const cpu1 = src.stats().pump!.cpuNs;
    expect(cpu1, 'the thread used some CPU').to.be.greaterThan(cpu0);
    expect(cpu1 - cpu0, 'and not more than the test ran').to.be.below((performance.now() - t0) * 1e6);
  });

  it('a full queue pauses the thread; the ring holds the rest and nothing is lost', async () => {
    const src = track(flows(ns, { pumpMs: 50, wakeBytes: 8 * RECORD, pumpBatches: 2, batchRows: 16 }));
    await src.drain(() => {});
    const N = 100;
    churn(ns, N);
    await settle(400);
    const st = src.stats().pump!;
    expect(st.stalls, 'stalls').to.be.greaterThan(0);
    expect(st.queuedRows, 'bounded by 2 batches').to.be.at.most(32);
    expectExact(await collectEvents(src), N);
    expect(src.stats().lost).to.equal(0);
  });

  it('a drain with nothing waiting is answered without a pool round trip, with or without the thread', async () => {
    const pumped = track(flows(ns, { pumpMs: 200 }));
    const plain = track(flows(ns));
    await pumped.drain(() => {});
    const a = await emptyDrainMicros(pumped, 300);
    const b = await emptyDrainMicros(plain, 300);
    // a libuv pool round trip costs ~100-200 us here; a resolved promise a few
    console.log(`      empty drain: ${a.toFixed(1)} us with the thread, ${b.toFixed(1)} us without (medians of 300)`);
  });
});
