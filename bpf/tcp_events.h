/* Wire format of the events view: one record per event in the BPF ring
 * buffer, written by tcp_events.bpf.c and read by native/events.c.
 * Only fixed-width types, largest first, explicit padding, size asserted:
 * both sides compile this same header. */
#ifndef TCPLENS_TCP_EVENTS_H
#define TCPLENS_TCP_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#ifdef __cplusplus /* the N-API glue reads the kinds and flags too */
#define _Static_assert static_assert
#endif

/* Filter capacities of the const volatile settings. */
#define TL_EV_MAX_NETNS 8
#define TL_EV_MAX_PORTS 8

/* Event kinds: the record's and the kind column's values (bit k of
 * keep_kinds keeps kind k). X(NAME, value, name in columns and logs). The one
 * source: native/ and the generated src/layout/event_columns.ts read these. */
#define TL_EVENT_KINDS(X) \
	X(ACTIVE_OPEN, 1, active_open)	 /* SYN_SENT -> ESTABLISHED (connect) */ \
	X(PASSIVE_OPEN, 2, passive_open) /* SYN_RECV -> ESTABLISHED (accept side) */ \
	X(CLOSE, 3, close)		 /* -> CLOSE: final counters present */ \
	X(STATE, 4, state)		 /* any other state change */ \
	X(RETRANSMIT, 5, retransmit) \
	X(RESET_SENT, 6, reset_sent) \
	X(RESET_RECEIVED, 7, reset_received)
enum tl_event_kind {
#define TL_EVK_ENUM(n, v, s) TL_EVK_##n = v,
	TL_EVENT_KINDS(TL_EVK_ENUM)
#undef TL_EVK_ENUM
};
#define TL_EVK_ALL 0xfe /* bits 1..7 */

/* Flag bits of a record and of the flags column: X(NAME, bit). */
#define TL_EVENT_FLAGS(X) \
	X(FINAL, 0x01)	  /* tcpi_* and duration_ns hold the close-time counters */ \
	X(PROC, 0x02)	  /* pid/tgid/comm/cgroup_id are the socket's owner */ \
	X(NOCOOKIE, 0x04) /* no cookie (a variant that reads it, before anyone made it): join on 4-tuple + netns */
enum tl_event_flag {
#define TL_EVFL_ENUM(n, v) TL_EVFL_##n = v,
	TL_EVENT_FLAGS(TL_EVFL_ENUM)
#undef TL_EVFL_ENUM
};

/* Program ids: bit n of the `refuse` setting, the test hook that makes the
 * verifier refuse chosen programs (TCPLENS_TEST_REFUSE). The loader's table
 * of parts and variants (native/events.c) names programs by these ids. */
enum tl_events_prog {
	TL_EVP_btf_set_state,
	TL_EVP_btf_retransmit,
	TL_EVP_btf_send_reset,
	TL_EVP_btf_receive_reset,
	TL_EVP_btfrd_set_state,
	TL_EVP_btfrd_retransmit,
	TL_EVP_btfrd_send_reset,
	TL_EVP_btfrd_receive_reset,
	TL_EVP_tp_set_state,
	TL_EVP_tp_retransmit,
	TL_EVP_tp_send_reset,
	TL_EVP_tp_receive_reset,
};

struct tl_event {
	__u64 ts_ns;  /* CLOCK_MONOTONIC (bpf_ktime_get_ns); user space makes it wall time */
	__u64 cookie; /* the socket cookie; 0 (with TL_EVFL_NOCOOKIE) when not generated yet */
	__u64 netns_inode;
	__u64 cgroup_id;   /* owner's cgroup v2 id (TL_EVFL_PROC) */
	__u64 duration_ns; /* close: now - birth, 0 when the birth was not seen */
	__u64 bytes_acked; /* close only (TL_EVFL_FINAL): tcp_sock counters */
	__u64 bytes_received;
	__u32 pid;  /* owner thread id (TL_EVFL_PROC) */
	__u32 tgid; /* owner process id (TL_EVFL_PROC) */
	__u32 segs_in;
	__u32 segs_out;
	__u32 total_retrans;
	__u32 srtt_us;	 /* unscaled: tcp_sock.srtt_us >> 3 */
	__u32 rttvar_us; /* unscaled: tcp_sock.mdev_us >> 2 */
	__u32 delivered;
	__u32 lost;	/* tcp_sock.lost_out, as tcp_info's tcpi_lost */
	__u16 sport;	/* host byte order (local port) */
	__u16 dport;	/* host byte order (remote port) */
	__u8 saddr[16]; /* network byte order; IPv4 in the first 4 bytes */
	__u8 daddr[16]; /* network byte order; IPv4 in the first 4 bytes */
	__u8 comm[16];	/* owner's comm, NUL-padded (TL_EVFL_PROC) */
	__u8 kind;	/* TL_EVK_* */
	__u8 family;	/* AF_INET or AF_INET6 */
	__u8 oldstate;	/* TCP_* states; both = current state for non-state kinds */
	__u8 newstate;
	__u8 flags; /* TL_EVFL_* */
	__u8 pad[3];
	__u64 sk; /* the socket's kernel address: the reader's join key to its birth record; 0 for none */
};

_Static_assert(sizeof(struct tl_event) == 160, "struct tl_event is a wire format");

/* A socket's birth (connect, listen, a passive child), told by its size: the
 * reader keeps it by sk and fills the socket's later events with the owner,
 * the lifetime at close and the local port (the programs keep no per-socket
 * map: an insert and a delete per socket cost the connection more). */
struct tl_birth {
	__u64 ts_ns; /* CLOCK_MONOTONIC */
	__u64 sk;
	__u64 cgroup_id; /* owner's, as in tl_event (TL_EVFL_PROC) */
	__u32 pid;
	__u32 tgid;
	__u8 comm[16];
	__u16 sport; /* 0 before connect() picked one */
	__u8 flags;  /* TL_EVFL_PROC: the owner is known */
	__u8 pad[5];
};

_Static_assert(sizeof(struct tl_birth) == 56, "struct tl_birth is a wire format");

/* A socket that closed without an event (kind close not kept): the reader
 * forgets its birth. */
struct tl_gone {
	__u64 sk;
	__u64 pad;
};

_Static_assert(sizeof(struct tl_gone) == 16, "struct tl_gone is a wire format");

#endif
