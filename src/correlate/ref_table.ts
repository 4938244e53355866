// Values many flow slots share (an IPv6 address, a health account), each kept
// once under a small id with the count of slots that hold it; an id is reused
// once nobody holds it. A slot then stores 4 bytes instead of a pointer.

export class RefTable<T> {
  private readonly ids = new Map<T, number>();
  private readonly list: Array<T | undefined>;
  private refs = new Uint32Array(64);
  private readonly free: number[] = [];

  /** ids below `reserved` are never handed out (e.g. 0 for "none") */
  constructor(reserved = 0) {
    this.list = new Array<T | undefined>(reserved).fill(undefined);
  }

  get(id: number): T | undefined {
    return this.list[id];
  }

  /** v's id, one more holder counted */
  ref(v: T): number {
    let id = this.ids.get(v);
    if (id === undefined) {
      id = this.free.pop() ?? this.list.length;
      if (id === this.list.length) this.list.push(v);
      else this.list[id] = v;
      this.ids.set(v, id);
      if (id >= this.refs.length) {
        const refs = new Uint32Array(2 * this.refs.length);
        refs.set(this.refs);
        this.refs = refs;
      }
    }
    this.refs[id]!++;
    return id;
  }

  /** one holder of id fewer; the last frees it */
  unref(id: number): void {
    if (--this.refs[id]! > 0) return;
    this.ids.delete(this.list[id]!);
    this.list[id] = undefined;
    this.free.push(id);
  }
}
