// Times (u64 ns) many flow slots share, each kept once under a u32 id with the
// count of slots that hold it; an id is reused once nobody holds it. A poll
// batch's rows share a few times, so a flow's five times cost 4 bytes each
// instead of 8. Only a run of equal times shares an id (no map from time to
// id: an event's own time costs an entry of 12 bytes, the map's would be ~50).

export class TimeTable {
  /** times by id as little-endian u32 halves; id 0 is the time 0, never counted */
  t = new Uint32Array(128);
  private refs = new Uint32Array(64);
  /** ids nobody holds: a stack of nFree, as long as refs (an id is freed once) */
  private free = new Uint32Array(64);
  private nFree = 0;
  private next = 1;
  /** the id handed out last (0: none): the next ref of the same time shares it */
  private last = 0;

  /** the id of the time (lo, hi), one more holder counted */
  ref(lo: number, hi: number): number {
    if (lo === 0 && hi === 0) return 0;
    let id = this.last;
    if (id !== 0 && this.t[2 * id] === lo && this.t[2 * id + 1] === hi) {
      this.refs[id]!++;
      return id;
    }
    // a freed id, else the next new one, with the same operations either
    // way: a first cycle frees none, and a path it never ran (pop) would
    // deoptimize the poll path that inlines this in the cycle that first does
    const nf = this.nFree,
      reuse = nf > 0 ? 1 : 0,
      top = this.free[nf - reuse]!;
    id = reuse ? top : this.next;
    this.nFree = nf - reuse;
    this.next += 1 - reuse;
    if (id >= this.refs.length) this.grow(2 * this.refs.length);
    this.t[2 * id] = lo;
    this.t[2 * id + 1] = hi;
    this.refs[id] = 1;
    this.last = id;
    return id;
  }

  /** one more holder of an id already held */
  share(id: number): void {
    if (id !== 0) this.refs[id]!++;
  }

  /** one holder of id fewer; the last frees it */
  unref(id: number): void {
    // no branch (as in ref): a first cycle unrefs only id 0 (every time a
    // flow's first), so any path past it would first run in cycle 2. id 0's
    // count stays 0; an id is written above the stack on every call and
    // counted only when its last holder lets go
    const nf = this.nFree,
      last = this.last,
      held = id !== 0,
      left = this.refs[id]! - (held ? 1 : 0),
      none = left === 0,
      wasLast = last === id,
      freed = held && none; // each compare above made on every call (no && before it)
    this.refs[id] = left;
    this.free[nf] = id;
    this.nFree = nf + (freed ? 1 : 0);
    this.last = freed && wasLast ? 0 : last;
  }

  /** the time of id as a bigint */
  big(id: number): bigint {
    return id === 0 ? 0n : (BigInt(this.t[2 * id + 1]!) << 32n) | BigInt(this.t[2 * id]!);
  }

  /** the time of id as a number (to ~256 ns) */
  num(id: number): number {
    return this.t[2 * id + 1]! * 4294967296 + this.t[2 * id]!;
  }

  /** ids handed out and not freed */
  get size(): number {
    return this.next - 1 - this.nFree;
  }

  private grow(n: number): void {
    const t = new Uint32Array(2 * n),
      refs = new Uint32Array(n),
      free = new Uint32Array(n);
    t.set(this.t);
    refs.set(this.refs);
    free.set(this.free);
    this.t = t;
    this.refs = refs;
    this.free = free;
  }
}
