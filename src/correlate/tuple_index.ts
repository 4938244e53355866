// (netns, 4-tuple) -> Flow: the join key of events that carry no socket
// cookie (the events view's variants that read the cookie, on kernels before
// 5.12 or without tp_btf, for sockets nothing generated one for yet). The flow
// table builds it on the first such event and keeps it in step from then on,
// so hosts whose events generate cookies never pay for it.
import type { Flow } from './flow';

/** One key per direction: a connection's two sockets in one namespace differ. */
export const tupleKey = (family: number, src: string, sport: number, dst: string, dport: number): string =>
  `${family}|${src}|${sport}|${dst}|${dport}`;

export const flowTuple = (f: Flow): string => tupleKey(f.idiag_family, f.src, f.sport, f.dst, f.dport);

export class TupleIndex {
  private readonly byNs = new Map<bigint, Map<string, Flow>>();

  /** Indexes every flow of the table; where two share a tuple (a reused one
   * whose old flow waits out its close grace) the open, else newer, wins. */
  constructor(flows: Iterable<Flow>) {
    for (const f of flows) {
      const had = this.get(f.netns_inode, flowTuple(f));
      if (!had || (had.closed && !f.closed) || (had.closed === f.closed && f.first_seen_ns > had.first_seen_ns)) this.add(f);
    }
  }

  get(ns: bigint, key: string): Flow | undefined {
    return this.byNs.get(ns)?.get(key);
  }

  /** A new flow: it replaces any older flow of its tuple. */
  add(f: Flow, key = flowTuple(f)): void {
    let m = this.byNs.get(f.netns_inode);
    if (!m) this.byNs.set(f.netns_inode, (m = new Map()));
    m.set(key, f);
  }

  /** A flow leaving the table: its entry goes only if no newer flow took the tuple. */
  remove(f: Flow, key = flowTuple(f)): void {
    const m = this.byNs.get(f.netns_inode);
    if (m?.get(key)?.i !== f.i) return; // a handle per use: the same flow is the same slot
    m.delete(key);
    if (m.size === 0) this.byNs.delete(f.netns_inode);
  }
}
