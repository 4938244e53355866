// Joining what each view saw to the flows that really happened. Against a
// loadgen's ground truth a flow is a connection, matched on netns inode +
// 4-tuple (either direction: client or server socket) + time; without one,
// a flow is a socket (netns inode + cookie) seen by any view, and the
// reference counters are the final ones (destroy or events).
import type { TruthFlow } from '../loadgen/truth';
import { payloadOf, type SockObs } from './observe';
import type { ViewOutcome } from './runner';

export interface RefFlow {
  id: number;
  netns_inode: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  start_ns: bigint;
  /** null: still open at the end, or no view saw it close */
  end_ns: bigint | null;
  /** payload both ways; null = unknown */
  bytes: number | null;
}

/** What one view knew about one flow. */
export interface FlowSight {
  first_ns: bigint;
  last_ns: bigint;
  /** payload both ways at the last sighting; null = the view has no counters */
  bytes: number | null;
  /** the view reported the flow's close-time counters */
  final: boolean;
}

const tupleKey = (ns: number, src: string, sport: number, dst: string, dport: number): string => `${ns}|${src}|${sport}|${dst}|${dport}`;
const cookieKey = (o: SockObs): string =>
  o.cookie !== '0' ? `${o.netns_inode}|c${o.cookie}` : tupleKey(o.netns_inode, o.src, o.sport, o.dst, o.dport);

/** Slack around a flow's life within which a sighting still belongs to it (ports are reused). */
const SLACK_NS = 2_000_000_000n;

export interface Joined {
  flows: RefFlow[];
  /** per outcome (same order as given): flow index -> sight */
  sights: Array<Map<number, FlowSight>>;
  /** per outcome: sockets that matched no flow */
  unmatched: number[];
  /** where flow lifetimes for the prediction come from */
  lifetimes_source: string;
}

function merge(map: Map<number, FlowSight>, idx: number, o: SockObs, bytes: number | null): void {
  const s = map.get(idx);
  const first = BigInt(o.first_ns),
    last = BigInt(o.last_ns);
  if (!s) {
    map.set(idx, { first_ns: first, last_ns: last, bytes, final: o.final });
    return;
  }
  if (first < s.first_ns) s.first_ns = first;
  if (last > s.last_ns) s.last_ns = last;
  s.final ||= o.final;
  if (bytes !== null && (s.bytes === null || bytes > s.bytes)) s.bytes = bytes;
}

/** The flow whose life is closest to the sightings [first, last]: loopback
 * reuses a 4-tuple out of TIME_WAIT (tcp_tw_reuse=2), so one 4-tuple may
 * name several flows of a run. */
function nearest(flows: readonly RefFlow[], cands: readonly number[], first: bigint, last: bigint): number | undefined {
  let best: number | undefined,
    bestGap = SLACK_NS + 1n;
  for (const i of cands) {
    const f = flows[i]!;
    const end = f.end_ns ?? last;
    const gap = f.start_ns > last ? f.start_ns - last : first > end ? first - end : 0n;
    if (gap < bestGap) {
      best = i;
      bestGap = gap;
    }
  }
  return best;
}

export function joinTruth(truth: readonly TruthFlow[], outcomes: readonly ViewOutcome[]): Joined {
  const flows: RefFlow[] = truth.map((t) => ({
    id: t.id,
    netns_inode: t.netns_inode,
    src: t.src,
    sport: t.sport,
    dst: t.dst,
    dport: t.dport,
    start_ns: BigInt(t.start_ns),
    end_ns: t.end_ns !== '0' ? BigInt(t.end_ns) : null,
    bytes: t.up + t.down,
  }));
  const byKey = new Map<string, number[]>();
  const add = (k: string, i: number): void => {
    const l = byKey.get(k);
    if (l) l.push(i);
    else byKey.set(k, [i]);
  };
  flows.forEach((f, i) => {
    add(tupleKey(f.netns_inode, f.src, f.sport, f.dst, f.dport), i);
    add(tupleKey(f.netns_inode, f.dst, f.dport, f.src, f.sport), i);
  });
  const sights = outcomes.map(() => new Map<number, FlowSight>());
  const unmatched = outcomes.map(() => 0);
  outcomes.forEach((out, v) => {
    for (const o of out.socks) {
      const idx = nearest(
        flows,
        byKey.get(tupleKey(o.netns_inode, o.src, o.sport, o.dst, o.dport)) ?? [],
        BigInt(o.first_ns),
        BigInt(o.last_ns),
      );
      if (idx === undefined) {
        unmatched[v]!++;
        continue;
      }
      const p = payloadOf(o);
      merge(sights[v]!, idx, o, p ? p.sent + p.received : null);
    }
  });
  return { flows, sights, unmatched, lifetimes_source: 'loadgen ground truth' };
}

/** Without ground truth: every socket any view saw (in the namespaces we
 * watched) is a flow; start = earliest sighting, end and bytes from a final record. */
export function joinUnion(outcomes: readonly ViewOutcome[], namespaces: ReadonlySet<number> | null): Joined {
  const index = new Map<string, number>();
  const flows: RefFlow[] = [];
  const sights = outcomes.map(() => new Map<number, FlowSight>());
  const unmatched = outcomes.map(() => 0);
  const eventsSawOpens = outcomes.some((o) => o.view === 'events' && o.result);
  outcomes.forEach((out, v) => {
    for (const o of out.socks) {
      if (namespaces && !namespaces.has(o.netns_inode)) {
        unmatched[v]!++;
        continue;
      }
      const k = cookieKey(o);
      let idx = index.get(k);
      if (idx === undefined) {
        idx = flows.length;
        index.set(k, idx);
        flows.push({
          id: idx,
          netns_inode: o.netns_inode,
          src: o.src,
          sport: o.sport,
          dst: o.dst,
          dport: o.dport,
          start_ns: BigInt(o.first_ns),
          end_ns: null,
          bytes: null,
        });
      }
      const f = flows[idx]!;
      const first = BigInt(o.first_ns);
      if (first < f.start_ns) f.start_ns = first;
      const p = payloadOf(o);
      const bytes = p ? p.sent + p.received : null;
      if (o.final) {
        f.end_ns = BigInt(o.last_ns);
        if (bytes !== null) f.bytes = bytes;
      }
      merge(sights[v]!, idx, o, bytes);
    }
  });
  return {
    flows,
    sights,
    unmatched,
    lifetimes_source: eventsSawOpens
      ? 'events (open to close)'
      : 'first sighting by any view to close (a lower bound: flows no view saw open are shorter than they were)',
  };
}

/** Lifetimes (ms) of flows whose open and close are both known. */
export function lifetimesMs(j: Joined): number[] {
  const out: number[] = [];
  for (const f of j.flows) if (f.end_ns !== null) out.push(Number(f.end_ns - f.start_ns) / 1e6);
  return out;
}
