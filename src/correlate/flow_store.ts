// The flow table's storage: every flow's numbers in typed arrays, one column
// per field of FLOW_FIELDS (a struct-of-arrays slab with a free list), so a
// flow costs its fields' bytes and no JS object. Flow (flow.ts) is a handle
// (store, slot) over it whose properties are made from the same field table.
import type { Counters } from './flow';
import type { HealthRef } from './health';

/** a column's element: 'bool' is a u8 read as a boolean, 'u64' a bigint */
export type FieldKind = 'u8' | 'u16' | 'u32' | 'f64' | 'u64' | 'bool';

/** Every number a flow keeps, by name and width: the one place its shape is written. */
export const FLOW_FIELDS = {
  netnsId: 'u32',
  idiag_cookie: 'u64',
  idiag_family: 'u8',
  sport: 'u16',
  dport: 'u16',
  views: 'u8',
  first_seen_ns: 'u64',
  last_seen_ns: 'u64',
  open_ns: 'u64',
  first_poll_ns: 'u64',
  polls: 'u32',
  /** the last poll (lastTs: its exact time); the health metrics count from it too */
  lastTs: 'u64',
  la: 'f64',
  lr: 'f64',
  lsi: 'u32',
  lso: 'u32',
  lre: 'u32',
  lrtt: 'u32',
  /** FINAL_SOURCES index of the final counters' source */
  finalRank: 'u8',
  direction: 'u8',
  retransmitEvents: 'u32',
  resetEvents: 'u32',
  pid: 'u32',
  tgid: 'u32',
  /** index of the comm in the store's names (0: none) */
  commId: 'u32',
  cgroup_id: 'u64',
  /** highest rate (bytes/s) and most retransmits between two consecutive polls */
  peakBytesPerS: 'f64',
  peakRetrans: 'u32',
  /** the namespace's poll cycle that last saw the flow (close by absence) */
  cycle: 'u32',
  /** TCP state at the last poll */
  state: 'u8',
  /** socket inode (poll, destroy): joins the task_file owner map */
  inode: 'u32',
  /** set when a close was seen (event, destroy, or absence from a poll) */
  closed: 'bool',
  /** a view saw it in a state past the handshake (ESTABLISHED or later) */
  established: 'bool',
  resetsReceived: 'u32',
  resetsSent: 'u32',
  /** the latest tcp_info extras (destroy's final record wins over polls) */
  minRtt: 'u32',
  busy: 'f64',
  rwndLimited: 'f64',
  sndbufLimited: 'f64',
  lost: 'u32',
  reordSeen: 'u32',
  bytesSent: 'f64',
  bytesRetrans: 'f64',
  extraFinal: 'bool',
  /** health metrics (health.ts): counted as opened, side when events alone
   * tell (1 client, 2 server), the peer reset it */
  healthOpened: 'bool',
  sideHint: 'u8',
  gotReset: 'bool',
} as const satisfies Record<string, FieldKind>;

export type FlowFieldName = keyof typeof FLOW_FIELDS;
type ValueOf<K extends FieldKind> = K extends 'u64' ? bigint : K extends 'bool' ? boolean : number;
/** the fields as a flow's properties */
export type FlowFieldValues = { -readonly [N in FlowFieldName]: ValueOf<(typeof FLOW_FIELDS)[N]> };

type Column = Uint8Array | Uint16Array | Uint32Array | Float64Array | BigUint64Array;
type NumColumn = Uint8Array | Uint16Array | Uint32Array | Float64Array;
type Columns = { [N in FlowFieldName]: (typeof FLOW_FIELDS)[N] extends 'u64' ? BigUint64Array : NumColumn };

const BYTES: Record<FieldKind, number> = { u8: 1, bool: 1, u16: 2, u32: 4, f64: 8, u64: 8 };
const NAMES = Object.keys(FLOW_FIELDS) as FlowFieldName[];
const U64_NAMES = NAMES.filter((n) => FLOW_FIELDS[n] === 'u64');

/** bytes of one slot's columns (the store adds 3 pointers: addresses and health) */
export const SLOT_BYTES = NAMES.reduce((s, n) => s + BYTES[FLOW_FIELDS[n]], 0);

/** One buffer for every column of n slots (one allocation a growth, not one per
 * column: each external allocation can start a GC), widest columns first. */
function columns(n: number): Record<FlowFieldName, Column> {
  const order = [...NAMES].sort((x, y) => BYTES[FLOW_FIELDS[y]] - BYTES[FLOW_FIELDS[x]]);
  const buf = new ArrayBuffer(Math.ceil((SLOT_BYTES * n) / 8) * 8 + 8 * order.length);
  let at = 0;
  const out = order.map((name): [FlowFieldName, Column] => {
    const kind = FLOW_FIELDS[name];
    const col =
      kind === 'u64'
        ? new BigUint64Array(buf, at, n)
        : kind === 'f64'
          ? new Float64Array(buf, at, n)
          : kind === 'u32'
            ? new Uint32Array(buf, at, n)
            : kind === 'u16'
              ? new Uint16Array(buf, at, n)
              : new Uint8Array(buf, at, n);
    at += Math.ceil((BYTES[kind] * n) / 8) * 8;
    return [name, col];
  });
  // fromEntries: an object built key by key past a dozen properties is a
  // dictionary in V8 (a hash probe on every column load of the hot path)
  return Object.fromEntries(out) as Record<FlowFieldName, Column>;
}

/** What a flow gets at its close, kept apart (most flows in the table are open). */
export interface FlowEnd {
  close_ns: bigint;
  /** lifetime reported by the kernel at close (events), else 0n */
  lifetime_ns: bigint;
  /** the state the close event says it left; 0 = no close event */
  closeState: number;
  /** final counters (events, destroy) */
  final: Counters | null;
}

/** Final-counter sources, in rank order: a later source never overrides a better one. */
export const FINAL_SOURCES = ['none', 'poll', 'destroy', 'events'] as const;

/** Slots of flows. A slot is live from alloc() to free(); a freed slot reads as zeros. */
export class FlowStore {
  capacity = 0;
  /** live slots */
  size = 0;
  c = {} as Columns;
  /** u64 columns as little-endian u32 pairs (compare and hash without a BigInt) */
  h = {} as Record<(typeof U64_NAMES)[number], Uint32Array>;
  /** 1 while a slot holds a flow */
  live = new Uint8Array(0);
  readonly src: string[] = [];
  readonly dst: string[] = [];
  readonly health: Array<HealthRef | null> = [];
  /** what only a closing flow has (its close, final counters), by slot */
  readonly ends = new Map<number, FlowEnd>();
  private free: number[] = [];
  /** namespace inodes by id, and comm names by id (1-based; few, never per flow) */
  private readonly nsList: bigint[] = [];
  private readonly nsIds = new Map<bigint, number>();
  private readonly names: string[] = [''];
  private readonly nameIds = new Map<string, number>([['', 0]]);
  /** recent address strings, shared by the flows that have them */
  private readonly addrs = new Map<string, string>();

  constructor(capacity = 1024) {
    this.grow(capacity);
  }

  /** A new slot, zeroed, for a flow of (ns, cookie, tuple). */
  alloc(ns: bigint, cookie: bigint, family: number, src: string, sport: number, dst: string, dport: number): number {
    if (this.free.length === 0) this.grow(Math.max(1024, Math.ceil(this.capacity * 1.25)));
    const i = this.free.pop()!;
    this.live[i] = 1;
    this.size++;
    const c = this.c;
    c.netnsId[i] = this.nsId(ns);
    c.idiag_cookie[i] = cookie;
    c.idiag_family[i] = family;
    c.sport[i] = sport;
    c.dport[i] = dport;
    this.src[i] = this.intern(src);
    this.dst[i] = this.intern(dst);
    return i;
  }

  release(i: number): void {
    if (!this.live[i]) return;
    for (const n of NAMES) {
      if (FLOW_FIELDS[n] === 'u64') this.c[n][i] = 0n;
      else (this.c[n] as NumColumn)[i] = 0;
    }
    this.live[i] = 0;
    this.src[i] = this.dst[i] = '';
    this.health[i] = null;
    this.ends.delete(i);
    this.free.push(i);
    this.size--;
  }

  /** the id of namespace ns (ids are never reused: a handful of namespaces) */
  nsId(ns: bigint): number {
    let id = this.nsIds.get(ns);
    if (id === undefined) {
      this.nsIds.set(ns, (id = this.nsList.length));
      this.nsList.push(ns);
    }
    return id;
  }

  /** id of ns if any flow ever had it, else -1 */
  knownNs(ns: bigint): number {
    return this.nsIds.get(ns) ?? -1;
  }

  nsOf(id: number): bigint {
    return this.nsList[id] ?? 0n;
  }

  nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      this.nameIds.set(name, (id = this.names.length));
      this.names.push(name);
    }
    return id;
  }

  nameOf(id: number): string {
    return this.names[id] ?? '';
  }

  /** live slots, lowest first */
  *slots(): Generator<number> {
    for (let i = 0; i < this.capacity; i++) if (this.live[i]) yield i;
  }

  /** slot i's close record, made on first use */
  end(i: number): FlowEnd {
    let e = this.ends.get(i);
    if (!e) this.ends.set(i, (e = { close_ns: 0n, lifetime_ns: 0n, closeState: 0, final: null }));
    return e;
  }

  private intern(s: string): string {
    const had = this.addrs.get(s);
    if (had !== undefined) return had;
    if (this.addrs.size >= 65536) this.addrs.clear();
    this.addrs.set(s, s);
    return s;
  }

  private grow(n: number): void {
    const old = this.c;
    const c = columns(n);
    if (this.capacity > 0) for (const name of NAMES) (c[name] as Uint8Array).set(old[name] as Uint8Array);
    this.c = c as Columns;
    const h = U64_NAMES.map((name) => [name, new Uint32Array(c[name].buffer, c[name].byteOffset, 2 * n)]);
    this.h = Object.fromEntries(h) as typeof this.h;
    const live = new Uint8Array(n);
    live.set(this.live);
    this.live = live;
    for (let i = n - 1; i >= this.capacity; i--) this.free.push(i);
    for (let i = this.capacity; i < n; i++) {
      this.src.push('');
      this.dst.push('');
      this.health.push(null);
    }
    this.capacity = n;
  }
}
