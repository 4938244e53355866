/* The events batch (view "events"): one row per eBPF event, struct of arrays
 * in one caller-owned buffer, placed by tl_layout_place() like the poll
 * batch. Names equal the poll view's where they mean the same thing, so
 * sinks and correlation read both alike.
 *
 * Types as in poll_columns.h: B16 = 16 address bytes in network byte order
 * (IPv4 in the first 4), U64..U8 = host-order integers.
 */
#ifndef TCPLENS_EVENT_COLUMNS_H
#define TCPLENS_EVENT_COLUMNS_H

/* kind: what happened (the KIND column) */
enum tl_event_kind {
	TL_EV_ACTIVE_OPEN = 1,   /* SYN_SENT -> ESTABLISHED (connect) */
	TL_EV_PASSIVE_OPEN = 2,  /* SYN_RECV -> ESTABLISHED (accept side) */
	TL_EV_CLOSE = 3,         /* -> CLOSE: final counters present */
	TL_EV_STATE = 4,         /* any other state change */
	TL_EV_RETRANSMIT = 5,
	TL_EV_RESET_SENT = 6,
	TL_EV_RESET_RECEIVED = 7,
};

/* flags bits */
#define TL_EVF_FINAL    0x01 /* tcpi_* and duration_ns hold the close-time counters */
#define TL_EVF_PROC     0x02 /* pid/tgid/comm/cgroup_id are the socket's owner */
#define TL_EVF_NOCOOKIE 0x04 /* no cookie (a variant that reads it, before anyone made it): join on 4-tuple + netns */

/* All columns, largest first: X(name, type). */
#define TL_EVENT_COLUMNS(X) \
	X(src, B16) X(dst, B16) \
	X(ts_ns, U64)          /* wall clock, ns since the epoch (from monotonic) */ \
	X(idiag_cookie, U64) X(netns_inode, U64) X(cgroup_id, U64) \
	X(duration_ns, U64)    /* close: the flow's lifetime */ \
	X(tcpi_bytes_acked, U64) X(tcpi_bytes_received, U64) \
	X(pid, U32) X(tgid, U32) \
	X(comm, U32)           /* dictionary id (1-based) of the 16-byte comm; 0 = unknown */ \
	X(tcpi_segs_in, U32) X(tcpi_segs_out, U32) X(tcpi_total_retrans, U32) \
	X(tcpi_rtt, U32) X(tcpi_rttvar, U32)  /* microseconds, unscaled */ \
	X(tcpi_delivered, U32) X(tcpi_lost, U32) \
	X(sport, U16) X(dport, U16) \
	X(kind, U8) X(idiag_family, U8) X(oldstate, U8) X(newstate, U8) X(flags, U8)

#endif
