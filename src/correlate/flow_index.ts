// (netns, cookie) -> slot of the flow store: an open-addressing hash of slot
// numbers (linear probing, backward-shift deletion) whose keys are the
// store's own columns, so an entry costs 4 bytes and no BigInt, and a lookup
// takes the cookie as two u32 halves straight from a batch.
import type { FlowStore } from './flow_store';

function mix(ns: number, lo: number, hi: number): number {
  let h = Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ hi, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ns, 0x27d4eb2d);
  return (h ^ (h >>> 15)) >>> 0;
}

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
      const k = s - 1;
      if (ck[2 * k] === lo && ck[2 * k + 1] === hi && nc[k] === ns) return k;
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

  /** Removes a slot under its current key (before the key changes or the slot is freed). */
  remove(slot: number): void {
    const t = this.t,
      mask = this.mask;
    let i = this.hashOf(slot) & mask;
    while (t[i] !== slot + 1) {
      if (t[i] === 0) return;
      i = (i + 1) & mask;
    }
    // backward shift: move up each later entry of the run that may sit at i
    for (let j = (i + 1) & mask; t[j] !== 0; j = (j + 1) & mask) {
      const k = this.hashOf(t[j]! - 1) & mask;
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (stays) continue;
      t[i] = t[j]!;
      i = j;
    }
    t[i] = 0;
    this.n--;
  }

  private hashOf(slot: number): number {
    const ck = this.store.h.idiag_cookie;
    return mix(this.store.c.netnsId[slot]!, ck[2 * slot]!, ck[2 * slot + 1]!);
  }

  private put(t: Int32Array, mask: number, slot: number): void {
    let p = this.hashOf(slot) & mask;
    while (t[p] !== 0) p = (p + 1) & mask;
    t[p] = slot + 1;
  }

  private resize(size: number): void {
    const t = new Int32Array(size),
      mask = size - 1;
    for (const s of this.t) if (s !== 0) this.put(t, mask, s - 1);
    this.t = t;
    this.mask = mask;
  }
}
