// The flow store's slots and the compact (netns, cookie) hash over them:
// against a plain Map as the model, through adds, re-keys and removals
// that exercise the backward-shift deletion of long probe runs.
import { expect } from 'chai';
import { BIT_FIELDS, FlowStore, FLOW_FIELDS, LIVE_BIT, RARE_FIELDS, SLOT_BYTES } from '../../src/correlate/flow_store';
import { FlowIndex } from '../../src/correlate/flow_index';
import { Flow } from '../../src/correlate/flow';

describe('FlowStore + FlowIndex', () => {
  it('finds every live (netns, cookie) and nothing else, through 20k random adds, re-keys and removals', () => {
    const store = new FlowStore(16);
    const index = new FlowIndex(store);
    const model = new Map<string, number>(); // "ns:cookie" -> slot
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    // few namespaces, cookies clustered (as the kernel's count up), some past 2^32
    const key = (): [bigint, bigint] => [BigInt(1 + rnd(3)), BigInt(rnd(4000)) + (rnd(2) ? 0n : 1n << 40n)];
    for (let step = 0; step < 20_000; step++) {
      const [ns, cookie] = key();
      const k = `${ns}:${cookie}`;
      const had = model.get(k);
      const op = rnd(3);
      if (had === undefined && op > 0) {
        const i = store.alloc(ns, cookie, 2, '127.0.0.1', 1, '127.0.0.2', 2);
        index.add(i);
        model.set(k, i);
      } else if (had !== undefined && op === 0) {
        index.remove(had);
        store.release(had);
        model.delete(k);
      } else if (had !== undefined && op === 1) {
        // re-key (a synthetic cookie adopted): remove, change, add
        const [, c2] = key();
        if (model.has(`${ns}:${c2}`)) continue;
        index.remove(had);
        store.c.idiag_cookie[had] = c2;
        index.add(had);
        model.delete(k);
        model.set(`${ns}:${c2}`, had);
      }
    }
    expect(model.size).to.be.greaterThan(1000);
    expect(store.size).to.equal(model.size);
    for (const [k, i] of model) {
      const [ns, cookie] = k.split(':').map(BigInt) as [bigint, bigint];
      expect(index.get(store.knownNs(ns), cookie)).to.equal(i);
    }
    // a cookie of no flow, a namespace never seen
    expect(index.get(store.knownNs(1n), 999_999n)).to.equal(-1);
    expect(store.knownNs(42n)).to.equal(-1);
  });

  it('a released slot is reused zeroed: no field of the flow before leaks into the next', () => {
    const store = new FlowStore(4);
    const a = new Flow(store, store.alloc(1n, 5n, 2, '10.0.0.1', 1000, '10.0.0.2', 80));
    a.poll(10, 0, 100, 200, 3, 4, 1, 50);
    a.closedFrom(1);
    a.comm = 'nginx';
    a.health = { side: 0, buckets: [] };
    a.offerFinal('destroy', {
      ts_ns: 11n,
      tcpi_bytes_acked: 1n,
      tcpi_bytes_received: 2n,
      tcpi_segs_in: 0,
      tcpi_segs_out: 0,
      tcpi_total_retrans: 0,
      tcpi_rtt: 0,
    });
    store.release(a.i);
    const b = new Flow(store, store.alloc(1n, 6n, 10, '::1', 2000, '::2', 443));
    expect(b.i).to.equal(a.i);
    const fresh = new Flow(2n, 6n, 10, '::1', 2000, '::2', 443);
    const row = b.toRow(false);
    const want = fresh.toRow(false);
    expect({ ...row, netns_inode: 0n }).to.deep.equal({ ...want, netns_inode: 0n });
    expect([b.health, b.final, b.comm, b.polls, b.closed]).to.deep.equal([null, null, '', 0, false]);
  });

  it('one field table gives the handle its properties and the store its width', () => {
    const f = new Flow(1n, 2n, 2, 'a', 1, 'b', 2);
    const props = Object.keys(FLOW_FIELDS).filter((n) => n !== 'bits' && n !== 'healthId');
    for (const name of [...props, ...Object.keys(RARE_FIELDS), ...Object.keys(BIT_FIELDS)]) expect(name in f, name).to.equal(true);
    f.resetsSent = 3;
    f.established = true;
    f.gotReset = true;
    f.gotReset = false;
    expect([f.resetsSent, f.established, f.gotReset, f.s.c.bits[f.i]]).to.deep.equal([
      3,
      true,
      false,
      LIVE_BIT | BIT_FIELDS.addrIds | BIT_FIELDS.established,
    ]);
    // what a flow costs in columns: 155 B with its health id (the old object: ~900 B on the heap; the first
    // columns: 292 B, then 204 B, 156 B and a pointer)
    expect(SLOT_BYTES).to.be.at.most(155);
  });

  it('a rare field costs a flow a side row only once it is not zero, and the row is reused', () => {
    const store = new FlowStore(4);
    const a = new Flow(store, store.alloc(1n, 1n, 2, '10.0.0.1', 1, '10.0.0.2', 2));
    a.lost = 0;
    a.info(false, 5, 100, 0, 0, 0, 0, 1000, 0);
    expect([store.c.rare[a.i], a.lost, a.bytesRetrans]).to.deep.equal([0, 0, 0]);
    a.info(false, 5, 100, 0, 0, 2, 0, 1000, 300);
    const row = store.c.rare[a.i]!;
    expect(row).to.be.above(0);
    a.retransmitEvents++;
    expect([a.lost, a.bytesRetrans, a.retransmitEvents, a.toRow(false).tcpi_lost]).to.deep.equal([2, 300, 1, 2]);
    store.release(a.i);
    const b = new Flow(store, store.alloc(1n, 2n, 2, '10.0.0.1', 3, '10.0.0.2', 2));
    expect([store.c.rare[b.i], b.lost, b.retransmitEvents]).to.deep.equal([0, 0, 0]);
    b.resetsSent = 1;
    expect([store.c.rare[b.i], b.resetsSent, b.lost, b.bytesRetrans]).to.deep.equal([row, 1, 0, 0]);
  });

  it('flows sharing health buckets share an id, freed with the last flow that holds it', () => {
    const store = new FlowStore(4);
    const a = new Flow(store, store.alloc(1n, 1n, 2, '10.0.0.1', 1, '10.0.0.2', 2));
    const b = new Flow(store, store.alloc(1n, 2n, 2, '10.0.0.1', 3, '10.0.0.2', 2));
    const ref = { side: 1 as const, buckets: [] },
      other = { side: 2 as const, buckets: [] };
    a.health = ref;
    b.health = ref;
    expect([a.health, b.health, store.c.healthId[a.i] === store.c.healthId[b.i]]).to.deep.equal([ref, ref, true]);
    const id = store.c.healthId[a.i]!;
    store.release(a.i);
    b.health = other; // ref's last holder moves on: its id is free for the next
    expect(b.health).to.equal(other);
    const c = new Flow(store, store.alloc(1n, 3n, 2, '10.0.0.1', 5, '10.0.0.2', 2));
    c.health = ref;
    expect([c.health, store.c.healthId[c.i]]).to.deep.equal([ref, id]);
    b.health = null;
    expect([b.health, store.c.healthId[b.i]]).to.deep.equal([null, 0]);
  });
});
