// One finished (or evicted) flow as written to ClickHouse's tcp_flows table
// and the spool: the contract between correlation (src/correlate/) and the
// sinks (src/sinks/). Addresses are text (ClickHouse 18.16 has no IPv6
// type we can rely on in every table); u64 counters are bigint.

/** Bits of FlowRow.views: which views saw the flow. */
export const VIEW_POLL = 1;
export const VIEW_DESTROY = 2;
export const VIEW_EVENTS = 4;
export const VIEW_SAMPLES = 8;

/** Where the final counters came from (best available: events > destroy > poll). */
export type FinalSource = 'events' | 'destroy' | 'poll' | 'none';

export interface FlowRow {
  netns_inode: bigint;
  idiag_cookie: bigint;
  idiag_family: number; // AF_INET (2) or AF_INET6 (10)
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** VIEW_* bits */
  views: number;
  /** wall ns since the epoch; 0n = unknown */
  open_ns: bigint;
  close_ns: bigint;
  first_seen_ns: bigint;
  last_seen_ns: bigint;
  first_poll_ns: bigint;
  last_poll_ns: bigint;
  polls: number;
  /** close_ns - open_ns when both are known, else 0n */
  duration_ns: bigint;
  final_source: FinalSource;
  /** 1 = active open (connect), 2 = passive (accept), 0 = unknown */
  direction: number;
  tcpi_bytes_acked: bigint;
  tcpi_bytes_received: bigint;
  tcpi_segs_in: number;
  tcpi_segs_out: number;
  tcpi_total_retrans: number;
  tcpi_rtt: number; // µs
  /** bytes moved after the last poll saw the flow (final - last poll); all of them when no poll saw it */
  bytes_unpolled: bigint;
  /** from the deltas between consecutive polls: the highest rate (bytes acked +
   * received per second) and the most retransmits in one interval; 0 before a second poll */
  peak_bytes_per_s: bigint;
  peak_retrans: number;
  retransmit_events: number;
  reset_events: number;
  pid: number;
  tgid: number;
  comm: string;
  cgroup_id: bigint;
  /** 1 when the flow left the table by eviction (cap on open flows), not by closing */
  evicted: number;
  /** how it ended (CloseReason) */
  close_reason: CloseReason;
  /** 1 = reached ESTABLISHED, 0 = closed during the handshake (SYN_SENT/SYN_RECV), 2 = unknown */
  handshake: number;
  /** TCP state it closed from (the close event's old state, else the last poll's); 0 = unknown */
  state_at_close: number;
  /** from the last tcp_info (destroy, else the last poll); µs for times */
  tcpi_min_rtt: number;
  tcpi_busy_time: bigint;
  tcpi_rwnd_limited: bigint;
  tcpi_sndbuf_limited: bigint;
  tcpi_lost: number;
  tcpi_reord_seen: number;
  tcpi_bytes_sent: bigint;
  tcpi_bytes_retrans: bigint;
}

/** How a flow ended: a reset received or sent; FIN (closed from a FIN state);
 * timeout (closed in the handshake without a reset: no answer, whether the
 * kernel gave up or the application closed while waiting; or from ESTABLISHED
 * after retransmits, without a reset); abort (from ESTABLISHED, nothing retransmitted, no reset
 * seen); unknown (no close event, and the last poll saw no FIN state). */
export type CloseReason = 'fin' | 'reset_received' | 'reset_sent' | 'timeout' | 'abort' | 'unknown';

/** Handshake values of FlowRow.handshake. */
export const HANDSHAKE_FAILED = 0;
export const HANDSHAKE_DONE = 1;
export const HANDSHAKE_UNKNOWN = 2;
