// One flow's state while it is in the table: what each view said of it and
// when. Turned into a FlowRow (flow_row.ts) once it is finished.
import { HANDSHAKE_DONE, HANDSHAKE_FAILED, HANDSHAKE_UNKNOWN, type CloseReason, type FinalSource, type FlowRow } from './flow_row';
import type { HealthRef } from './health';

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

/** Counter change between two polls. Numbers: bytes are exact below 2^53
 * (8 PiB), ns since the epoch to ~256 ns, plenty for rates. */
export interface Delta {
  /** ns between the two polls */
  dt_ns: number;
  bytes_acked: number;
  bytes_received: number;
  retrans: number;
}

/** Bit 63 marks the key of a flow no cookie has named yet (cookieless events):
 * kernel cookies count up from 1 and never reach it. Never written out. */
export const SYNTHETIC_COOKIE = 1n << 63n;

/** Final-counter precedence: a later source never overrides a better one. */
const RANK: Record<FinalSource, number> = { none: 0, poll: 1, destroy: 2, events: 3 };

export class Flow {
  views = 0;
  first_seen_ns = 0n;
  last_seen_ns = 0n;
  open_ns = 0n;
  close_ns = 0n;
  /** lifetime reported by the kernel at close (events), else 0n */
  lifetime_ns = 0n;
  first_poll_ns = 0n;
  polls = 0;
  /** The last two polls, kept as numbers: a poll of every socket every cycle
   * updates them in place, where BigInts would allocate (and promote) ~10
   * heap objects per socket per cycle. lastTs is the exact poll time. */
  lastTs = 0n;
  private lt = 0;
  private la = 0;
  private lr = 0;
  private lsi = 0;
  private lso = 0;
  private lre = 0;
  private lrtt = 0;
  private pt = 0;
  private pa = 0;
  private pr = 0;
  private pre = 0;
  final: Counters | null = null;
  finalSource: FinalSource = 'none';
  direction = 0;
  retransmitEvents = 0;
  resetEvents = 0;
  pid = 0;
  tgid = 0;
  comm = '';
  cgroup_id = 0n;
  /** highest rate (bytes/s) and most retransmits between two consecutive polls */
  peakBytesPerS = 0;
  peakRetrans = 0;
  /** the namespace's poll cycle that last saw the flow (close by absence) */
  cycle = 0;
  /** TCP state at the last poll */
  state = 0;
  /** socket inode (poll, destroy): joins the task_file owner map */
  inode = 0;
  /** set when a close was seen (event, destroy, or absence from a poll) */
  closed = false;
  /** when the flow may leave the table (closed_at + grace), monotonic ms */
  finalizeAtMs = 0;
  /** a view saw it in a state past the handshake (ESTABLISHED or later) */
  established = false;
  /** the state the close event says it left; 0 = no close event */
  closeState = 0;
  resetsReceived = 0;
  resetsSent = 0;
  /** the latest tcp_info extras (destroy's final record wins over polls) */
  readonly extra: InfoExtra = {
    minRtt: 0,
    busy: 0,
    rwndLimited: 0,
    sndbufLimited: 0,
    lost: 0,
    reordSeen: 0,
    bytesSent: 0,
    bytesRetrans: 0,
  };
  private extraFinal = false;
  /** Health metrics (health.ts): the flow's buckets (null: to resolve again,
   * its side or owner changed), whether it was counted as opened, its side
   * when events alone tell (1 client: closed in SYN_SENT), whether the peer
   * reset it, and the counters as far as they were counted. */
  health: HealthRef | null = null;
  healthOpened = false;
  sideHint = 0;
  gotReset = false;
  hso = 0;
  hsi = 0;
  hba = 0;
  hbr = 0;
  hre = 0;

  constructor(
    readonly netns_inode: bigint,
    /** the table's key: the socket cookie, or a synthetic one until the cookie arrives */
    public idiag_cookie: bigint,
    readonly idiag_family: number,
    readonly src: string,
    readonly sport: number,
    readonly dst: string,
    readonly dport: number,
  ) {}

  seen(view: number, ts: bigint): void {
    this.views |= view;
    if (this.first_seen_ns === 0n || ts < this.first_seen_ns) this.first_seen_ns = ts;
    if (ts > this.last_seen_ns) this.last_seen_ns = ts;
  }

  /** A poll's counters; returns whether they moved since the previous poll.
   * `ts` is the exact time (shared by a batch's rows), `tsNum` the same as a number. */
  poll(ts: bigint, tsNum: number, acked: number, received: number, segsIn: number, segsOut: number, retrans: number, rtt: number): boolean {
    const first = this.polls === 0;
    if (first) this.first_poll_ns = ts;
    this.polls++;
    const moved = first || this.la !== acked || this.lr !== received || this.lsi !== segsIn || this.lso !== segsOut || this.lre !== retrans;
    this.pt = this.lt;
    this.pa = this.la;
    this.pr = this.lr;
    this.pre = this.lre;
    this.lastTs = ts;
    this.lt = tsNum;
    this.la = acked;
    this.lr = received;
    this.lsi = segsIn;
    this.lso = segsOut;
    this.lre = retrans;
    this.lrtt = rtt;
    const dt = tsNum - this.pt;
    if (!first && dt > 0) {
      const bps = Math.floor(((acked - this.pa + (received - this.pr)) * 1e9) / dt);
      if (bps > this.peakBytesPerS) this.peakBytesPerS = bps;
      if (retrans - this.pre > this.peakRetrans) this.peakRetrans = retrans - this.pre;
    }
    return moved;
  }

  /** Counter change between the last two polls, null before the second. */
  delta(): Delta | null {
    if (this.polls < 2) return null;
    return { dt_ns: this.lt - this.pt, bytes_acked: this.la - this.pa, bytes_received: this.lr - this.pr, retrans: this.lre - this.pre };
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
    if (RANK[src] < RANK[this.finalSource]) return;
    this.final = { ...c };
    this.finalSource = src;
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
    if (this.extraFinal && !final) return;
    this.extraFinal = final;
    const x = this.extra;
    x.minRtt = minRtt === 0xffffffff ? 0 : minRtt; // ~0U: no RTT sample yet
    x.busy = busy;
    x.rwndLimited = rwnd;
    x.sndbufLimited = sndbuf;
    x.lost = lost;
    x.reordSeen = reord;
    x.bytesSent = sent;
    x.bytesRetrans = retrans;
  }

  /** a state a view saw the socket in (poll) or move to (events) */
  sawState(state: number): void {
    if (PAST_HANDSHAKE.has(state)) this.established = true;
    else if (state === SYN_SENT && this.direction === 0) this.direction = 1;
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
    this.pid = pid;
    this.tgid = tgid;
    if ((comm && comm !== this.comm) || (cgroup && cgroup !== this.cgroup_id)) this.health = null;
    if (comm) this.comm = comm;
    if (cgroup) this.cgroup_id = cgroup;
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
      tcpi_min_rtt: this.extra.minRtt,
      tcpi_busy_time: BigInt(this.extra.busy),
      tcpi_rwnd_limited: BigInt(this.extra.rwndLimited),
      tcpi_sndbuf_limited: BigInt(this.extra.sndbufLimited),
      tcpi_lost: this.extra.lost,
      tcpi_reord_seen: this.extra.reordSeen,
      tcpi_bytes_sent: BigInt(this.extra.bytesSent),
      tcpi_bytes_retrans: BigInt(this.extra.bytesRetrans),
    };
  }
}
