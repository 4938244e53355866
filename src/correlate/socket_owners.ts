// The latest owners pass's map of (netns inode, socket inode) -> owner, in
// typed arrays: 16 bytes of columns an entry and a hash of entry numbers at
// load <= 1/2 (32 B an entry kept at 99k with the room of its growth), off
// the V8 heap, where a Map per namespace kept 37 B an entry in V8's
// large-object space and was slower to fill (0.21-0.27 us a row vs 0.12-0.20).
import { mix, probeInsert } from './probe_table';

export interface Owner {
  pid: number;
  tgid: number;
  comm: string;
  cgroup: bigint;
}

export class SocketOwners {
  private nsLo: Uint32Array = new Uint32Array(0);
  private nsHi: Uint32Array = new Uint32Array(0);
  private ino: Uint32Array = new Uint32Array(0);
  /** index of `list` */
  private who: Uint32Array = new Uint32Array(0);
  /** entry + 1, 0 empty */
  private t = new Int32Array(16);
  private n = 0;
  /** the pass's owners (a few processes own many sockets), and their index by pid */
  private readonly list: Owner[] = [];
  private readonly byPid = new Map<number, number>();

  get size(): number {
    return this.n;
  }

  /** Forgets every entry and owner (a new pass). */
  clear(): void {
    this.n = 0;
    this.t.fill(0);
    this.list.length = 0;
    this.byPid.clear();
  }

  /** Room for n entries now (a batch's rows at once, at least doubling). */
  reserve(n: number): void {
    if (n > this.ino.length) this.grow(Math.max(n, 2 * this.ino.length));
  }

  /** Sets the owner of socket `inode` of namespace (nsLo, nsHi); a later set of the same socket wins. */
  set(nsLo: number, nsHi: number, inode: number, pid: number, tgid: number, comm: string, cgroup: bigint): void {
    let w = this.byPid.get(pid);
    const had = w === undefined ? undefined : this.list[w];
    if (!had || had.tgid !== tgid || had.comm !== comm || had.cgroup !== cgroup) {
      this.byPid.set(pid, (w = this.list.length));
      this.list.push({ pid, tgid, comm, cgroup });
    }
    const e = this.find(nsLo, nsHi, inode);
    if (e >= 0) {
      this.who[e] = w!;
      return;
    }
    if (this.n === this.ino.length) this.grow(Math.max(1024, 2 * this.n));
    const k = this.n++;
    this.nsLo[k] = nsLo;
    this.nsHi[k] = nsHi;
    this.ino[k] = inode;
    this.who[k] = w!;
    probeInsert(this.t, this.t.length - 1, mix(inode, nsLo, nsHi), k);
  }

  /** the owner of socket `inode` of namespace ns, if the last pass saw it */
  get(ns: bigint, inode: number): Owner | undefined {
    const e = this.find(Number(ns & 0xffffffffn), Number((ns >> 32n) & 0xffffffffn), inode);
    return e < 0 ? undefined : this.list[this.who[e]!];
  }

  private find(nsLo: number, nsHi: number, inode: number): number {
    const t = this.t,
      mask = t.length - 1;
    for (let p = mix(inode, nsLo, nsHi) & mask; ; p = (p + 1) & mask) {
      const s = t[p]!;
      if (s === 0) return -1;
      const k = s - 1;
      if (this.ino[k] === inode && this.nsLo[k] === nsLo && this.nsHi[k] === nsHi) return k;
    }
  }

  private grow(cap: number): void {
    const col = (old: Uint32Array): Uint32Array<ArrayBuffer> => {
      const x = new Uint32Array(cap);
      x.set(old.subarray(0, this.n));
      return x;
    };
    this.nsLo = col(this.nsLo);
    this.nsHi = col(this.nsHi);
    this.ino = col(this.ino);
    this.who = col(this.who);
    let size = this.t.length;
    while (size < 2 * cap) size *= 2;
    if (size === this.t.length) return;
    this.t = new Int32Array(size);
    for (let k = 0; k < this.n; k++) probeInsert(this.t, size - 1, mix(this.ino[k]!, this.nsLo[k]!, this.nsHi[k]!), k);
  }
}
