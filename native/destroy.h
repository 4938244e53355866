/* The destroy view: sock_diag multicast of every TCP socket the kernel
 * destroys (SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY), read
 * without blocking into column batches. Messages carry the base inet_diag_msg
 * (cookie, tuple, queues) and the final tcp_info; no other attributes. */
#ifndef TCPLENS_DESTROY_H
#define TCPLENS_DESTROY_H

#include <stdint.h>
#include "diag_parse.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tl_destroy_stats {
	uint64_t recvs; /* datagrams read */
	uint64_t bytes;
	uint64_t enobufs; /* receive queue overruns reported (ENOBUFS): one or more messages lost each */
	uint64_t
		dropped; /* messages the kernel dropped: the socket's sk_drops (SO_MEMINFO), read by tl_destroy_drops() */
	uint64_t eintr;
	uint64_t truncated;
	uint64_t errors; /* other recv errors */
	struct tl_parse_stats parse;
};

struct tl_destroy {
	int fd;
	uint64_t netns_inode;
	int rcvbuf; /* the receive queue size the kernel granted */
	uint64_t ts_ns;
	size_t rlen, roff;
	uint8_t *rbuf;
	struct tl_dict dict;
	struct tl_destroy_stats st;
};

/* fd: a NETLINK_SOCK_DIAG socket (owned from now on). Joins both groups and
 * sets a large receive queue (rcvbuf bytes; forced when permitted). */
int tl_destroy_init(struct tl_destroy *d, int fd, uint64_t netns_inode, int rcvbuf);
void tl_destroy_close(struct tl_destroy *d); /* idempotent */

/* Refreshes st.dropped from the socket's drop counter: every destroy
 * message a full receive queue refused (netlink_overrun counts each in
 * sk_drops; SO_MEMINFO, 4.6+). 0, or -errno (st.dropped unchanged). */
int tl_destroy_drops(struct tl_destroy *d);

/* Reads what is queued now, without blocking, until b is full (*more = 1:
 * call again) or the queue is empty. Returns 0 or -errno. */
int tl_destroy_drain(struct tl_destroy *d, struct tl_batch *b, int *more);

#ifdef __cplusplus
}
#endif
#endif
