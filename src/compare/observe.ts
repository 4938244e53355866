// What a view saw of one socket over a run, folded as rows arrive: first and
// last sighting and the counters of the last one. Views hand their column
// batches here by column name (poll, destroy, events and samples batches name
// the same things alike), so every view is joined to flows the same way.
import type { ColumnBatch } from '../layout/batch';
import { formatAddress } from '../format/address';

export interface SockObs {
  netns_inode: number;
  /** idiag_cookie as decimal text; "0" when the view has none */
  cookie: string;
  family: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** wall ns of the first and last sighting (decimal text) */
  first_ns: string;
  last_ns: string;
  sightings: number;
  /** TCP state and counters at the last sighting; bytes -1 = the view has no byte counters */
  state: number;
  bytes_acked: number;
  bytes_received: number;
  /** payload sent, retransmissions excluded (tcpi_bytes_sent - tcpi_bytes_retrans); -1 = not in this view's columns */
  payload_sent: number;
  /** the last counters are the close-time ones (destroy, events' close) */
  final: boolean;
  /** the view saw a passive open (accept side): its bytes_acked lacks the SYN */
  passive: boolean;
}

// Not a flow's socket: listeners, time-wait and request minisockets (a
// time-wait socket lingers 60 s and would make every poll "see" every flow).
const NOT_FLOW_STATES = new Set([6 /* TIME_WAIT */, 10 /* LISTEN */, 12 /* NEW_SYN_RECV */, 3 /* SYN_RECV */]);

/** TCPF_* mask of the states a flow's own socket passes through: what the poll view asks the kernel for. */
export const FLOW_STATES_MASK = [1, 2, 4, 5, 7, 8, 9, 11].reduce((m, s) => m | (1 << s), 0);

export interface BatchReadOptions {
  /** the column holding the TCP state: idiag_state (poll, destroy), newstate (events) */
  stateColumn?: string;
  final?: boolean | ((row: number) => boolean);
  /** rows to skip (e.g. events that are not about a flow) */
  skip?: (row: number) => boolean;
  /** rows that say the socket was opened passively */
  passive?: (row: number) => boolean;
}

export class ObsTable {
  readonly socks = new Map<string, SockObs>();
  /** rows seen and rows that were not a flow's socket */
  rows = 0;
  ignored = 0;

  observeBatch(b: ColumnBatch, opts: BatchReadOptions = {}): void {
    const has = (n: string): boolean => n in b.views;
    const ts = b.u64('ts_ns'),
      cookie = b.u64('idiag_cookie'),
      ns = b.u64('netns_inode');
    const fam = b.u8('idiag_family'),
      sport = b.u16('sport'),
      dport = b.u16('dport');
    const stateCol = opts.stateColumn ?? 'idiag_state';
    const state = has(stateCol) ? b.u8(stateCol) : null;
    // tcp_info's own state is read next to its counters (idiag_state earlier,
    // outside the socket lock): the FIN corrections below need that one.
    const infoState = stateCol === 'idiag_state' && has('tcpi_state') ? b.u8('tcpi_state') : null;
    const acked = has('tcpi_bytes_acked') ? b.u64('tcpi_bytes_acked') : null;
    const rcvd = has('tcpi_bytes_received') ? b.u64('tcpi_bytes_received') : null;
    const sent = has('tcpi_bytes_sent') && has('tcpi_bytes_retrans') ? b.u64('tcpi_bytes_sent') : null;
    const retrans = sent ? b.u64('tcpi_bytes_retrans') : null;
    for (let i = 0; i < b.rows; i++) {
      this.rows++;
      const st = state ? state[i]! : 0;
      if (sport[i] === 0 || dport[i] === 0 || NOT_FLOW_STATES.has(st) || opts.skip?.(i)) {
        this.ignored++;
        continue;
      }
      // No cookie (classic tracepoint fallback): the 4-tuple is the key.
      const key =
        cookie[i] !== 0n
          ? `${ns[i]}:${cookie[i]}`
          : `${ns[i]}:${sport[i]}:${dport[i]}:${Buffer.from(b.b16('src', i)).toString('hex')}:${Buffer.from(b.b16('dst', i)).toString('hex')}`;
      const t = ts[i]!.toString();
      let o = this.socks.get(key);
      if (!o) {
        const f = fam[i]!;
        o = {
          netns_inode: Number(ns[i]),
          cookie: cookie[i]!.toString(),
          family: f === 10 ? 6 : 4,
          src: formatAddress(f, b.b16('src', i)),
          sport: sport[i]!,
          dst: formatAddress(f, b.b16('dst', i)),
          dport: dport[i]!,
          first_ns: t,
          last_ns: t,
          sightings: 0,
          state: st,
          bytes_acked: -1,
          bytes_received: -1,
          payload_sent: -1,
          final: false,
          passive: false,
        };
        this.socks.set(key, o);
      }
      o.sightings++;
      if (opts.passive?.(i)) o.passive = true;
      if (BigInt(t) < BigInt(o.first_ns)) o.first_ns = t;
      if (BigInt(t) >= BigInt(o.last_ns)) {
        o.last_ns = t;
        o.state = infoState && infoState[i] ? infoState[i]! : st;
        if (acked && rcvd) {
          o.bytes_acked = Number(acked[i]);
          o.bytes_received = Number(rcvd[i]);
        }
        if (sent && retrans) o.payload_sent = Number(sent[i]! - retrans[i]!);
        o.final = typeof opts.final === 'function' ? opts.final(i) : opts.final === true;
      }
    }
  }
}

// Sequence space counts SYN and FIN: bytes_received includes the peer's FIN;
// bytes_acked includes our FIN once acked, and our SYN on the active side only
// (measured: a closed client shows data + 2 acked, its server data + 1; see
// also test/sources/destroy.test.ts). tcpi_bytes_sent counts payload only, so
// it is used when the view has it; events fall back to bytes_acked and the
// open kind they saw.
const FIN_ACKED = new Set([5 /* FIN_WAIT2 */, 6 /* TIME_WAIT */, 7 /* CLOSE */]);
const FIN_RECEIVED = new Set([6, 7, 8 /* CLOSE_WAIT */, 9 /* LAST_ACK */, 11 /* CLOSING */]);

/** Payload bytes the socket had sent and received at its last sighting; null without counters. */
export function payloadOf(o: SockObs): { sent: number; received: number } | null {
  if (o.bytes_acked < 0) return null;
  const synAcked = o.state === 2 /* SYN_SENT */ || o.passive ? 0 : 1;
  return {
    sent: o.payload_sent >= 0 ? o.payload_sent : Math.max(0, o.bytes_acked - synAcked - (FIN_ACKED.has(o.state) ? 1 : 0)),
    received: Math.max(0, o.bytes_received - (FIN_RECEIVED.has(o.state) ? 1 : 0)),
  };
}
