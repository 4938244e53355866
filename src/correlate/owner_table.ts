// The processes that own flows' sockets, each (pid, tgid, comm id, cgroup)
// once, by id, with the count of flows that hold it: a flow keeps a u32 id
// (0: no owner known, whose fields read as zeros) instead of 20 bytes of its
// own. A host has a few thousand owners at most, its flows up to millions.

export class OwnerTable {
  pid = new Uint32Array(64);
  tgid = new Uint32Array(64);
  /** the flow store's comm name ids */
  comm = new Uint32Array(64);
  cgroup = new BigUint64Array(64);
  private refs = new Uint32Array(64);
  private readonly ids = new Map<string, number>();
  private readonly free: number[] = [];
  private next = 1;

  /** owners held now (id 0 aside) */
  get size(): number {
    return this.ids.size;
  }

  /** The id of (pid, tgid, comm, cgroup), held once more. */
  ref(pid: number, tgid: number, comm: number, cgroup: bigint): number {
    if (pid === 0 && tgid === 0 && comm === 0 && cgroup === 0n) return 0;
    const key = `${pid}/${tgid}/${comm}/${cgroup}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.free.pop() ?? this.next++;
      if (id >= this.pid.length) this.grow(2 * this.pid.length);
      this.pid[id] = pid;
      this.tgid[id] = tgid;
      this.comm[id] = comm;
      this.cgroup[id] = cgroup;
      this.ids.set(key, id);
    }
    this.refs[id]!++;
    return id;
  }

  /** One flow less holds id; the last one frees it. */
  unref(id: number): void {
    if (id === 0 || --this.refs[id]! > 0) return;
    this.ids.delete(`${this.pid[id]}/${this.tgid[id]}/${this.comm[id]}/${this.cgroup[id]}`);
    this.pid[id] = this.tgid[id] = this.comm[id] = 0;
    this.cgroup[id] = 0n;
    this.free.push(id);
  }

  private grow(n: number): void {
    const a = <T extends Uint32Array | BigUint64Array>(old: T, make: (n: number) => T): T => {
      const x = make(n);
      x.set(old as never);
      return x;
    };
    this.pid = a(this.pid, (k) => new Uint32Array(k));
    this.tgid = a(this.tgid, (k) => new Uint32Array(k));
    this.comm = a(this.comm, (k) => new Uint32Array(k));
    this.cgroup = a(this.cgroup, (k) => new BigUint64Array(k));
    this.refs = a(this.refs, (k) => new Uint32Array(k));
  }
}
