// The flow table's storage: every flow's numbers in typed arrays, one column
// per field of FLOW_FIELDS (a struct-of-arrays slab with a free list), so a
// flow costs its fields' bytes and no JS object. Flow (flow.ts) is a handle
// (store, slot) over it whose properties are made from the same field table.
import type { Counters } from './flow';
import type { HealthRef } from './health';
import { OwnerTable } from './owner_table';
import { RefTable } from './ref_table';
import { TimeTable } from './time_table';
import { formatAddress } from '../format/address';

/** a column's element: 'u64' a bigint; 'time' a bigint too, kept as a u32 id
 * of the store's TimeTable (the rows of a poll batch share their time) */
export type FieldKind = 'u8' | 'u16' | 'u32' | 'f64' | 'u64' | 'time';

/** Every number a flow keeps, by name and width: the one place its shape is written. */
export const FLOW_FIELDS = {
  netnsId: 'u32',
  idiag_cookie: 'u64',
  idiag_family: 'u8',
  sport: 'u16',
  dport: 'u16',
  /** the addresses: an IPv4 address as a number (a.b.c.d = a << 24 | ...),
   * else (addrIds) ids of the store's other addresses */
  srcA: 'u32',
  dstA: 'u32',
  views: 'u8',
  first_seen_ns: 'time',
  last_seen_ns: 'time',
  open_ns: 'time',
  first_poll_ns: 'time',
  polls: 'u32',
  /** the last poll (lastTs: its exact time); the health metrics count from it too */
  lastTs: 'time',
  la: 'f64',
  lr: 'f64',
  lsi: 'u32',
  lso: 'u32',
  lre: 'u32',
  lrtt: 'u32',
  /** FINAL_SOURCES index of the final counters' source */
  finalRank: 'u8',
  direction: 'u8',
  /** the socket's owner: an id of the store's owners (0: none known) */
  ownerId: 'u32',
  /** highest rate (bytes/s) between two consecutive polls */
  peakBytesPerS: 'f64',
  /** the namespace's poll cycle that last saw the flow (close by absence),
   * mod 2^16: only whether it is the cycle under way matters */
  cycle: 'u16',
  /** TCP state at the last poll */
  state: 'u8',
  /** socket inode (poll, destroy): joins the task_file owner map */
  inode: 'u32',
  /** the latest tcp_info extras (destroy's final record wins over polls) */
  minRtt: 'u32',
  busy: 'f64',
  bytesSent: 'f64',
  /** health metrics (health.ts): side when events alone tell (1 client, 2 server) */
  sideHint: 'u8',
  /** the slot's row of the rare columns (RARE_FIELDS), 0: none (all zero) */
  rare: 'u32',
  /** the flow's health buckets: an id of the store's HealthRefs (0: none, to resolve) */
  healthId: 'u32',
  /** BIT_FIELDS, one bit each */
  bits: 'u8',
} as const satisfies Record<string, FieldKind>;

/** Yes/no fields, one bit each of the slot's `bits` column (a byte each
 * before: 5 B a slot more). A Flow handle has them as boolean properties. */
export const BIT_FIELDS = {
  /** the addresses are ids of the store's other addresses (not IPv4 numbers) */
  addrIds: 1,
  /** set when a close was seen (event, destroy, or absence from a poll) */
  closed: 2,
  /** a view saw it in a state past the handshake (ESTABLISHED or later) */
  established: 4,
  /** the extras (minRtt, busy, ...) are destroy's final record's */
  extraFinal: 8,
  /** health metrics (health.ts): counted as opened; the peer reset it */
  healthOpened: 16,
  gotReset: 32,
} as const;

/** the bit of `bits` set while a slot holds a flow (not a flow's property) */
export const LIVE_BIT = 128;

/** Fields most flows never move off zero (retransmits, resets, loss, window
 * and buffer limits): kept in a side slab of their own, a row of which a flow
 * gets on its first nonzero write, so a healthy flow pays 4 bytes (its row id)
 * for them instead of 52. A Flow handle has them as properties all the same. */
export const RARE_FIELDS = {
  retransmitEvents: 'u32',
  resetEvents: 'u32',
  resetsReceived: 'u32',
  resetsSent: 'u32',
  /** most retransmits between two consecutive polls */
  peakRetrans: 'u32',
  lost: 'u32',
  reordSeen: 'u32',
  rwndLimited: 'f64',
  sndbufLimited: 'f64',
  bytesRetrans: 'f64',
} as const satisfies Record<string, FieldKind>;

export type FlowFieldName = keyof typeof FLOW_FIELDS;
export type RareFieldName = keyof typeof RARE_FIELDS;
export type BitFieldName = keyof typeof BIT_FIELDS;
type AllFields = Omit<typeof FLOW_FIELDS, 'bits' | 'healthId'> & typeof RARE_FIELDS;
type ValueOf<K extends FieldKind> = K extends 'u64' | 'time' ? bigint : number;
/** the fields (the three tables) as a flow's properties */
export type FlowFieldValues = { -readonly [N in keyof AllFields]: ValueOf<AllFields[N]> } & { -readonly [N in BitFieldName]: boolean };

type Column = Uint8Array | Uint16Array | Uint32Array | Float64Array | BigUint64Array;
type NumColumn = Uint8Array | Uint16Array | Uint32Array | Float64Array;
type Columns = {
  [N in FlowFieldName]: (typeof FLOW_FIELDS)[N] extends 'u64'
    ? BigUint64Array
    : (typeof FLOW_FIELDS)[N] extends 'time'
      ? Uint32Array
      : NumColumn;
};
type RareColumns = { [N in RareFieldName]: NumColumn };

const BYTES: Record<FieldKind, number> = { u8: 1, u16: 2, u32: 4, f64: 8, u64: 8, time: 4 };
const NAMES = Object.keys(FLOW_FIELDS) as FlowFieldName[];
const RARE_NAMES = Object.keys(RARE_FIELDS) as RareFieldName[];
const U64_NAMES = NAMES.filter((n) => FLOW_FIELDS[n] === 'u64');
/** the 'time' fields (ids of the store's TimeTable) */
export type TimeFieldName = { [N in FlowFieldName]: (typeof FLOW_FIELDS)[N] extends 'time' ? N : never }[FlowFieldName];
export const TIME_NAMES = NAMES.filter((n) => FLOW_FIELDS[n] === 'time') as TimeFieldName[];
const rowBytes = (fields: Record<string, FieldKind>): number => Object.values(fields).reduce((s, k) => s + BYTES[k], 0);

/** bytes of one slot's columns */
export const SLOT_BYTES = rowBytes(FLOW_FIELDS);
/** bytes of one row of the rare columns (only flows that moved one off zero have a row) */
export const RARE_ROW_BYTES = rowBytes(RARE_FIELDS);

/** One buffer for every column of n slots (one allocation a growth, not one per
 * column: each external allocation can start a GC), widest columns first. */
function columns<N extends string>(fields: Record<N, FieldKind>, n: number): Record<N, Column> {
  const names = Object.keys(fields) as N[];
  const order = names.sort((x, y) => BYTES[fields[y]] - BYTES[fields[x]]);
  const buf = new ArrayBuffer(Math.ceil((rowBytes(fields) * n) / 8) * 8 + 8 * order.length);
  let at = 0;
  const out = order.map((name): [N, Column] => {
    const kind = fields[name];
    const col =
      kind === 'u64'
        ? new BigUint64Array(buf, at, n)
        : kind === 'f64'
          ? new Float64Array(buf, at, n)
          : kind === 'u32' || kind === 'time'
            ? new Uint32Array(buf, at, n)
            : kind === 'u16'
              ? new Uint16Array(buf, at, n)
              : new Uint8Array(buf, at, n);
    at += Math.ceil((BYTES[kind] * n) / 8) * 8;
    return [name, col];
  });
  // fromEntries: an object built key by key past a dozen properties is a
  // dictionary in V8 (a hash probe on every column load of the hot path)
  return Object.fromEntries(out) as Record<N, Column>;
}

/** copies every column of `from` into `to` (a grown slab) */
function copyColumns(from: Record<string, Column>, to: Record<string, Column>): void {
  for (const name of Object.keys(from)) (to[name] as Uint8Array).set(from[name] as Uint8Array);
}

const AF_INET = 2;

/** an address as text, or as inet_diag's 16 bytes (network order) */
export type Address = string | Uint8Array;

/** an IPv4 address as a u32 (its 4 bytes, or its dotted quad in the form
 * formatAddress writes), -1 if `a` is not one */
function v4(a: Address): number {
  if (typeof a !== 'string') return ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0;
  const p = a.split('.');
  if (p.length !== 4) return -1;
  let n = 0;
  for (const x of p) {
    const b = Number(x);
    if (!(b >= 0 && b <= 255) || String(b) !== x) return -1;
    n = n * 256 + b;
  }
  return n;
}

const v4Text = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

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
  /** the rare columns (RARE_FIELDS), by row (c.rare); row 0 is never used */
  r = {} as RareColumns;
  private rareCap = 0;
  private readonly rareFree: number[] = [];
  /** u64 columns as little-endian u32 pairs (compare and hash without a BigInt) */
  h = {} as Record<(typeof U64_NAMES)[number], Uint32Array>;
  /** the flows' HealthRefs by id (c.healthId; 0: none), with the count of
   * flows that hold each (an id is reused once free): 4 B a flow, where a
   * pointer array cost 8 and its growth */
  private readonly health = new RefTable<HealthRef>(1);
  /** what only a closing flow has (its close, final counters), by slot */
  readonly ends = new Map<number, FlowEnd>();
  /** released slots, reused first; slots from `fresh` up were never used */
  private free: number[] = [];
  private fresh = 0;
  /** the 'time' fields' times, by id */
  readonly times = new TimeTable();
  /** the processes owning flows (pid, tgid, comm, cgroup), by id */
  readonly owners = new OwnerTable();
  /** namespace inodes by id, and comm names by id (1-based; few, never per flow) */
  private readonly nsList: bigint[] = [];
  private readonly nsIds = new Map<bigint, number>();
  private readonly names: string[] = [''];
  private readonly nameIds = new Map<string, number>([['', 0]]);
  /** addresses that are not IPv4 (IPv6, or any text a test gives), by id,
   * with the count of flows that hold each (an id is reused once free) */
  private readonly addrs = new RefTable<string>();

  constructor(capacity = 1024) {
    this.grow(capacity);
  }

  /** Room for n slots now: one growth instead of one every 25%. */
  reserve(n: number): void {
    if (n > this.capacity) this.grow(n);
  }

  /** A new slot, zeroed, for a flow of (ns, cookie, tuple). */
  alloc(ns: bigint, cookie: bigint, family: number, src: Address, sport: number, dst: Address, dport: number): number {
    // 1/8 more a growth: the slots grown and not yet used are ~6% of the
    // table on average (12% at 1/4), for a copy of it every eighth growth
    if (this.free.length === 0 && this.fresh === this.capacity) this.grow(Math.max(1024, Math.ceil(this.capacity * 1.125)));
    // a never-used slot costs nothing until taken: a growth lists no free slots
    const i = this.free.length ? this.free.pop()! : this.fresh++;
    this.size++;
    const c = this.c;
    c.bits[i] = LIVE_BIT;
    c.netnsId[i] = this.nsId(ns);
    c.idiag_cookie[i] = cookie;
    c.idiag_family[i] = family;
    c.sport[i] = sport;
    c.dport[i] = dport;
    const s4 = family === AF_INET ? v4(src) : -1,
      d4 = family === AF_INET ? v4(dst) : -1;
    if (s4 >= 0 && d4 >= 0) {
      c.srcA[i] = s4;
      c.dstA[i] = d4;
    } else {
      c.bits[i] = LIVE_BIT | BIT_FIELDS.addrIds;
      c.srcA[i] = this.addrs.ref(typeof src === 'string' ? src : formatAddress(family, src));
      c.dstA[i] = this.addrs.ref(typeof dst === 'string' ? dst : formatAddress(family, dst));
    }
    return i;
  }

  release(i: number): void {
    if (!this.isLive(i)) return;
    this.owners.unref(this.c.ownerId[i]!);
    const r = this.c.rare[i]!;
    if (r !== 0) {
      for (const n of RARE_NAMES) this.r[n][r] = 0;
      this.rareFree.push(r);
    }
    if (this.c.bits[i]! & BIT_FIELDS.addrIds) {
      this.addrs.unref(this.c.srcA[i]!);
      this.addrs.unref(this.c.dstA[i]!);
    }
    this.setHealth(i, null);
    for (const n of TIME_NAMES) this.times.unref(this.c[n][i]!);
    for (const n of NAMES) {
      if (FLOW_FIELDS[n] === 'u64') this.c[n][i] = 0n;
      else (this.c[n] as NumColumn)[i] = 0;
    }
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

  /** whether slot i holds a flow */
  isLive(i: number): boolean {
    return (this.c.bits[i]! & LIVE_BIT) !== 0;
  }

  /** live slots, lowest first */
  *slots(): Generator<number> {
    for (let i = 0; i < this.capacity; i++) if (this.c.bits[i]! & LIVE_BIT) yield i;
  }

  /** Sets slot i's owner. */
  setOwner(i: number, pid: number, tgid: number, comm: number, cgroup: bigint): void {
    const o = this.owners,
      had = this.c.ownerId[i]!;
    if (o.pid[had] === pid && o.tgid[had] === tgid && o.comm[had] === comm && o.cgroup[had] === cgroup) return;
    this.c.ownerId[i] = o.ref(pid, tgid, comm, cgroup);
    o.unref(had);
  }

  /** slot i's row of the rare columns, made on first use (zeroed) */
  rareRow(i: number): number {
    let r = this.c.rare[i]!;
    if (r === 0) {
      if (this.rareFree.length === 0) this.growRare(Math.max(256, Math.ceil(this.rareCap * 1.5)));
      this.c.rare[i] = r = this.rareFree.pop()!;
    }
    return r;
  }

  /** slot i's close record, made on first use */
  end(i: number): FlowEnd {
    let e = this.ends.get(i);
    if (!e) this.ends.set(i, (e = { close_ns: 0n, lifetime_ns: 0n, closeState: 0, final: null }));
    return e;
  }

  /** slot i's source and destination addresses as text */
  srcOf(i: number): string {
    return this.c.bits[i]! & BIT_FIELDS.addrIds ? this.addrs.get(this.c.srcA[i]!)! : v4Text(this.c.srcA[i]!);
  }

  dstOf(i: number): string {
    return this.c.bits[i]! & BIT_FIELDS.addrIds ? this.addrs.get(this.c.dstA[i]!)! : v4Text(this.c.dstA[i]!);
  }

  /** slot i's time `name` */
  timeOf(i: number, name: TimeFieldName): bigint {
    return this.times.big(this.c[name][i]!);
  }

  /** Sets slot i's time `name` to (lo, hi), its u32 halves. */
  setTime(i: number, name: TimeFieldName, lo: number, hi: number): void {
    const col = this.c[name],
      had = col[i]!,
      t = this.times.t;
    if (t[2 * had] === lo && t[2 * had + 1] === hi) return;
    col[i] = this.times.ref(lo, hi);
    this.times.unref(had);
  }

  /** slot i's health buckets (null: none, to resolve) */
  healthOf(i: number): HealthRef | null {
    return this.health.get(this.c.healthId[i]!) ?? null;
  }

  setHealth(i: number, v: HealthRef | null): void {
    const had = this.c.healthId[i]!;
    if ((this.health.get(had) ?? null) === v) return;
    this.c.healthId[i] = v ? this.health.ref(v) : 0;
    if (had !== 0) this.health.unref(had);
  }

  private growRare(n: number): void {
    const r = columns(RARE_FIELDS, n);
    if (this.rareCap > 0) copyColumns(this.r, r);
    this.r = r as RareColumns;
    for (let i = n - 1; i >= Math.max(1, this.rareCap); i--) this.rareFree.push(i);
    this.rareCap = n;
  }

  private grow(n: number): void {
    const c = columns(FLOW_FIELDS, n);
    if (this.capacity > 0) copyColumns(this.c, c);
    this.c = c as Columns;
    const h = U64_NAMES.map((name) => [name, new Uint32Array(c[name].buffer, c[name].byteOffset, 2 * n)]);
    this.h = Object.fromEntries(h) as typeof this.h;
    this.capacity = n;
  }
}
