/* A resumable inet_diag dump over one NETLINK_SOCK_DIAG socket: AF_INET then
 * AF_INET6, filled into caller batches one call at a time. Blocking; run it
 * off the JS thread. One dump per socket at a time. */
#ifndef TCPLENS_DIAG_DUMP_H
#define TCPLENS_DIAG_DUMP_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/netlink.h>
#include <linux/inet_diag.h>
#include "diag_parse.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TL_RBUF_SIZE (64 * 1024) /* the kernel caps dump chunks at 32 KiB */

struct tl_dump_stats {
	uint64_t requests;   /* dump requests sent (one per family per cycle) */
	uint64_t recvs;	     /* recv calls that returned data */
	uint64_t bytes;	     /* bytes received */
	uint64_t eintr;	     /* recv interrupted, retried */
	uint64_t enobufs;    /* receive queue overrun: the dump is cut short */
	uint64_t truncated;  /* MSG_TRUNC: a chunk larger than our buffer */
	uint64_t nl_errors;  /* NLMSG_ERROR answers, and failed send/recv */
	uint64_t dumps_done; /* dumps completed (per family) */
	struct tl_parse_stats parse;
};

struct tl_dump {
	int fd;
	uint64_t netns_inode;
	uint32_t states;     /* TCPF_* bitmask */
	uint8_t ext;	     /* INET_DIAG_* extension bits requested */
	uint8_t families[2]; /* AF_INET and/or AF_INET6, 0 = unused slot */
	int fam_idx;	     /* index into families; 2 = finished */
	int active;	     /* a request is out and not yet DONE */
	uint32_t seq;
	uint64_t ts_ns;	   /* CLOCK_REALTIME when the current chunk arrived */
	size_t rlen, roff; /* unparsed bytes of the current chunk */
	uint8_t *rbuf;
	struct tl_dict dict;
	struct tl_dump_stats st;
	int last_errno; /* of the last failed dump, 0 if none */
	/* INET_DIAG_REQ_BYTECODE sent with every request (NULL = none): a filter
	 * the kernel runs on each socket before formatting it. Owned by the
	 * caller, which keeps it alive while dumps run. */
	const uint8_t *bc;
	uint32_t bc_len;
	/* Optional tap: every received chunk is appended here as
	 * [u32 length][bytes] (fixture recording). */
	int tapping;
	uint8_t *tap;
	size_t tap_len, tap_cap;
};

/* One SOCK_DIAG_BY_FAMILY request for TCP, as the dump and the exact-match
 * lookup send it (the lookup fills id after tl_diag_req_init). */
struct tl_diag_req {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 r;
};
void tl_diag_req_init(struct tl_diag_req *req, uint16_t nl_flags, uint32_t seq, uint8_t family, uint8_t ext,
		      uint32_t states);
/* Sends req as it is (EINTR retried), counted in d->st: 0 or -errno. */
int tl_diag_req_send(struct tl_dump *d, const struct tl_diag_req *req);

/* fd: a NETLINK_SOCK_DIAG socket (owned by d from now on). */
int tl_dump_init(struct tl_dump *d, int fd, uint64_t netns_inode);
void tl_dump_close(struct tl_dump *d); /* idempotent */
/* One datagram into rbuf, counted in st: its length, 0 for one not from
 * the kernel (ignored), -errno when the socket failed (EINTR retried). */
ssize_t tl_dump_recv(struct tl_dump *d);

/* Starts a dump of `families` (bit 0: AF_INET, bit 1: AF_INET6). A dump
 * still running is drained first. Returns 0 or -errno. */
int tl_dump_begin(struct tl_dump *d, unsigned families, uint32_t states, uint8_t ext);

/* Fills b until it is full or the dump is finished (*done = 1). Returns 0,
 * or -errno when the dump failed (rows already in b are valid; the dump is
 * over and *done = 1). */
int tl_dump_fill(struct tl_dump *d, struct tl_batch *b, int *done);

#ifdef __cplusplus
}
#endif
#endif
