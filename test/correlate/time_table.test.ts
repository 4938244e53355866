// TimeTable: a run of equal times under one id, held by a count of flow slots.
import { expect } from 'chai';
import { TimeTable } from '../../src/correlate/time_table';
import { Flow } from '../../src/correlate/flow';
import { FlowStore } from '../../src/correlate/flow_store';

const T = (1_700_000_000n << 30n) + 123n; // above 2^53: exact only as two halves
const lo = (t: bigint): number => Number(t & 0xffffffffn),
  hi = (t: bigint): number => Number(t >> 32n);

describe('TimeTable', () => {
  it('shares one id for a run of one time, frees it with the last holder and reuses it', () => {
    const t = new TimeTable();
    expect(t.ref(0, 0)).to.equal(0); // the time 0: id 0, nothing held
    const a = t.ref(lo(T), hi(T));
    expect(t.ref(lo(T), hi(T))).to.equal(a);
    expect(t.big(a)).to.equal(T);
    const b = t.ref(lo(T + 1n), hi(T + 1n));
    expect(b).to.not.equal(a);
    expect(t.ref(lo(T), hi(T))).to.not.equal(a); // not the last made: an id of its own
    expect(t.size).to.equal(3);
    t.unref(a);
    expect(t.size).to.equal(3);
    t.unref(a);
    expect(t.size).to.equal(2);
    expect(t.ref(lo(T + 5n), hi(T + 5n))).to.equal(a); // the freed id is reused
    for (let k = 0n; k < 200n; k++) t.ref(lo(T + 10n + k), hi(T + 10n + k)); // grows past its first 64
    expect(t.size).to.equal(203);
    expect(t.big(b)).to.equal(T + 1n);
  });

  it('reuses every freed id before making a new one, across a growth', () => {
    const t = new TimeTable();
    const ids = Array.from({ length: 100 }, (_, k) => t.ref(lo(T + BigInt(k)), hi(T + BigInt(k))));
    for (const id of ids.slice(10, 90)) t.unref(id);
    expect(t.size).to.equal(20);
    const again = Array.from({ length: 80 }, (_, k) => t.ref(lo(T + 500n + BigInt(k)), hi(T + 500n + BigInt(k))));
    expect([...again].sort((a, b) => a - b)).to.deep.equal(ids.slice(10, 90)); // the freed ids, none new
    expect(t.ref(lo(T + 999n), hi(T + 999n))).to.equal(101); // then the next new one
    expect(t.big(ids[95]!)).to.equal(T + 95n);
    expect(t.big(again[0]!)).to.equal(T + 500n);
  });

  it("keeps a flow slot's times exact, shares a poll's time between flows, and lets go when they leave", () => {
    const store = new FlowStore(4);
    const f = new Flow(store, store.alloc(1n, 5n, 2, '10.0.0.1', 1000, '10.0.0.2', 80));
    const g = new Flow(store, store.alloc(1n, 6n, 2, '10.0.0.1', 1001, '10.0.0.2', 80));
    for (const x of [f, g]) {
      x.poll(lo(T), hi(T), 10, 20, 1, 1, 0, 50);
      x.seenAt(1, lo(T), hi(T));
    }
    f.open_ns = T - 7n;
    expect([f.first_poll_ns, f.lastTs, f.first_seen_ns, f.last_seen_ns, f.open_ns]).to.deep.equal([T, T, T, T, T - 7n]);
    expect(store.times.size).to.equal(2); // the poll's time once for eight fields, the open's
    f.poll(lo(T + 1_000_000_000n), hi(T + 1_000_000_000n), 1010, 20, 2, 2, 0, 50);
    expect(f.toRow(false).peak_bytes_per_s).to.equal(1000n); // 1000 bytes in the 1 s between the two times
    expect([f.first_poll_ns, f.lastTs]).to.deep.equal([T, T + 1_000_000_000n]);
    store.release(f.i);
    store.release(g.i);
    expect(store.times.size).to.equal(0);
  });
});
