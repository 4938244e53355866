#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include "clock.h"
#include "diag_lookup.h"

static int send_one(struct tl_dump *d, const struct tl_lookup_req *q, uint8_t ext, uint32_t seq)
{
	struct tl_diag_req req;

	tl_diag_req_init(&req, NLM_F_REQUEST /* no NLM_F_DUMP: exact match */, seq, q->family, ext, ~0u);
	memcpy(req.r.id.idiag_src, q->src, 16);
	memcpy(req.r.id.idiag_dst, q->dst, 16);
	req.r.id.idiag_sport = htons(q->sport);
	req.r.id.idiag_dport = htons(q->dport);
	req.r.id.idiag_cookie[0] = (uint32_t)q->cookie;
	req.r.id.idiag_cookie[1] = (uint32_t)(q->cookie >> 32);
	return tl_diag_req_send(d, &req);
}

/* Receives one answer (one netlink message per datagram) and files it under
 * its request. Returns 1 when an answer was filed, 0 for a datagram that is
 * not one (foreign), -errno when the socket failed. */
static int recv_one(struct tl_dump *d, uint32_t base, uint32_t n, struct tl_batch *b, int32_t *status)
{
	struct nlmsghdr h;
	ssize_t got = tl_dump_recv(d);
	uint32_t i;

	if (got < 0)
		return (int)got;
	if ((size_t)got < sizeof(h))
		return 0;
	memcpy(&h, d->rbuf, sizeof(h));
	i = h.nlmsg_seq - base;
	if (i >= n || status[i] != -EINPROGRESS) {
		d->st.parse.foreign++;
		return 0;
	}
	{
		uint32_t before = b->rows;
		struct tl_parse_ctx x = {
			b, &d->dict, &d->st.parse, tl_now_realtime_ns(), d->netns_inode, h.nlmsg_seq
		};
		size_t used = 0;
		int err = 0;
		enum tl_parse_result r = tl_parse_diag(&x, d->rbuf, (size_t)got, &used, &err);

		if (r == TL_PARSE_ERROR)
			status[i] = err ? -err : -ENOENT;
		else if (b->rows > before)
			status[i] = (int32_t)before;
		else
			status[i] = -EPROTO; /* an answer we could not parse (counted by the parser) */
	}
	return 1;
}

int tl_lookup(struct tl_dump *d, const struct tl_lookup_req *reqs, uint32_t n, uint8_t ext, struct tl_batch *b,
	      int32_t *status)
{
	uint32_t i, sent = 0, answered = 0, base;
	int rc = 0;

	for (i = 0; i < n; i++)
		status[i] = -EINPROGRESS;
	if (d->fd < 0)
		rc = -EBADF;
	if (b->capacity - b->rows < n)
		rc = -ENOSPC;
	base = d->seq + 1;
	d->seq += n;
	while (rc == 0 && answered < n) {
		/* keep at most TL_LOOKUP_WINDOW answers outstanding */
		while (sent < n && sent - answered < TL_LOOKUP_WINDOW) {
			rc = send_one(d, &reqs[sent], ext, base + sent);
			if (rc < 0)
				break;
			sent++;
		}
		if (rc < 0)
			break;
		rc = recv_one(d, base, n, b, status);
		if (rc > 0)
			answered++;
		if (rc > 0)
			rc = 0;
	}
	if (rc < 0) {
		for (i = 0; i < n; i++)
			if (status[i] == -EINPROGRESS)
				status[i] = rc;
		d->last_errno = -rc;
	}
	return rc;
}
