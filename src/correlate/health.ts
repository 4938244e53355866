// TCP health of the host, as the views saw it: per side (client, server),
// segments and bytes sent, received and retransmitted, resets, connects by
// outcome, accepts, flows opened and closed, RTT histograms, and the
// operator's opt-in breakdowns (health_groups.ts) under a hard series cap.
// Fed by the flow table where it already touches a flow (a poll that moved
// its counters, an event, its finish): a few additions into the flow's
// cached buckets, no lookup per poll. Read at scrape time (src/metrics/health.ts).
//
// Counters are what each flow's counters moved since tcplens last counted
// them; at its finish, up to the final counters written to tcp_flows. So over
// flows that finished, a counter equals the sum of the tcp_flows column.
import { CumulativeHistogram } from '../metrics/histogram';
import type { FlowRow } from './flow_row';
import type { Flow } from './flow';
import { PEER_OTHER, type HealthBreakdown, type HealthDimension } from './health_groups';

const TCP_SYN_SENT = 2,
  TCP_SYN_RECV = 3;

/** index of a side; NONE: resets answering a packet no socket owns */
export const SIDE = { CLIENT: 0, SERVER: 1, UNKNOWN: 2, NONE: 3 } as const;
export type Side = (typeof SIDE)[keyof typeof SIDE];
export const SIDES = ['client', 'server', 'unknown', 'none'] as const;
/** the sides a flow can have (NONE has resets only) */
export const FLOW_SIDES = 3;

/** index of a counter in a bucket */
export const HC = {
  SEGS_OUT: 0,
  SEGS_IN: 1,
  BYTES_SENT: 2,
  BYTES_RECEIVED: 3,
  RETRANS: 4,
  RESETS_SENT: 5,
  RESETS_RECEIVED: 6,
  CONNECT_ESTABLISHED: 7,
  CONNECT_REFUSED: 8,
  CONNECT_TIMED_OUT: 9,
  ACCEPTS: 10,
  OPENED: 11,
  CLOSED: 12,
} as const;
const NC = 13;

/** RTT buckets, seconds: loopback (~20 us) to a bad intercontinental path */
export const RTT_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** One label set of a breakdown (by, name, side) and its counters. */
export interface HealthGroup {
  by: HealthDimension;
  name: string;
  side: Side;
  c: Float64Array;
  /** its place in HealthAccounts.groups */
  id: number;
}

/** Series one breakdown label set adds (src/metrics/health.ts exports that
 * many per group; a test checks it): the cap is counted in series. */
export const GROUP_SERIES = 11;

/** addresses whose peer name is kept at most */
const PEER_CACHE = 16384;
/** shared HealthRefs kept at most (one per side and combination of groups in use) */
const REF_CACHE = 16384;

/** A flow's buckets, cached on the flow until its side or owner changes. */
export interface HealthRef {
  side: Side;
  buckets: Float64Array[];
}

/** The parts of a flow the side decision needs, from the flow table. */
export type SideOf = (f: Flow) => Side;

export class HealthAccounts {
  readonly totals: Float64Array[] = SIDES.map(() => new Float64Array(NC));
  readonly rtt = Array.from({ length: FLOW_SIDES }, () => new CumulativeHistogram(RTT_BUCKETS));
  readonly minRtt = Array.from({ length: FLOW_SIDES }, () => new CumulativeHistogram(RTT_BUCKETS));
  /** every breakdown group, in creation order; and by dimension, name and side (no key string per flow) */
  readonly groups: HealthGroup[] = [];
  private readonly groupOf = new Map<HealthDimension, Map<string, Array<HealthGroup | undefined>>>();
  /** peer names of the addresses seen lately (a CIDR match per flow costs more than the rest of its counting) */
  private readonly peerOf = new Map<string, string>();
  private readonly sideRefs: HealthRef[] = this.totals.map((c, side) => ({ side: side as Side, buckets: [c] }));
  private readonly refs = new Map<string, HealthRef>();
  /** flows (resolutions of a flow's groups) left out of a breakdown by the series cap */
  readonly overflow = new Map<HealthDimension, number>();
  /** listeners at the latest poll of each namespace, and those whose accept queue was full */
  private readonly listenNow = new Map<bigint, { listeners: number; full: number }>();
  listenFullTotal = 0;
  private readonly maxGroups: number;

  constructor(
    readonly breakdown: HealthBreakdown = { dimensions: [], peers: null, maxSeries: 0 },
    private sideOf: SideOf = () => SIDE.UNKNOWN,
  ) {
    this.maxGroups = Math.floor(breakdown.maxSeries / GROUP_SERIES);
    for (const d of breakdown.dimensions) this.overflow.set(d, 0);
  }

  /** the flow table's side decision (it knows the listening ports) */
  setSideOf(f: SideOf): void {
    this.sideOf = f;
  }

  /** A poll whose counters moved: what moved since the flow's previous poll
   * (the deltas; a counter lower than before adds nothing), and an RTT sample. */
  poll(f: Flow, dsi: number, dso: number, dba: number, dbr: number, dre: number, rttUs: number, minRttUs: number): void {
    const r = this.traffic(f, dsi, dso, dba, dbr, dre);
    if (r.side < FLOW_SIDES) {
      if (rttUs > 0) this.rtt[r.side]!.observe(rttUs / 1e6);
      if (minRttUs > 0) this.minRtt[r.side]!.observe(minRttUs / 1e6);
    }
  }

  /** A flow leaves the table as `row` (its tcp_flows row): the rest of its
   * counters, from its last poll (counted already) to the final ones. */
  finish(f: Flow, row: FlowRow): void {
    const r = this.traffic(
      f,
      row.tcpi_segs_in - f.lsi,
      row.tcpi_segs_out - f.lso,
      Number(row.tcpi_bytes_acked) - f.la,
      Number(row.tcpi_bytes_received) - f.lr,
      row.tcpi_total_retrans - f.lre,
    );
    if (!row.evicted) add(r, HC.CLOSED, 1);
    // a flow no poll saw has one RTT: its last
    if (f.polls === 0 && row.tcpi_rtt > 0 && r.side < FLOW_SIDES) this.rtt[r.side]!.observe(row.tcpi_rtt / 1e6);
  }

  /** An active open that completed (SYN_SENT -> ESTABLISHED). */
  connected(f: Flow): void {
    add(this.opened(f), HC.CONNECT_ESTABLISHED, 1);
  }

  /** A close from SYN_SENT: refused when the peer reset it, timed out (or failed) otherwise. */
  connectFailed(f: Flow): void {
    if (f.sideHint !== 1 && !f.direction) {
      f.sideHint = 1;
      f.health = null;
    }
    add(this.opened(f), f.gotReset ? HC.CONNECT_REFUSED : HC.CONNECT_TIMED_OUT, 1);
  }

  /** A passive open that completed (SYN_RECV -> ESTABLISHED). */
  accepted(f: Flow): void {
    add(this.opened(f), HC.ACCEPTS, 1);
  }

  /** A reset on flow f, whose socket was in `state` then (SYN_SENT: a client's, SYN_RECV: a server's). */
  reset(f: Flow, sent: boolean, state: number): void {
    if (!sent) f.gotReset = true;
    const hint = state === TCP_SYN_SENT ? 1 : state === TCP_SYN_RECV ? 2 : 0;
    if (hint && !f.direction && f.sideHint !== hint) {
      f.sideHint = hint;
      f.health = null;
    }
    add(this.opened(f), sent ? HC.RESETS_SENT : HC.RESETS_RECEIVED, 1);
  }

  /** A reset answering a packet no socket owns (a SYN to a closed port...). */
  orphanReset(): void {
    this.totals[SIDE.NONE]![HC.RESETS_SENT]!++;
  }

  /** The listeners one poll cycle of namespace ns saw, and how many had a full accept queue. */
  listenCycle(ns: bigint, listeners: number, full: number): void {
    this.listenNow.set(ns, { listeners, full });
    this.listenFullTotal += full;
  }

  forgetNamespace(ns: bigint): void {
    this.listenNow.delete(ns);
  }

  listening(): { listeners: number; full: number } {
    let listeners = 0,
      full = 0;
    for (const l of this.listenNow.values()) {
      listeners += l.listeners;
      full += l.full;
    }
    return { listeners, full };
  }

  /** series the breakdowns export now */
  groupSeries(): number {
    return this.groups.length * GROUP_SERIES;
  }

  /** Adds what moved (deltas; a negative one, a counter reported lower than
   * the poll before, adds nothing) into the flow's buckets. */
  private traffic(f: Flow, dsi: number, dso: number, dba: number, dbr: number, dre: number): HealthRef {
    const r = this.opened(f);
    for (const c of r.buckets) {
      if (dso > 0) c[HC.SEGS_OUT]! += dso;
      if (dsi > 0) c[HC.SEGS_IN]! += dsi;
      if (dba > 0) c[HC.BYTES_SENT]! += dba;
      if (dbr > 0) c[HC.BYTES_RECEIVED]! += dbr;
      if (dre > 0) c[HC.RETRANS]! += dre;
    }
    return r;
  }

  /** The flow's buckets; the first time a flow is counted, it is opened. */
  private opened(f: Flow): HealthRef {
    const r = (f.health ??= this.resolve(f));
    if (!f.healthOpened) {
      f.healthOpened = true;
      add(r, HC.OPENED, 1);
    }
    return r;
  }

  /** Flows with the same buckets share one HealthRef (no object per flow):
   * per side without breakdowns, per side and groups with them. */
  private resolve(f: Flow): HealthRef {
    const side = this.sideOf(f);
    if (!this.breakdown.dimensions.length) return this.sideRefs[side]!;
    const buckets = [this.totals[side]!];
    let key = `${side}`;
    for (const by of this.breakdown.dimensions) {
      const name = this.nameOf(f, by, side);
      if (name === null) continue;
      let names = this.groupOf.get(by);
      if (!names) this.groupOf.set(by, (names = new Map()));
      let sides = names.get(name);
      let g = sides?.[side];
      if (!g) {
        if (this.groups.length >= this.maxGroups) {
          this.overflow.set(by, (this.overflow.get(by) ?? 0) + 1);
          continue;
        }
        g = { by, name, side, c: new Float64Array(NC), id: this.groups.length };
        this.groups.push(g);
        if (!sides) names.set(name, (sides = []));
        sides[side] = g;
      }
      buckets.push(g.c);
      key += `,${g.id}`;
    }
    let r = this.refs.get(key);
    if (!r) {
      if (this.refs.size >= REF_CACHE) this.refs.clear();
      this.refs.set(key, (r = { side, buckets }));
    }
    return r;
  }

  private nameOf(f: Flow, by: HealthDimension, side: Side): string | null {
    switch (by) {
      case 'port':
        // the local listening port: a server-side flow's own port
        return side === SIDE.SERVER ? String(f.sport) : null;
      case 'comm':
        return f.comm || 'unknown';
      case 'cgroup':
        return f.cgroup_id ? String(f.cgroup_id) : 'unknown';
      case 'peer': {
        let p = this.peerOf.get(f.dst);
        if (p === undefined) {
          p = this.breakdown.peers?.nameOf(f.dst) ?? PEER_OTHER;
          if (this.peerOf.size >= PEER_CACHE) this.peerOf.clear();
          this.peerOf.set(f.dst, p);
        }
        return p;
      }
    }
  }
}

function add(r: HealthRef, k: number, n: number): void {
  for (const c of r.buckets) c[k]! += n;
}
