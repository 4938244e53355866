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

/* Kinds and flags (the kind and flags columns) are the wire format's:
 * TL_EVENT_KINDS and TL_EVENT_FLAGS in bpf/tcp_events.h. */
#include "../bpf/tcp_events.h"

/* All columns, largest first: X(name, type). */
/* clang-format off */
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
/* clang-format on */

#endif
