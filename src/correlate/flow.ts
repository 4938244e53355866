// One flow's state while it is in the table: what each view said of it and
// when. Turned into a FlowRow (flow_row.ts) once it is finished.
import { HANDSHAKE_DONE, HANDSHAKE_FAILED, HANDSHAKE_UNKNOWN, type CloseReason, type FinalSource, type FlowRow } from './flow_row';
import type { HealthRef } from './health';
import {
  BIT_FIELDS,
  FINAL_SOURCES,
  FLOW_FIELDS,
  FlowStore,
  RARE_FIELDS,
  TIME_NAMES,
  type BitFieldName,
  type FlowFieldName,
  type FlowFieldValues,
  type RareFieldName,
} from './flow_store';

/** TCP states (include/net/tcp_states.h) */
const SYN_SENT = 2,
  SYN_RECV = 3;
/** states only a connection that completed its handshake reaches */
const PAST_HANDSHAKE = new Set([1, 4, 5, 6, 8, 9, 11]);
/** states of a connection closing with FINs */
const FIN_STATES = new Set([4, 5, 6, 8, 9, 11]);

/** tcp_info fields a flow keeps from its latest poll or destroy record (numbers: µs and bytes below 2^53). */
export interface InfoExtra {
  minRtt: number;
  busy: number;
  rwndLimited: number;
  sndbufLimited: number;
  lost: number;
  reordSeen: number;
  bytesSent: number;
  bytesRetrans: number;
}

/** Counters a view reports at some instant, as the flow table keeps them. */
export interface Counters {
  ts_ns: bigint;
  tcpi_bytes_acked: bigint;
  tcpi_bytes_received: bigint;
  tcpi_segs_in: number;
  tcpi_segs_out: number;
  tcpi_total_retrans: number;
  tcpi_rtt: number;
}

/** Bit 63 marks the key of a flow no cookie has named yet (cookieless events):
 * kernel cookies count up from 1 and never reach it. Never written out. */
export const SYNTHETIC_COOKIE = 1n << 63n;

/** A flow: a handle (store, slot) over the flow store's columns. Every
 * FLOW_FIELDS entry is a property of it (defined below from the field table);
 * handles are cheap and made per use, so compare flows by slot, not identity. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface Flow extends FlowFieldValues {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Flow {
  readonly s: FlowStore;
  readonly i: number;

  /** A flow in a store of its own (tests), or with a store, the handle of its slot i. */
  constructor(store: FlowStore, i: number);
  constructor(netns_inode: bigint, idiag_cookie: bigint, idiag_family: number, src: string, sport: number, dst: string, dport: number);
  constructor(a: bigint | FlowStore, b: bigint | number, family = 0, src = '', sport = 0, dst = '', dport = 0) {
    if (a instanceof FlowStore) {
      this.s = a;
      this.i = b as number;
    } else {
      this.s = new FlowStore(1);
      this.i = this.s.alloc(a, b as bigint, family, src, sport, dst, dport);
    }
  }

  get netns_inode(): bigint {
    return this.s.nsOf(this.s.c.netnsId[this.i]!);
  }
  get src(): string {
    return this.s.srcOf(this.i);
  }
  get dst(): string {
    return this.s.dstOf(this.i);
  }
  /** the owner's fields (OwnerTable); each setter keeps the other three */
  get pid(): number {
    return this.s.owners.pid[this.s.c.ownerId[this.i]!]!;
  }
  set pid(v: number) {
    this.setOwner(v, this.tgid, this.commId, this.cgroup_id);
  }
  get tgid(): number {
    return this.s.owners.tgid[this.s.c.ownerId[this.i]!]!;
  }
  set tgid(v: number) {
    this.setOwner(this.pid, v, this.commId, this.cgroup_id);
  }
  get comm(): string {
    return this.s.nameOf(this.commId);
  }
  set comm(v: string) {
    this.setOwner(this.pid, this.tgid, this.s.nameId(v), this.cgroup_id);
  }
  get cgroup_id(): bigint {
    return this.s.owners.cgroup[this.s.c.ownerId[this.i]!]!;
  }
  set cgroup_id(v: bigint) {
    this.setOwner(this.pid, this.tgid, this.commId, v);
  }
  private get commId(): number {
    return this.s.owners.comm[this.s.c.ownerId[this.i]!]!;
  }
  private setOwner(pid: number, tgid: number, comm: number, cgroup: bigint): void {
    this.s.setOwner(this.i, pid, tgid, comm, cgroup);
  }
  get final(): Counters | null {
    return this.s.ends.get(this.i)?.final ?? null;
  }
  get close_ns(): bigint {
    return this.s.ends.get(this.i)?.close_ns ?? 0n;
  }
  set close_ns(v: bigint) {
    this.s.end(this.i).close_ns = v;
  }
  get lifetime_ns(): bigint {
    return this.s.ends.get(this.i)?.lifetime_ns ?? 0n;
  }
  set lifetime_ns(v: bigint) {
    this.s.end(this.i).lifetime_ns = v;
  }
  /** the state the close event says it left; 0 = no close event */
  get closeState(): number {
    return this.s.ends.get(this.i)?.closeState ?? 0;
  }
  set closeState(v: number) {
    this.s.end(this.i).closeState = v;
  }
  get finalSource(): FinalSource {
    return FINAL_SOURCES[this.s.c.finalRank[this.i]!] ?? 'none';
  }
  /** the flow's health buckets (health.ts), null: to resolve again (its side or owner changed) */
  get health(): HealthRef | null {
    return this.s.healthOf(this.i);
  }
  set health(v: HealthRef | null) {
    this.s.setHealth(this.i, v);
  }
  /** the latest tcp_info extras */
  get extra(): InfoExtra {
    return {
      minRtt: this.minRtt,
      busy: this.busy,
      rwndLimited: this.rwndLimited,
      sndbufLimited: this.sndbufLimited,
      lost: this.lost,
      reordSeen: this.reordSeen,
      bytesSent: this.bytesSent,
      bytesRetrans: this.bytesRetrans,
    };
  }

  seen(view: number, ts: bigint): void {
    this.seenAt(view, Number(ts & 0xffffffffn), Number(ts >> 32n));
  }

  /** seen(), with the time as u32 halves (compared without reading a BigInt) */
  seenAt(view: number, lo: number, hi: number): void {
    const s = this.s,
      c = s.c,
      t = s.times.t,
      i = this.i;
    c.views[i]! |= view;
    const fi = c.first_seen_ns[i]!,
      li = c.last_seen_ns[i]!;
    const fh = t[2 * fi + 1]!,
      fl = t[2 * fi]!,
      lh = t[2 * li + 1]!,
      ll = t[2 * li]!;
    // every compare on every call, none behind a short circuit that a first
    // cycle (all flows new) always takes: type feedback for all of them, so
    // the cycles after it do not deoptimize the poll path that inlines this
    const before = hi < fh,
      sameHi = hi === fh,
      beforeLo = lo < fl,
      after = hi > lh,
      sameLh = hi === lh,
      afterLo = lo > ll;
    if ((fh === 0 && fl === 0) || before || (sameHi && beforeLo)) s.setTime(i, 'first_seen_ns', lo, hi);
    if (after || (sameLh && afterLo)) s.setTime(i, 'last_seen_ns', lo, hi);
  }

  /** A poll's counters; returns whether they moved since the previous poll.
   * The time as u32 halves (shared by a batch's rows: one TimeTable id). */
  poll(lo: number, hi: number, acked: number, received: number, segsIn: number, segsOut: number, retrans: number, rtt: number): boolean {
    // every socket every cycle: the columns directly, no accessor
    const s = this.s,
      c = s.c,
      i = this.i;
    const first = c.polls[i] === 0;
    if (first) s.setTime(i, 'first_poll_ns', lo, hi);
    c.polls[i]!++;
    const la = c.la[i]!,
      lr = c.lr[i]!,
      lre = c.lre[i]!;
    // each compare on its own (not behind `first`, nor behind the one before):
    // type feedback from a first cycle for all of them (see seenAt)
    const ma = la !== acked,
      mr = lr !== received,
      msi = c.lsi[i] !== segsIn,
      mso = c.lso[i] !== segsOut,
      mre = lre !== retrans;
    const moved = first || ma || mr || msi || mso || mre;
    // the last poll's time as a number (ns since the epoch, to ~256 ns; 0
    // before the first: id 0), read for a first poll too (type feedback, as above)
    const pt = s.times.num(c.lastTs[i]!);
    s.setTime(i, 'lastTs', lo, hi);
    c.la[i] = acked;
    c.lr[i] = received;
    c.lsi[i] = segsIn;
    c.lso[i] = segsOut;
    c.lre[i] = retrans;
    c.lrtt[i] = rtt;
    const dt = hi * 4294967296 + lo - pt;
    // computed and compared for a first poll too (then unused): a first cycle,
    // every flow new, leaves these operations type feedback, so the cycle after
    // it does not deoptimize the poll path that inlines this
    const bps = Math.floor(((acked - la + (received - lr)) * 1e9) / dt);
    const later = dt > 0 && !first; // the compare first: not behind `first`
    if (bps > c.peakBytesPerS[i]! && later) c.peakBytesPerS[i] = bps;
    // a rare column: read only when some retransmit moved
    if (retrans > lre && later && retrans - lre > this.peakRetrans) this.peakRetrans = retrans - lre;
    return moved;
  }

  /** the last poll's counters, null before the first */
  get lastPoll(): Counters | null {
    if (this.polls === 0) return null;
    return {
      ts_ns: this.lastTs,
      tcpi_bytes_acked: BigInt(this.la),
      tcpi_bytes_received: BigInt(this.lr),
      tcpi_segs_in: this.lsi,
      tcpi_segs_out: this.lso,
      tcpi_total_retrans: this.lre,
      tcpi_rtt: this.lrtt,
    };
  }

  /** Offers final counters; kept only when the source ranks at least as high.
   * The record is copied: a poll reuses its own. */
  offerFinal(src: FinalSource, c: Counters): void {
    const rank = FINAL_SOURCES.indexOf(src);
    if (rank < this.finalRank) return;
    this.s.end(this.i).final = { ...c };
    this.finalRank = rank;
  }

  /** tcp_info extras of a poll (final = false) or of the destroy record (final = true, kept). In place: no allocation. */
  info(
    final: boolean,
    minRtt: number,
    busy: number,
    rwnd: number,
    sndbuf: number,
    lost: number,
    reord: number,
    sent: number,
    retrans: number,
  ): void {
    const c = this.s.c,
      i = this.i;
    const b = c.bits[i]!;
    if (b & BIT_FIELDS.extraFinal && !final) return;
    c.bits[i] = final ? b | BIT_FIELDS.extraFinal : b & ~BIT_FIELDS.extraFinal;
    c.minRtt[i] = minRtt === 0xffffffff ? 0 : minRtt; // ~0U: no RTT sample yet
    c.busy[i] = busy;
    c.bytesSent[i] = sent;
    // the rare columns: a row only once one of them is not zero
    if (c.rare[i] === 0 && rwnd === 0 && sndbuf === 0 && lost === 0 && reord === 0 && retrans === 0) return;
    const r = this.s.rareRow(i),
      x = this.s.r;
    x.rwndLimited[r] = rwnd;
    x.sndbufLimited[r] = sndbuf;
    x.lost[r] = lost;
    x.reordSeen[r] = reord;
    x.bytesRetrans[r] = retrans;
  }

  /** a state a view saw the socket in (poll) or move to (events) */
  sawState(state: number): void {
    const c = this.s.c;
    if (PAST_HANDSHAKE.has(state)) c.bits[this.i]! |= BIT_FIELDS.established;
    else if (state === SYN_SENT && c.direction[this.i] === 0) c.direction[this.i] = 1;
  }

  /** A poll's state, socket inode (0: unknown) and cycle; returns whether the state changed. */
  polledAs(state: number, inode: number, cycle: number): boolean {
    const c = this.s.c,
      i = this.i;
    const changed = c.state[i] !== state;
    c.state[i] = state;
    this.sawState(state);
    if (inode) c.inode[i] = inode;
    c.cycle[i] = cycle;
    return changed;
  }

  /** the close event's old state */
  closedFrom(state: number): void {
    this.closeState = state;
    if (state === SYN_SENT && this.direction === 0) this.direction = 1;
    if (PAST_HANDSHAKE.has(state)) this.established = true;
  }

  closeReason(retrans: number): CloseReason {
    if (this.resetsReceived > 0) return 'reset_received';
    if (this.resetsSent > 0) return 'reset_sent';
    const st = this.closeState || this.state;
    if (FIN_STATES.has(st)) return 'fin';
    if (this.closeState === SYN_SENT || this.closeState === SYN_RECV) return 'timeout';
    if (this.closeState === 1) return retrans > 0 || this.retransmitEvents > 0 ? 'timeout' : 'abort';
    return 'unknown';
  }

  handshake(): number {
    if (this.established) return HANDSHAKE_DONE;
    if (this.closeState === SYN_SENT || this.closeState === SYN_RECV) return HANDSHAKE_FAILED;
    return HANDSHAKE_UNKNOWN;
  }

  owner(pid: number, tgid: number, comm: string, cgroup: bigint): void {
    if ((comm && comm !== this.comm) || (cgroup && cgroup !== this.cgroup_id)) this.health = null;
    this.setOwner(pid, tgid, comm ? this.s.nameId(comm) : this.commId, cgroup || this.cgroup_id);
  }

  toRow(evicted: boolean): FlowRow {
    const last = this.lastPoll;
    const f = this.final ?? last;
    const src: FinalSource = this.final ? this.finalSource : last ? 'poll' : 'none';
    const total = (c: Counters | null): bigint => (c ? c.tcpi_bytes_acked + c.tcpi_bytes_received : 0n);
    const unpolled = total(f) - total(last);
    const duration =
      this.lifetime_ns > 0n ? this.lifetime_ns : this.open_ns > 0n && this.close_ns > this.open_ns ? this.close_ns - this.open_ns : 0n;
    return {
      netns_inode: this.netns_inode,
      idiag_cookie: this.idiag_cookie >= SYNTHETIC_COOKIE ? 0n : this.idiag_cookie,
      idiag_family: this.idiag_family,
      src: this.src,
      sport: this.sport,
      dst: this.dst,
      dport: this.dport,
      views: this.views,
      open_ns: this.open_ns,
      close_ns: this.close_ns,
      first_seen_ns: this.first_seen_ns,
      last_seen_ns: this.last_seen_ns,
      first_poll_ns: this.first_poll_ns,
      last_poll_ns: last?.ts_ns ?? 0n,
      polls: this.polls,
      duration_ns: duration,
      final_source: src,
      direction: this.direction,
      tcpi_bytes_acked: f?.tcpi_bytes_acked ?? 0n,
      tcpi_bytes_received: f?.tcpi_bytes_received ?? 0n,
      tcpi_segs_in: f?.tcpi_segs_in ?? 0,
      tcpi_segs_out: f?.tcpi_segs_out ?? 0,
      tcpi_total_retrans: f?.tcpi_total_retrans ?? 0,
      tcpi_rtt: f?.tcpi_rtt ?? 0,
      bytes_unpolled: unpolled > 0n ? unpolled : 0n,
      peak_bytes_per_s: BigInt(this.peakBytesPerS),
      peak_retrans: this.peakRetrans,
      retransmit_events: this.retransmitEvents,
      reset_events: this.resetEvents,
      pid: this.pid,
      tgid: this.tgid,
      comm: this.comm,
      cgroup_id: this.cgroup_id,
      evicted: evicted ? 1 : 0,
      close_reason: evicted && !this.closed ? 'unknown' : this.closeReason(f?.tcpi_total_retrans ?? 0),
      handshake: this.handshake(),
      state_at_close: this.closeState || (this.closed ? this.state : 0),
      tcpi_min_rtt: this.minRtt,
      tcpi_busy_time: BigInt(this.busy),
      tcpi_rwnd_limited: BigInt(this.rwndLimited),
      tcpi_sndbuf_limited: BigInt(this.sndbufLimited),
      tcpi_lost: this.lost,
      tcpi_reord_seen: this.reordSeen,
      tcpi_bytes_sent: BigInt(this.bytesSent),
      tcpi_bytes_retrans: BigInt(this.bytesRetrans),
    };
  }
}

// The rare columns as properties too: zero without a row; a zero written to a
// flow without a row makes none.
for (const name of Object.keys(RARE_FIELDS) as RareFieldName[]) {
  Object.defineProperty(Flow.prototype, name, {
    configurable: true,
    get(this: Flow): number {
      const r = this.s.c.rare[this.i]!;
      return r === 0 ? 0 : this.s.r[name][r]!;
    },
    set(this: Flow, v: number): void {
      if (v === 0 && this.s.c.rare[this.i] === 0) return;
      const r = this.s.rareRow(this.i); // first: it may grow the rare columns
      this.s.r[name][r] = v;
    },
  });
}

// The times as bigint properties (a TimeTable id in the column).
for (const name of TIME_NAMES) {
  Object.defineProperty(Flow.prototype, name, {
    configurable: true,
    get(this: Flow): bigint {
      return this.s.timeOf(this.i, name);
    },
    set(this: Flow, v: bigint): void {
      this.s.setTime(this.i, name, Number(v & 0xffffffffn), Number((v >> 32n) & 0xffffffffn));
    },
  });
}

// The field table's columns as the handle's properties (bits, healthId and
// the times through their own accessors).
for (const name of Object.keys(FLOW_FIELDS) as FlowFieldName[]) {
  if (name === 'bits' || name === 'healthId' || FLOW_FIELDS[name] === 'time') continue;
  Object.defineProperty(Flow.prototype, name, {
    configurable: true,
    get(this: Flow): number | bigint {
      return this.s.c[name][this.i]!;
    },
    set(this: Flow, v: number | bigint): void {
      (this.s.c[name] as Uint8Array | BigUint64Array)[this.i] = v as never;
    },
  });
}

// The yes/no fields, a bit each of the `bits` column.
for (const name of Object.keys(BIT_FIELDS) as BitFieldName[]) {
  const bit = BIT_FIELDS[name];
  Object.defineProperty(Flow.prototype, name, {
    configurable: true,
    get(this: Flow): boolean {
      return (this.s.c.bits[this.i]! & bit) !== 0;
    },
    set(this: Flow, v: boolean): void {
      const b = this.s.c.bits;
      b[this.i] = v ? b[this.i]! | bit : b[this.i]! & ~bit;
    },
  });
}
