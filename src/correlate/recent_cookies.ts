// The (netns id, cookie) keys of flows written lately, each kept for a fixed
// time so that late reports of a written flow are absorbed, not made a new
// flow. Keys expire in the order they came (one fixed hold), so they sit in a
// ring of typed arrays, oldest first, found by an open-addressing hash of ring
// positions (like flow_index.ts): ~24 bytes a key, no string, no Map entry
// (a `${ns}:${cookie}` key in a Map cost ~150 bytes; a burst writes 100k flows a minute).
import { mix, probeInsert, probeRemove } from './probe_table';

export class RecentCookies {
  /** the ring: oldest at `head`, `n` keys */
  private ns = new Uint32Array(0);
  private lo = new Uint32Array(0);
  private hi = new Uint32Array(0);
  private until = new Float64Array(0);
  private head = 0;
  private n = 0;
  /** ring position + 1, 0 empty; at most half full */
  private t = new Int32Array(0);
  private mask = -1;

  /** `holdMs`: how long a key stays; `now`: monotonic ms; `minCap`: the ring's least size (a power of two) */
  constructor(
    private readonly holdMs: number,
    private readonly now: () => number,
    private readonly minCap = 1024,
  ) {
    this.resize(minCap);
  }

  /** keys held now (expired ones leave on the next add or has) */
  get size(): number {
    return this.n;
  }

  /** Remembers (ns id, cookie) for holdMs from now. */
  add(ns: number, cookie: bigint): void {
    const now = this.now();
    this.expire(now);
    if (this.n === this.ns.length) this.resize(2 * this.ns.length);
    const p = (this.head + this.n) % this.ns.length;
    this.ns[p] = ns;
    this.lo[p] = Number(cookie & 0xffffffffn);
    this.hi[p] = Number((cookie >> 32n) & 0xffffffffn);
    this.until[p] = now + this.holdMs;
    this.n++;
    this.put(p);
  }

  /** whether (ns id, cookie) was added less than holdMs ago */
  has(ns: number, cookie: bigint): boolean {
    this.expire(this.now());
    const lo = Number(cookie & 0xffffffffn),
      hi = Number((cookie >> 32n) & 0xffffffffn);
    const t = this.t;
    for (let i = mix(ns, lo, hi) & this.mask; ; i = (i + 1) & this.mask) {
      const s = t[i]!;
      if (s === 0) return false;
      const p = s - 1;
      if (this.lo[p] === lo && this.hi[p] === hi && this.ns[p] === ns) return true;
    }
  }

  /** Drops the keys whose time is over (the oldest first: they came first);
   * a ring under a quarter full (after a burst) shrinks. */
  private expire(now: number): void {
    if (this.n === 0 || this.until[this.head]! > now) return;
    while (this.n > 0 && this.until[this.head]! <= now) {
      this.remove(this.head);
      this.head = (this.head + 1) % this.ns.length;
      this.n--;
    }
    let cap = this.ns.length;
    while (cap > this.minCap && 4 * this.n < cap) cap /= 2;
    if (cap < this.ns.length) this.resize(cap);
  }

  private readonly hashOf = (p: number): number => mix(this.ns[p]!, this.lo[p]!, this.hi[p]!);

  private put(p: number): void {
    probeInsert(this.t, this.mask, this.hashOf(p), p);
  }

  /** the hash entry of ring position p out */
  private remove(p: number): void {
    probeRemove(this.t, this.mask, p, this.hashOf);
  }

  /** A ring of `cap` keys (the held ones copied, oldest first) and its hash. */
  private resize(cap: number): void {
    const old = { ns: this.ns, lo: this.lo, hi: this.hi, until: this.until, head: this.head, len: this.ns.length };
    this.ns = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.hi = new Uint32Array(cap);
    this.until = new Float64Array(cap);
    for (let k = 0; k < this.n; k++) {
      const q = (old.head + k) % old.len;
      this.ns[k] = old.ns[q]!;
      this.lo[k] = old.lo[q]!;
      this.hi[k] = old.hi[q]!;
      this.until[k] = old.until[q]!;
    }
    this.head = 0;
    this.t = new Int32Array(2 * cap);
    this.mask = 2 * cap - 1;
    for (let k = 0; k < this.n; k++) this.put(k);
  }
}
