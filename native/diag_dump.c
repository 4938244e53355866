#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include "clock.h"
#include "diag_dump.h"
#include "fd.h"

int tl_dump_init(struct tl_dump *d, int fd, uint64_t netns_inode)
{
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->netns_inode = netns_inode;
	d->fam_idx = 2;
	d->seq = (uint32_t)time(NULL);
	d->rbuf = malloc(TL_RBUF_SIZE);
	return d->rbuf ? 0 : -ENOMEM;
}

void tl_dump_close(struct tl_dump *d)
{
	tl_close_fd(&d->fd);
	free(d->rbuf);
	d->rbuf = NULL;
	free(d->tap);
	d->tap = NULL;
	d->tap_len = d->tap_cap = 0;
}

/* The request with an INET_DIAG_REQ_BYTECODE attribute after it (as ss sends a filter). */
static ssize_t send_with_bytecode(struct tl_dump *d, struct nlmsghdr *nlh, size_t req_len, struct sockaddr_nl *kernel)
{
	struct rtattr rta = { .rta_len = (unsigned short)RTA_LENGTH(d->bc_len), .rta_type = INET_DIAG_REQ_BYTECODE };
	struct iovec iov[3] = { { nlh, req_len }, { &rta, sizeof(rta) }, { (void *)d->bc, d->bc_len } };
	struct msghdr msg = { .msg_name = kernel, .msg_namelen = sizeof(*kernel), .msg_iov = iov, .msg_iovlen = 3 };
	ssize_t n;

	nlh->nlmsg_len = (uint32_t)(req_len + RTA_SPACE(d->bc_len));
	do {
		n = sendmsg(d->fd, &msg, 0);
	} while (n < 0 && errno == EINTR);
	return n;
}

void tl_diag_req_init(struct tl_diag_req *req, uint16_t nl_flags, uint32_t seq, uint8_t family, uint8_t ext,
		      uint32_t states)
{
	memset(req, 0, sizeof(*req));
	req->nlh.nlmsg_len = sizeof(*req);
	req->nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req->nlh.nlmsg_flags = nl_flags;
	req->nlh.nlmsg_seq = seq;
	req->r.sdiag_family = family;
	req->r.sdiag_protocol = IPPROTO_TCP;
	req->r.idiag_ext = ext;
	req->r.idiag_states = states;
}

static int sent(struct tl_dump *d, ssize_t n)
{
	if (n < 0) {
		d->st.nl_errors++;
		return -errno;
	}
	d->st.requests++;
	return 0;
}

int tl_diag_req_send(struct tl_dump *d, const struct tl_diag_req *req)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	do {
		n = sendto(d->fd, req, sizeof(*req), 0, (struct sockaddr *)&kernel, sizeof(kernel));
	} while (n < 0 && errno == EINTR);
	return sent(d, n);
}

static int send_request(struct tl_dump *d)
{
	struct tl_diag_req req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int rc;

	tl_diag_req_init(&req, NLM_F_REQUEST | NLM_F_DUMP, ++d->seq, d->families[d->fam_idx], d->ext, d->states);
	if (d->bc && d->bc_len)
		rc = sent(d, send_with_bytecode(d, &req.nlh, sizeof(req), &kernel));
	else
		rc = tl_diag_req_send(d, &req);
	if (rc < 0)
		return rc;
	d->active = 1;
	d->rlen = d->roff = 0;
	return 0;
}

static void tap_chunk(struct tl_dump *d, size_t n)
{
	uint32_t len32 = (uint32_t)n;
	if (d->tap_len + 4 + n > d->tap_cap) {
		size_t cap = d->tap_cap ? d->tap_cap * 2 : 1 << 20;
		uint8_t *p;
		while (cap < d->tap_len + 4 + n)
			cap *= 2;
		p = realloc(d->tap, cap);
		if (!p)
			return;
		d->tap = p;
		d->tap_cap = cap;
	}
	memcpy(d->tap + d->tap_len, &len32, 4);
	memcpy(d->tap + d->tap_len + 4, d->rbuf, n);
	d->tap_len += 4 + n;
}

ssize_t tl_dump_recv(struct tl_dump *d)
{
	struct sockaddr_nl from;
	struct iovec iov = { d->rbuf, TL_RBUF_SIZE };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	for (;;) {
		n = recvmsg(d->fd, &msg, 0);
		if (n >= 0)
			break;
		if (errno == EINTR) {
			d->st.eintr++;
			continue;
		}
		if (errno == ENOBUFS)
			d->st.enobufs++;
		else
			d->st.nl_errors++;
		return -errno;
	}
	if (msg.msg_flags & MSG_TRUNC)
		d->st.truncated++;
	if (from.nl_pid != 0) /* not from the kernel: ignore */
		return 0;
	d->st.recvs++;
	d->st.bytes += (uint64_t)n;
	return n;
}

/* Reads the next chunk of the running dump into rbuf. */
static int recv_chunk(struct tl_dump *d)
{
	ssize_t n = tl_dump_recv(d);

	if (n <= 0) {
		d->rlen = d->roff = 0;
		return (int)n;
	}
	d->rlen = (size_t)n;
	d->roff = 0;
	d->ts_ns = tl_now_realtime_ns();
	if (d->tapping)
		tap_chunk(d, (size_t)n);
	return 0;
}

/* Reads and discards the rest of a running dump so the socket can take a
 * new request (the kernel answers EBUSY while a dump is in progress). */
static void drain(struct tl_dump *d)
{
	struct tl_batch none = { 0 };
	struct tl_dict scratch = { 0 };
	struct tl_parse_stats ps = { 0 };
	int guard = 1 << 20;

	while (d->active && guard-- > 0) {
		struct tl_parse_ctx x = { &none, &scratch, &ps, 0, 0, d->seq };
		size_t used = 0;
		int err = 0;
		enum tl_parse_result r;

		if (d->roff >= d->rlen && recv_chunk(d) < 0)
			break;
		r = tl_parse_diag(&x, d->rbuf + d->roff, d->rlen - d->roff, &used, &err);
		/* A full (zero-capacity) batch stops before each socket: skip it. */
		if (r == TL_PARSE_FULL) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)(d->rbuf + d->roff + used);
			used += NLMSG_ALIGN(h->nlmsg_len);
		}
		d->roff += used;
		if (d->roff > d->rlen)
			d->roff = d->rlen;
		if (r == TL_PARSE_DONE || r == TL_PARSE_ERROR)
			d->active = 0;
	}
	d->active = 0;
	d->rlen = d->roff = 0;
}

int tl_dump_begin(struct tl_dump *d, unsigned families, uint32_t states, uint8_t ext)
{
	int n = 0;

	if (d->fd < 0)
		return -EBADF;
	if (d->active)
		drain(d);
	d->families[0] = d->families[1] = 0;
	if (families & 1)
		d->families[n++] = AF_INET;
	if (families & 2)
		d->families[n++] = AF_INET6;
	d->states = states;
	d->ext = ext;
	d->fam_idx = 0;
	d->last_errno = 0;
	if (n == 0) {
		d->fam_idx = 2;
		return 0;
	}
	return send_request(d);
}

static int fail(struct tl_dump *d, int err, int *done)
{
	d->last_errno = -err;
	if (d->active)
		drain(d);
	d->fam_idx = 2;
	*done = 1;
	return err;
}

int tl_dump_fill(struct tl_dump *d, struct tl_batch *b, int *done)
{
	*done = 0;
	if (d->fd < 0)
		return fail(d, -EBADF, done);
	while (d->fam_idx < 2 && b->rows < b->capacity) {
		struct tl_parse_ctx x = { b, &d->dict, &d->st.parse, d->ts_ns, d->netns_inode, d->seq };
		enum tl_parse_result r;
		size_t used = 0;
		int nl_err = 0, rc;

		if (d->roff >= d->rlen) {
			rc = recv_chunk(d);
			if (rc < 0) {
				/* An overrun loses the rest of this dump; drain what the
				 * kernel still holds. Other errors leave nothing to drain. */
				if (rc != -ENOBUFS)
					d->active = 0;
				return fail(d, rc, done);
			}
			continue;
		}
		r = tl_parse_diag(&x, d->rbuf + d->roff, d->rlen - d->roff, &used, &nl_err);
		d->roff += used;
		if (r == TL_PARSE_FULL)
			break;
		if (r == TL_PARSE_ERROR) {
			d->st.nl_errors++;
			d->active = 0;
			return fail(d, -nl_err, done);
		}
		if (r == TL_PARSE_DONE) {
			d->active = 0;
			d->st.dumps_done++;
			d->fam_idx++;
			if (d->fam_idx < 2 && d->families[d->fam_idx] == 0)
				d->fam_idx = 2;
			if (d->fam_idx < 2) {
				rc = send_request(d);
				if (rc < 0)
					return fail(d, rc, done);
			}
		}
	}
	if (d->fam_idx >= 2)
		*done = 1;
	return 0;
}
