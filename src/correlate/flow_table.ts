// The flow table: one Flow per (netns inode, socket cookie), fed by every
// view's column batches, handing finished flows to the sinks as FlowRows.
// Events without a cookie (from variants that read it, before a poll made it) join on the 4-tuple.
// Memory is bounded: finished flows leave once collected, and a cap on the
// table evicts the least recently seen flows (counted, and written flagged).
// Flows live in typed-array columns (flow_store.ts) keyed by a compact hash
// (flow_index.ts): no JS object per flow.
import type { ColumnBatch } from '../layout/batch';
import { formatAddress } from '../format/address';
import { Flow, SYNTHETIC_COOKIE, type Counters } from './flow';
import { BIT_FIELDS, FlowStore, LIVE_BIT, type Address } from './flow_store';
import { FlowIndex } from './flow_index';
import { RecentCookies } from './recent_cookies';
import { SocketOwners } from './socket_owners';
import { TupleIndex, flowTuple, tupleKey } from './tuple_index';
import { VIEW_DESTROY, VIEW_EVENTS, VIEW_POLL, VIEW_SAMPLES, type FlowRow } from './flow_row';
import { viewsName } from './coverage';
import { EV_KIND, EVF } from '../layout/event_columns';
import { SMF } from '../layout/sample_columns';
import { SIDE, type HealthAccounts, type Side } from './health';
import type { LifetimeSink } from './lifetimes';

/** how long a written flow's key absorbs late reports */
const RECENT_MS = 60_000;
/** (ns, tuple key) of a written flow (the cookieless path) */
const recentKey = (ns: bigint, key: string): string => `${ns}:${key}`;
/** States whose sockets are not flows of their own: TIME_WAIT and request
 * sockets carry cookies of their own; listeners have no peer. */
const TCP_SYN_SENT = 2,
  TCP_TIME_WAIT = 6,
  TCP_CLOSE = 7,
  TCP_LISTEN = 10,
  TCP_NEW_SYN_RECV = 12;

export interface FlowTableOptions {
  /** open flows kept at most; past it the least recently seen are evicted */
  maxFlows?: number;
  /** how long a closed flow waits for the other views' reports of its close */
  closeGraceMs?: number;
  /** closed flows waiting out their grace at most (a burst of closes); past
   * it the oldest is written at once, counted (graceCut) */
  maxClosing?: number;
  /** monotonic clock in ms (tests may drive it) */
  now?: () => number;
  /** the TCP health metrics to feed (src/correlate/health.ts); none: no health work at all */
  health?: HealthAccounts;
  /** gets the lifetime of every flow whose events close gave it (the adaptive poll) */
  lifetimes?: LifetimeSink;
  /** takes rows due now (grace cut, evicted) as soon as READY_ROWS wait, in
   * the middle of a view's batches; without it they wait for collect() */
  onReady?: (rows: FlowRow[]) => void;
}

/** Rows due now that wait for collect() at most, with onReady: a burst's
 * events drain runs for seconds, and ~800 B of FlowRow a flow held until its
 * end was ~90 MB of live heap at bench/burst's peak (120k sockets). */
export const READY_ROWS = 1024;

export interface FlowStats {
  /** flows in the table, open or waiting out their close grace */
  tracked: number;
  opened: number;
  closed: number;
  written: number;
  evicted: number;
  /** finished flows per combination of views ("poll+events" ...) */
  coverage: Record<string, number>;
  /** finished flows no poll saw */
  missedByPoll: number;
  /** bytes that moved after the last poll of their flow */
  bytesUnpolled: bigint;
  /** event and sample rows that name no flow we can key: cookie 0 and no tuple
   * to join on (no NOCOOKIE flag, no local port yet, or a reset no socket sent) */
  unkeyed: number;
  /** cookieless events (variants that read the cookie, before anything generated it) keyed by (netns, 4-tuple) */
  tupleJoined: number;
  /** flows known by their tuple alone until a poll or destroy row brought the cookie */
  adopted: number;
  /** close reports that came after their flow was written (absorbed) */
  late: number;
  /** closed flows written before their grace ended: more than maxClosing waited */
  graceCut: number;
}

/** a namespace's listeners in the dump under way */
interface ListenTally {
  ports: Set<number>;
  listeners: number;
  full: number;
}

export class FlowTable {
  private readonly store = new FlowStore();
  private readonly index = new FlowIndex(this.store);
  /** slots of the closed flows waiting out their grace, and when each may leave (monotonic ms) */
  private readonly closing = new Map<number, number>();
  /** the latest owners pass: (netns, socket inode) -> owner */
  private readonly owners = new SocketOwners();
  private readonly cycles = new Map<bigint, number>();
  /** keys of written flows, for RECENT_MS: by (ns id, cookie), and by tuple where the tuple index is on */
  private readonly recent: RecentCookies;
  private readonly recentTuples = new Map<string, number>();
  /** built on the first cookieless event: until then no flow pays for it */
  private tuples: TupleIndex | null = null;
  private synthetic = 0n;
  private sinceSweep = 0;
  private readonly maxFlows: number;
  private readonly graceMs: number;
  private readonly maxClosing: number;
  private readonly now: () => number;
  /** rows due now whatever the time: evicted flows, closed ones whose grace was cut */
  private readyRows: FlowRow[] = [];
  private readonly onReady: ((rows: FlowRow[]) => void) | null;
  private readonly s = {
    opened: 0,
    closed: 0,
    written: 0,
    evicted: 0,
    missedByPoll: 0,
    unkeyed: 0,
    tupleJoined: 0,
    adopted: 0,
    late: 0,
    graceCut: 0,
    bytesUnpolled: 0n,
  };
  private readonly coverage = new Map<number, number>();
  private readonly health: HealthAccounts | null;
  private readonly lifetimes: LifetimeSink | null;
  /** health: each namespace's listening ports (last cycle, and the one under way) and listener counts */
  private readonly listening = new Map<bigint, Set<number>>();
  private readonly listenNext = new Map<bigint, ListenTally>();

  constructor(opts: FlowTableOptions = {}) {
    this.maxFlows = opts.maxFlows ?? 1_000_000;
    this.graceMs = opts.closeGraceMs ?? 2000;
    this.maxClosing = Math.max(1, opts.maxClosing ?? 32_768);
    this.now = opts.now ?? (() => performance.now());
    this.recent = new RecentCookies(RECENT_MS, this.now);
    this.health = opts.health ?? null;
    this.lifetimes = opts.lifetimes ?? null;
    this.health?.setSideOf((f) => this.sideOf(f));
    this.onReady = opts.onReady ?? null;
  }

  /** A poll batch of namespace `ns`. With `changed`, sets changed[i] = 1 for
   * rows that differ from the flow's previous poll (new flow, state or
   * counters moved) and for rows that are not flows (listeners, TIME_WAIT). */
  observePoll(b: ColumnBatch, ns: bigint, changed?: Uint8Array): void {
    // Runs for every socket every cycle: column views hoisted, no allocation
    // for a known flow (its two counter records are reused).
    const cycle = this.cycles.get(ns) ?? 0;
    const state = b.u8('idiag_state'),
      dport = b.u16('dport'),
      ino = b.u32('idiag_inode');
    const nsId = this.store.nsId(ns);
    // u64 columns read as two u32 halves: a number, no BigInt per row
    const ck = halves(b, 'idiag_cookie'),
      tsH = halves(b, 'ts_ns'),
      acked = halves(b, 'tcpi_bytes_acked'),
      recv = halves(b, 'tcpi_bytes_received');
    const segsIn = b.u32('tcpi_segs_in'),
      segsOut = b.u32('tcpi_segs_out'),
      retrans = b.u32('tcpi_total_retrans'),
      rtt = b.u32('tcpi_rtt');
    const x = extraColumns(b);
    const h = this.health,
      sport = b.u16('sport'),
      rq = b.u32('idiag_rqueue'),
      wq = b.u32('idiag_wqueue'),
      minRtt = b.u32('tcpi_min_rtt');
    // a namespace's first cycle brings every flow at once: room for twice the
    // table a step (7 steps to 100k, not the store's 1/8 each: ~40 copies of
    // every column and the GCs their garbage starts); slots never used are
    // pages never touched
    if (cycle === 0 && this.store.size + b.rows > this.store.capacity)
      this.reserve(Math.max(this.store.size + b.rows, 2 * this.store.capacity));
    let listen: ListenTally | null = null;
    for (let i = 0; i < b.rows; i++) {
      if (!isFlowRow(state[i]!, dport[i]!)) {
        if (changed) changed[i] = 1;
        if (h && state[i] === TCP_LISTEN) {
          listen ??= this.listenCycle(ns);
          listen.ports.add(sport[i]!);
          listen.listeners++;
          // the kernel drops a handshake when the accept queue is over its backlog
          if (rq[i]! > wq[i]!) listen.full++;
        }
        continue;
      }
      const slot = this.index.find(nsId, ck[2 * i]!, ck[2 * i + 1]!);
      // one handle site for known and new flows: a first cycle (all new) leaves
      // it type feedback, so the cycle after it does not deoptimize here
      const f = new Flow(this.store, slot >= 0 ? slot : this.polledFlow(b, i, ns).i);
      const lo = tsH[2 * i]!,
        hi = tsH[2 * i + 1]!;
      const a = u64n(acked, i),
        rv = u64n(recv, i);
      // the health metrics count what moved since this flow's previous poll
      const fc = this.store.c,
        k = f.i;
      const dsi = segsIn[i]! - fc.lsi[k]!,
        dso = segsOut[i]! - fc.lso[k]!,
        dba = a - fc.la[k]!,
        dbr = rv - fc.lr[k]!,
        dre = retrans[i]! - fc.lre[k]!;
      const moved = f.poll(lo, hi, a, rv, segsIn[i]!, segsOut[i]!, retrans[i]!, rtt[i]!);
      if (h && moved) h.poll(f, dsi, dso, dba, dbr, dre, rtt[i]!, minRtt[i]!);
      const stateMoved = f.polledAs(state[i]!, ino[i]!, cycle);
      if (changed) changed[i] = f.polls === 1 || stateMoved || moved ? 1 : 0;
      x.apply(f, i, false);
      f.seenAt(VIEW_POLL, lo, hi);
    }
  }

  /** Room for n flows now (at most the cap): a count known before they come
   * (the sockets the owners pass found before the first cycle), so that a
   * first cycle fills the table in one allocation, not a growth every 25%
   * (each a copy of every column and garbage that starts a GC). */
  reserve(n: number): void {
    const k = Math.min(n, this.maxFlows);
    this.store.reserve(k);
    this.index.reserve(k);
  }

  /** Starts namespace ns's next poll cycle; returns its number. `listeners`:
   * the cycle that ended asked for listeners (false: they are polled on their
   * own, endListenCycle, and the last listen cycle's stand). */
  beginCycle(ns: bigint, listeners = true): number {
    if (listeners) this.endListenCycle(ns);
    const n = (this.cycles.get(ns) ?? 0) + 1;
    this.cycles.set(ns, n);
    return n;
  }

  /** Ends a complete cycle of ns: a flow an earlier poll saw that this one
   * did not is gone (its close fell between the two polls). Call only when
   * the dump was complete: an interrupted dump proves nothing. */
  endCycle(ns: bigint): void {
    const cycle = this.cycles.get(ns) ?? 0;
    const id = this.store.knownNs(ns);
    if (id < 0) return;
    const st = this.store;
    for (let i = 0; i < st.capacity; i++) {
      // columns read afresh: close() allocates nothing, but keep no stale view
      // live and not closed: the two bits of one load
      if ((st.c.bits[i]! & (LIVE_BIT | BIT_FIELDS.closed)) !== LIVE_BIT || st.c.netnsId[i] !== id || st.c.polls[i] === 0) continue;
      if (st.c.cycle[i]! !== (cycle & 0xffff)) this.close(new Flow(st, i), 0n);
    }
  }

  /** Ends a dump of ns that asked for listeners: the listeners it saw (none
   * when it saw none) are the health metrics' and make a flow on their ports a server's. */
  endListenCycle(ns: bigint): void {
    if (!this.health) return;
    const l = this.listenNext.get(ns) ?? { ports: new Set<number>(), listeners: 0, full: 0 };
    this.health.listenCycle(ns, l.listeners, l.full);
    this.listening.set(ns, l.ports);
    this.listenNext.delete(ns);
  }

  /** The namespaces a poll cycle covered: the listeners of any other (gone) leave the health metrics. */
  keepNamespaces(present: ReadonlySet<bigint>): void {
    if (!this.health) return;
    for (const ns of this.listening.keys()) {
      if (present.has(ns)) continue;
      this.listening.delete(ns);
      this.health.forgetNamespace(ns);
    }
    for (const ns of this.listenNext.keys()) if (!present.has(ns)) this.listenNext.delete(ns);
  }

  /** A destroy batch: the kernel's final record of each socket. */
  observeDestroy(b: ColumnBatch, ns: bigint): void {
    const dport = b.u16('dport'),
      ino = b.u32('idiag_inode');
    const x = extraColumns(b);
    for (let i = 0; i < b.rows; i++) {
      if (dport[i] === 0) continue; // a listener's end
      const f = this.flowOf(b, i, ns, true);
      if (!f) continue;
      x.apply(f, i, true);
      const c = countersOf(b, i);
      f.seen(VIEW_DESTROY, c.ts_ns);
      f.offerFinal('destroy', c);
      if (ino[i]) f.inode = ino[i]!;
      this.close(f, c.ts_ns);
    }
  }

  /** An events batch (native/event_columns.h); comm ids index `names` (1-based). */
  observeEvents(b: ColumnBatch, names: readonly string[]): void {
    const cookie = b.u64('idiag_cookie'),
      nsCol = b.u64('netns_inode'),
      kind = b.u8('kind');
    const flags = b.u8('flags'),
      ts = b.u64('ts_ns'),
      dur = b.u64('duration_ns'),
      dport = b.u16('dport');
    const pid = b.u32('pid'),
      tgid = b.u32('tgid'),
      comm = b.u32('comm'),
      cg = b.u64('cgroup_id'),
      oldstate = b.u8('oldstate'),
      newstate = b.u8('newstate');
    for (let i = 0; i < b.rows; i++) {
      if (dport[i] === 0) continue; // a listener's state change: not a flow
      let f: Flow | null;
      if (cookie[i] !== 0n) f = this.flowOf(b, i, nsCol[i]!, true);
      else if (flags[i]! & EVF.NOCOOKIE) f = this.flowOfTuple(b, i, nsCol[i]!);
      else {
        this.s.unkeyed++;
        continue;
      }
      if (!f) continue;
      const t = ts[i]!;
      f.seen(VIEW_EVENTS, t);
      if (flags[i]! & EVF.PROC) f.owner(pid[i]!, tgid[i]!, names[comm[i]! - 1] ?? '', cg[i]!);
      switch (kind[i]) {
        case EV_KIND.ACTIVE_OPEN:
        case EV_KIND.PASSIVE_OPEN: {
          const dir = kind[i] === EV_KIND.ACTIVE_OPEN ? 1 : 2;
          if (f.direction !== dir) f.health = null; // its side is known now
          f.direction = dir;
          if (f.open_ns === 0n || t < f.open_ns) f.open_ns = t;
          f.sawState(newstate[i]!);
          if (dir === 1) this.health?.connected(f);
          else this.health?.accepted(f);
          break;
        }
        case EV_KIND.CLOSE:
          f.closedFrom(oldstate[i]!);
          if (flags[i]! & EVF.FINAL) {
            f.offerFinal('events', countersOf(b, i));
            f.lifetime_ns = dur[i]!;
            if (dur[i]! > 0n) this.lifetimes?.addLifetime(Number(dur[i]!) / 1e6);
          }
          if (oldstate[i] === TCP_SYN_SENT) this.health?.connectFailed(f);
          this.close(f, t);
          break;
        case EV_KIND.RETRANSMIT:
          f.retransmitEvents++;
          break;
        case EV_KIND.RESET_SENT:
        case EV_KIND.RESET_RECEIVED:
          f.resetEvents++;
          if (kind[i] === EV_KIND.RESET_SENT) f.resetsSent++;
          else f.resetsReceived++;
          this.health?.reset(f, kind[i] === EV_KIND.RESET_SENT, newstate[i]!);
          break;
        default: // STATE
          f.sawState(newstate[i]!);
          break;
      }
    }
  }

  /** A task-samples batch: threads waiting on a socket mark its flow seen by samples. */
  observeSamples(b: ColumnBatch, names: readonly string[]): void {
    const cookie = b.u64('idiag_cookie'),
      nsCol = b.u64('netns_inode'),
      flags = b.u8('flags'),
      ts = b.u64('ts_ns');
    const pid = b.u32('pid'),
      tgid = b.u32('tgid'),
      comm = b.u32('comm'),
      cg = b.u64('cgroup_id');
    for (let i = 0; i < b.rows; i++) {
      if (!(flags[i]! & SMF.SOCKET)) continue;
      if (cookie[i] === 0n) {
        this.s.unkeyed++;
        continue;
      }
      const f = this.lookup(nsCol[i]!, cookie[i]!);
      if (!f) continue; // a socket no other view knows yet: the next poll will
      f.seen(VIEW_SAMPLES, ts[i]!);
      if (!f.tgid) f.owner(pid[i]!, tgid[i]!, names[comm[i]! - 1] ?? '', cg[i]!);
    }
  }

  /** Replaces the socket-inode -> process map (one iter/task_file pass). */
  setOwners(b: ColumnBatch, names: readonly string[], first: boolean): void {
    if (first) this.owners.clear();
    const ino = b.u32('idiag_inode'),
      pid = b.u32('pid'),
      tgid = b.u32('tgid');
    const comm = b.u32('comm'),
      cg = b.u64('cgroup_id');
    // the namespace as the inode's u32 halves: no BigInt per row
    const nsH = halves(b, 'netns_inode');
    this.owners.reserve(this.owners.size + b.rows);
    for (let i = 0; i < b.rows; i++)
      this.owners.set(nsH[2 * i]!, nsH[2 * i + 1]!, ino[i]!, pid[i]!, tgid[i]!, names[comm[i]! - 1] ?? '', cg[i]!);
  }

  /** Finished flows whose close grace is over (and evicted ones): they leave
   * the table. `max`: about that many at most (the rows already waiting, then
   * closes up to it); a burst's tail then reaches the sink a chunk at a time,
   * not as tens of thousands of rows alive at once (bench/burst). */
  collect(max = Infinity): FlowRow[] {
    const out = this.readyRows.splice(0);
    const now = this.now();
    for (const [i, at] of this.closing) {
      if (out.length >= max) break;
      if (at > now) continue;
      out.push(this.finish(new Flow(this.store, i), false));
    }
    return out;
  }

  /** Milliseconds until collect() has a row to hand out (0: now; Infinity:
   * no closed flow waits). Closes wait out the same grace, in the order
   * they came, so the first one waiting is the first due. */
  msToCollect(): number {
    if (this.readyRows.length) return 0;
    for (const at of this.closing.values()) return Math.max(0, at - this.now());
    return Infinity;
  }

  /** Every closed flow now, grace or not (shutdown). Open flows stay open.
   * `max`: about that many at most, as collect(); call until it returns none. */
  collectAll(max = Infinity): FlowRow[] {
    const out = this.readyRows.splice(0);
    for (const i of this.closing.keys()) {
      if (out.length >= max) break;
      out.push(this.finish(new Flow(this.store, i), false));
    }
    return out;
  }

  stats(): FlowStats {
    const coverage: Record<string, number> = {};
    for (const [bits, n] of this.coverage) coverage[viewsName(bits)] = n;
    return { tracked: this.store.size, ...this.s, coverage };
  }

  /** The row's flow, created when new. `late`: a report that may come after
   * the flow was written (destroy, events): absorbed, not made a new flow. */
  private flowOf(b: ColumnBatch, i: number, ns: bigint, late: true): Flow | null;
  private flowOf(b: ColumnBatch, i: number, ns: bigint): Flow;
  private flowOf(b: ColumnBatch, i: number, ns: bigint, late = false): Flow | null {
    const cookie = b.u64('idiag_cookie')[i]!;
    let f = this.lookup(ns, cookie);
    if (f) return f;
    if (late && this.recent.has(this.store.knownNs(ns), cookie)) {
      this.s.late++;
      return null;
    }
    // the addresses as the batch has them: text only for the tuple index
    const fam = b.u8('idiag_family')[i]!,
      src = b.b16('src', i),
      dst = b.b16('dst', i);
    const sport = b.u16('sport')[i]!,
      dport = b.u16('dport')[i]!;
    const key = this.tuples ? tupleKey(fam, formatAddress(fam, src), sport, formatAddress(fam, dst), dport) : undefined;
    f = key === undefined ? null : (this.tuples!.get(ns, key) ?? null);
    if (f && f.idiag_cookie >= SYNTHETIC_COOKIE) {
      // cookieless events saw this socket first: re-keyed, not a second flow
      this.index.remove(f.i);
      f.idiag_cookie = cookie;
      this.index.add(f.i);
      this.s.adopted++;
      return f;
    }
    return this.add(ns, cookie, fam, src, sport, dst, dport, key);
  }

  /** A poll row whose cookie the index lacks (checked by the caller): a new
   * flow, made without flowOf's second lookup, its BigInt key split again,
   * and two address views per row (a first cycle makes every socket's flow
   * here). With a tuple index, flowOf: a cookieless flow may hold its tuple. */
  private polledFlow(b: ColumnBatch, i: number, ns: bigint): Flow {
    if (this.tuples) return this.flowOf(b, i, ns);
    const fam = b.u8('idiag_family')[i]!;
    // the store keeps no reference to them: IPv4 as a number, IPv6 as text
    rowAddress(b.u8('src'), i, SRC);
    rowAddress(b.u8('dst'), i, DST);
    return this.add(ns, b.u64('idiag_cookie')[i]!, fam, SRC, b.u16('sport')[i]!, DST, b.u16('dport')[i]!);
  }

  /** A cookieless event's flow, by (ns, 4-tuple); made when no view saw it
   * yet, under a synthetic key until a poll or destroy row brings its cookie. */
  private flowOfTuple(b: ColumnBatch, i: number, ns: bigint): Flow | null {
    const sport = b.u16('sport')[i]!,
      dport = b.u16('dport')[i]!;
    // no local port yet (a connect's move to SYN_SENT): no tuple to join on
    if (sport === 0) {
      this.s.unkeyed++;
      return null;
    }
    this.tuples ??= new TupleIndex(this.flows());
    const fam = b.u8('idiag_family')[i]!,
      src = formatAddress(fam, b.b16('src', i)),
      dst = formatAddress(fam, b.b16('dst', i));
    const key = tupleKey(fam, src, sport, dst, dport);
    const kind = b.u8('kind')[i]!,
      opens = kind === EV_KIND.ACTIVE_OPEN || kind === EV_KIND.PASSIVE_OPEN;
    let f = this.tuples.get(ns, key);
    // An open after its tuple's flow closed is the tuple reused, unless it
    // predates the flow (that flow's own open, drained after a poll saw it).
    if (f && !(opens && f.closed && b.u64('ts_ns')[i]! >= f.first_seen_ns)) {
      this.s.tupleJoined++;
      return f;
    }
    if (!f && !opens) {
      if (this.recentTuples.has(recentKey(ns, key))) {
        this.s.late++;
        return null;
      }
      // A reset answering a packet no socket owns is cookieless too: no flow.
      if (kind === EV_KIND.RESET_SENT && b.u8('newstate')[i] === TCP_CLOSE) {
        this.health?.orphanReset();
        this.s.unkeyed++;
        return null;
      }
    }
    f = this.add(ns, SYNTHETIC_COOKIE | ++this.synthetic, fam, src, sport, dst, dport, key);
    this.s.tupleJoined++;
    return f;
  }

  /** A new flow enters the table (and the tuple index, once there is one). */
  private add(ns: bigint, cookie: bigint, fam: number, src: Address, sport: number, dst: Address, dport: number, key?: string): Flow {
    // Evict first: no view has marked the new flow seen yet, so it would be
    // the least recently seen and leave at once, written with no views.
    if (this.store.size >= this.maxFlows) this.evict();
    const f = new Flow(this.store, this.store.alloc(ns, cookie, fam, src, sport, dst, dport));
    this.index.add(f.i);
    this.tuples?.add(f, key);
    this.s.opened++;
    return f;
  }

  /** the flow of (ns, cookie), if the table holds it */
  private lookup(ns: bigint, cookie: bigint): Flow | null {
    const id = this.store.knownNs(ns);
    const i = id < 0 ? -1 : this.index.get(id, cookie);
    return i < 0 ? null : new Flow(this.store, i);
  }

  private *flows(): Generator<Flow> {
    for (const i of this.store.slots()) yield new Flow(this.store, i);
  }

  private close(f: Flow, ts: bigint): void {
    if (ts > 0n && (f.close_ns === 0n || ts < f.close_ns)) f.close_ns = ts;
    if (f.closed) return;
    f.closed = true;
    this.closing.set(f.i, this.now() + this.graceMs);
    this.s.closed++;
    if (this.closing.size <= this.maxClosing) return;
    // too many wait: the oldest (never f) goes now; a late report of it is absorbed, counted as late
    const [oldest] = this.closing.keys();
    this.ready(this.finish(new Flow(this.store, oldest!), false));
    this.s.graceCut++;
  }

  private ready(row: FlowRow): void {
    this.readyRows.push(row);
    if (!this.onReady || this.readyRows.length < READY_ROWS) return;
    const rows = this.readyRows;
    this.readyRows = [];
    this.onReady(rows);
  }

  private finish(f: Flow, evicted: boolean): FlowRow {
    if (!f.tgid && f.inode) {
      const o = this.owners.get(f.netns_inode, f.inode);
      if (o) f.owner(o.pid, o.tgid, o.comm, o.cgroup);
    }
    this.closing.delete(f.i);
    this.index.remove(f.i);
    const tuple = this.tuples ? flowTuple(f) : '';
    if (tuple) this.tuples!.remove(f, tuple);
    if (!evicted) this.remember(f, tuple);
    const row = f.toRow(evicted);
    this.health?.finish(f, row);
    this.s.written++;
    if (evicted) this.s.evicted++;
    this.store.release(f.i);
    if (!(row.views & VIEW_POLL)) this.s.missedByPoll++;
    this.s.bytesUnpolled += row.bytes_unpolled;
    this.coverage.set(row.views, (this.coverage.get(row.views) ?? 0) + 1);
    return row;
  }

  /** The listeners of namespace ns's cycle under way (health only). */
  private listenCycle(ns: bigint): ListenTally {
    let l = this.listenNext.get(ns);
    if (!l) this.listenNext.set(ns, (l = { ports: new Set(), listeners: 0, full: 0 }));
    return l;
  }

  /** A flow's side for the health metrics: the events' open (or a close in
   * SYN_SENT) when there was one; else a flow on a port its namespace
   * listens on is a server's, any other a client's (its port is ephemeral). */
  private sideOf(f: Flow): Side {
    // the store's columns, not the handle's getters (one closure shared by
    // every field: a megamorphic load each); every new flow comes here once
    const c = this.store.c,
      k = f.i;
    const dir = c.direction[k]!,
      hint = c.sideHint[k]!,
      sport = c.sport[k]!;
    if (dir === 1 || hint === 1) return SIDE.CLIENT;
    if (dir === 2 || hint === 2) return SIDE.SERVER;
    const ns = this.store.nsOf(c.netnsId[k]!);
    const now = this.listening.get(ns),
      next = this.listenNext.get(ns);
    if (sport === 0 || (!now && !next)) return SIDE.UNKNOWN; // no poll of its namespace yet
    return now?.has(sport) || next?.ports.has(sport) ? SIDE.SERVER : SIDE.CLIENT;
  }

  /** Keys of written flows, for a while: late reports of them are absorbed.
   * With the tuple index, the tuple too (cookieless reports; an open is a new flow). */
  private remember(f: Flow, tuple: string): void {
    if (f.idiag_cookie < SYNTHETIC_COOKIE) this.recent.add(this.store.c.netnsId[f.i]!, f.idiag_cookie);
    if (!tuple) return;
    const now = this.now();
    this.recentTuples.set(recentKey(f.netns_inode, tuple), now + RECENT_MS);
    if (++this.sinceSweep < 4096) return;
    this.sinceSweep = 0;
    for (const [k, until] of this.recentTuples) if (until <= now) this.recentTuples.delete(k);
  }

  /** Over the cap: the least recently seen 1% leave, flagged evicted. */
  private evict(): void {
    const id = this.store.c.last_seen_ns,
      t = this.store.times;
    const all = [...this.store.slots()];
    all.sort((a, b) => t.num(id[a]!) - t.num(id[b]!));
    const n = Math.max(1, Math.ceil(this.maxFlows / 100));
    for (const i of all.slice(0, n)) this.ready(this.finish(new Flow(this.store, i), true));
  }
}

/** scratch for a row's 16 address bytes (polledFlow) */
const SRC = new Uint8Array(16),
  DST = new Uint8Array(16);
function rowAddress(col: Uint8Array, i: number, to: Uint8Array): void {
  for (let k = 0, at = 16 * i; k < 16; k++) to[k] = col[at + k]!;
}

/** a u64 column as little-endian u32 pairs */
function halves(b: ColumnBatch, name: string): Uint32Array {
  const v = b.u64(name);
  return new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
}
/** row i of a halves() view as a number (exact below 2^53) */
const u64n = (h: Uint32Array, i: number): number => h[2 * i + 1]! * 4294967296 + h[2 * i]!;

function isFlowRow(state: number, dport: number): boolean {
  return dport !== 0 && state !== TCP_LISTEN && state !== TCP_TIME_WAIT && state !== TCP_NEW_SYN_RECV;
}

/** The tcp_info extras of a poll or destroy batch (flow.ts InfoExtra), read per row without allocating. */
function extraColumns(b: ColumnBatch): { apply(f: Flow, i: number, final: boolean): void } {
  const minRtt = b.u32('tcpi_min_rtt'),
    lost = b.u32('tcpi_lost'),
    reord = b.u32('tcpi_reord_seen');
  const busy = halves(b, 'tcpi_busy_time'),
    rwnd = halves(b, 'tcpi_rwnd_limited'),
    sndbuf = halves(b, 'tcpi_sndbuf_limited'),
    sent = halves(b, 'tcpi_bytes_sent'),
    retrans = halves(b, 'tcpi_bytes_retrans');
  return {
    apply: (f, i, final) =>
      f.info(final, minRtt[i]!, u64n(busy, i), u64n(rwnd, i), u64n(sndbuf, i), lost[i]!, reord[i]!, u64n(sent, i), u64n(retrans, i)),
  };
}

function countersOf(b: ColumnBatch, i: number): Counters {
  return {
    ts_ns: b.u64('ts_ns')[i]!,
    tcpi_bytes_acked: b.u64('tcpi_bytes_acked')[i]!,
    tcpi_bytes_received: b.u64('tcpi_bytes_received')[i]!,
    tcpi_segs_in: b.u32('tcpi_segs_in')[i]!,
    tcpi_segs_out: b.u32('tcpi_segs_out')[i]!,
    tcpi_total_retrans: b.u32('tcpi_total_retrans')[i]!,
    tcpi_rtt: b.u32('tcpi_rtt')[i]!,
  };
}
