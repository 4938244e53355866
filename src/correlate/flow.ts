// One flow's state while it is in the table: what each view said of it and
// when. Turned into a FlowRow (flow_row.ts) once it is finished.
import { type FinalSource, type FlowRow } from './flow_row';

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

/** What a poll of the flow gives besides counters. */
export interface Delta {
  /** ns between the two polls */
  dt_ns: bigint;
  bytes_acked: bigint;
  bytes_received: bigint;
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
  /** the last two polls: deltas between consecutive snapshots */
  lastPoll: Counters | null = null;
  prevPoll: Counters | null = null;
  final: Counters | null = null;
  finalSource: FinalSource = 'none';
  direction = 0;
  retransmitEvents = 0;
  resetEvents = 0;
  pid = 0;
  tgid = 0;
  comm = '';
  cgroup_id = 0n;
  /** highest rate and most retransmits between two consecutive polls */
  peakBytesPerS = 0n;
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
   * The two counter records are swapped and refilled, not reallocated. */
  poll(ts: bigint, acked: bigint, received: bigint, segsIn: number, segsOut: number, retrans: number, rtt: number): boolean {
    if (this.polls === 0) this.first_poll_ns = ts;
    this.polls++;
    const c = this.prevPoll ?? ({} as Counters);
    this.prevPoll = this.lastPoll;
    this.lastPoll = c;
    c.ts_ns = ts; c.tcpi_bytes_acked = acked; c.tcpi_bytes_received = received;
    c.tcpi_segs_in = segsIn; c.tcpi_segs_out = segsOut; c.tcpi_total_retrans = retrans; c.tcpi_rtt = rtt;
    const p = this.prevPoll;
    const moved = !p || p.tcpi_bytes_acked !== acked || p.tcpi_bytes_received !== received ||
      p.tcpi_segs_in !== segsIn || p.tcpi_segs_out !== segsOut || p.tcpi_total_retrans !== retrans;
    const d = this.delta();
    if (d && d.dt_ns > 0n) {
      const bps = ((d.bytes_acked + d.bytes_received) * 1_000_000_000n) / d.dt_ns;
      if (bps > this.peakBytesPerS) this.peakBytesPerS = bps;
      if (d.retrans > this.peakRetrans) this.peakRetrans = d.retrans;
    }
    return moved;
  }

  /** Counter change between the last two polls, null before the second. */
  delta(): Delta | null {
    const a = this.prevPoll, b = this.lastPoll;
    if (!a || !b) return null;
    return {
      dt_ns: b.ts_ns - a.ts_ns,
      bytes_acked: b.tcpi_bytes_acked - a.tcpi_bytes_acked,
      bytes_received: b.tcpi_bytes_received - a.tcpi_bytes_received,
      retrans: b.tcpi_total_retrans - a.tcpi_total_retrans,
    };
  }

  /** Offers final counters; kept only when the source ranks at least as high.
   * The record is copied: a poll reuses its own. */
  offerFinal(src: FinalSource, c: Counters): void {
    if (RANK[src] < RANK[this.finalSource]) return;
    this.final = { ...c };
    this.finalSource = src;
  }

  owner(pid: number, tgid: number, comm: string, cgroup: bigint): void {
    this.pid = pid;
    this.tgid = tgid;
    if (comm) this.comm = comm;
    if (cgroup) this.cgroup_id = cgroup;
  }

  toRow(evicted: boolean): FlowRow {
    const f = this.final ?? this.lastPoll;
    const src: FinalSource = this.final ? this.finalSource : this.lastPoll ? 'poll' : 'none';
    const total = (c: Counters | null): bigint => (c ? c.tcpi_bytes_acked + c.tcpi_bytes_received : 0n);
    const unpolled = total(f) - total(this.lastPoll);
    const duration = this.lifetime_ns > 0n ? this.lifetime_ns
      : this.open_ns > 0n && this.close_ns > this.open_ns ? this.close_ns - this.open_ns : 0n;
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
      last_poll_ns: this.lastPoll?.ts_ns ?? 0n,
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
      peak_bytes_per_s: this.peakBytesPerS,
      peak_retrans: this.peakRetrans,
      retransmit_events: this.retransmitEvents,
      reset_events: this.resetEvents,
      pid: this.pid,
      tgid: this.tgid,
      comm: this.comm,
      cgroup_id: this.cgroup_id,
      evicted: evicted ? 1 : 0,
    };
  }
}
