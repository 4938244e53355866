#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include "clock.h"
#include "destroy.h"
#include "fd.h"

#define TL_DESTROY_RBUF (64 * 1024)

int tl_destroy_init(struct tl_destroy *d, int fd, uint64_t netns_inode, int rcvbuf)
{
	int groups[2] = { SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY }, i;
	socklen_t len = sizeof(d->rcvbuf);

	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->netns_inode = netns_inode;
	d->rbuf = malloc(TL_DESTROY_RBUF);
	if (!d->rbuf)
		return -ENOMEM;
	/* A burst of closes (a connection storm ending) arrives faster than we
	 * read: the queue size decides what is lost. FORCE passes rmem_max with
	 * CAP_NET_ADMIN; without it the plain request is capped by rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &d->rcvbuf, &len);
	/* Bind first: an unbound socket has port id 0, the kernel's own, and
	 * netlink broadcasts skip the sender's port id. */
	{
		struct sockaddr_nl local = { .nl_family = AF_NETLINK };
		if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0)
			return -errno;
	}
	for (i = 0; i < 2; i++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(int)) < 0)
			return -errno;
	return 0;
}

int tl_destroy_drops(struct tl_destroy *d)
{
	uint32_t mem[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(mem);

	if (d->fd < 0)
		return -EBADF;
	if (getsockopt(d->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0)
		return -errno;
	if (len > SK_MEMINFO_DROPS * sizeof(uint32_t))
		d->st.dropped = mem[SK_MEMINFO_DROPS]; /* a u32 in the kernel too */
	return 0;
}

void tl_destroy_close(struct tl_destroy *d)
{
	tl_close_fd(&d->fd);
	free(d->rbuf);
	d->rbuf = NULL;
}

int tl_destroy_drain(struct tl_destroy *d, struct tl_batch *b, int *more)
{
	*more = 0;
	if (d->fd < 0)
		return -EBADF;
	while (b->rows < b->capacity) {
		if (d->roff < d->rlen) {
			/* seq 0: multicast messages carry no request sequence */
			struct tl_parse_ctx x = { b, &d->dict, &d->st.parse, d->ts_ns, d->netns_inode, 0 };
			size_t used = 0;
			int err = 0;
			enum tl_parse_result r = tl_parse_diag(&x, d->rbuf + d->roff, d->rlen - d->roff, &used, &err);
			d->roff += used;
			if (r == TL_PARSE_FULL)
				break;
			continue;
		}
		{
			struct sockaddr_nl from;
			struct iovec iov = { d->rbuf, TL_DESTROY_RBUF };
			struct msghdr msg = {
				.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1
			};
			ssize_t n = recvmsg(d->fd, &msg, MSG_DONTWAIT);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return 0;
				if (errno == EINTR) {
					d->st.eintr++;
					continue;
				}
				/* Overrun: the kernel dropped messages; the socket stays usable. */
				if (errno == ENOBUFS) {
					d->st.enobufs++;
					continue;
				}
				d->st.errors++;
				return -errno;
			}
			if (msg.msg_flags & MSG_TRUNC)
				d->st.truncated++;
			if (from.nl_pid != 0)
				continue; /* only the kernel speaks on these groups */
			d->st.recvs++;
			d->st.bytes += (uint64_t)n;
			d->rlen = (size_t)n;
			d->roff = 0;
			d->ts_ns = tl_now_realtime_ns();
		}
	}
	*more = 1;
	return 0;
}
