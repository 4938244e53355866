// (netns, cookie) -> slot of the flow store: an open-addressing hash of slot
// numbers (linear probing, backward-shift deletion) whose keys are the
// store's own columns, so an entry costs 4 bytes and no BigInt, and a lookup
// takes the cookie as two u32 halves straight from a batch.
import type { FlowStore } from './flow_store';
import { mix, probeInsert, probeRemove } from './probe_table';

export class FlowIndex {
  /** slot + 1, 0 empty */
  private t = new Int32Array(2048);
  private mask = 2047;
  private n = 0;

  constructor(private readonly store: FlowStore) {}

  /** the slot of (ns id, cookie halves), or -1 */
  find(ns: number, lo: number, hi: number): number {
    const t = this.t,
      ck = this.store.h.idiag_cookie,
      nc = this.store.c.netnsId;
    for (let p = mix(ns, lo, hi) & this.mask; ; p = (p + 1) & this.mask) {
      const s = t[p]!;
      if (s === 0) return -1;
      // all three compares on every probe: a first cycle (every flow new)
      // never matches a low half, and a compare behind it that never ran
      // would deoptimize the poll path in the cycle that first finds a flow
      const k = s - 1,
        mLo = ck[2 * k] === lo,
        mHi = ck[2 * k + 1] === hi,
        mNs = nc[k] === ns;
      if (mLo && mHi && mNs) return k;
    }
  }

  /** the slot of (ns id, cookie), or -1 */
  get(ns: number, cookie: bigint): number {
    return this.find(ns, Number(cookie & 0xffffffffn), Number(cookie >> 32n));
  }

  /** Adds a slot under its current (ns, cookie); no other slot may hold that key. */
  add(slot: number): void {
    if (2 * (this.n + 1) > this.t.length) this.resize(this.t.length * 2);
    this.put(this.t, this.mask, slot);
    this.n++;
  }

  /** Room for n keys now (under half full), instead of doubling on the way there. */
  reserve(n: number): void {
    let size = this.t.length;
    while (2 * n > size) size *= 2;
    if (size > this.t.length) this.resize(size);
  }

  /** Removes a slot under its current key (before the key changes or the slot is freed). */
  remove(slot: number): void {
    if (probeRemove(this.t, this.mask, slot, this.hash)) this.n--;
  }

  private readonly hash = (slot: number): number => {
    const ck = this.store.h.idiag_cookie;
    return mix(this.store.c.netnsId[slot]!, ck[2 * slot]!, ck[2 * slot + 1]!);
  };

  private put(t: Int32Array, mask: number, slot: number): void {
    probeInsert(t, mask, this.hash(slot), slot);
  }

  private resize(size: number): void {
    const t = new Int32Array(size),
      mask = size - 1;
    for (const s of this.t) if (s !== 0) this.put(t, mask, s - 1);
    this.t = t;
    this.mask = mask;
  }
}
