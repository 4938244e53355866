/* inet_diag messages -> columns. Like iproute2's ss: walk the attributes
 * into a table, then copy what was present. Malformed input is counted and
 * skipped, never trusted: every length is checked against what remains.
 * Nothing is read through a cast pointer: a recorded or damaged chunk can
 * put a header at any offset, so headers are copied out (memcpy) first. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include "diag_parse.h"
#include "tcp_info.h"

#define TL_ATTR_MAX 32 /* attribute types we index; larger ones are ignored */

uint16_t tl_dict_intern(struct tl_dict *d, const char *s, size_t len)
{
	uint32_t i;

	if (len >= TL_DICT_STRLEN)
		len = TL_DICT_STRLEN - 1;
	for (i = 0; i < d->count; i++)
		if (strncmp(d->names[i], s, len) == 0 && d->names[i][len] == '\0')
			return (uint16_t)(i + 1);
	if (d->count >= TL_DICT_MAX)
		return TL_DICT_OVERFLOW;
	memcpy(d->names[d->count], s, len);
	d->names[d->count][len] = '\0';
	return (uint16_t)(++d->count);
}

/* One message's attributes by type (payload and its length), and which were
 * present and well formed. A short attribute (payload smaller than its
 * field) is malformed: it reads as absent, and the message counts as a
 * parse error. */
struct attrs {
	const uint8_t *tb[TL_ATTR_MAX];
	uint16_t len[TL_ATTR_MAX];
	uint32_t present;
	int bad;
};

/* Indexes the attributes; stops at the first one that overruns. */
static void index_attrs(struct attrs *at, const uint8_t *p, size_t len)
{
	memset(at, 0, sizeof(*at));
	while (len >= sizeof(struct rtattr)) {
		struct rtattr a;
		size_t step;

		memcpy(&a, p, sizeof(a));
		if (a.rta_len < sizeof(struct rtattr) || a.rta_len > len) {
			at->bad = 1;
			break;
		}
		if (a.rta_type < TL_ATTR_MAX) {
			at->tb[a.rta_type] = p + RTA_LENGTH(0);
			at->len[a.rta_type] = (uint16_t)(a.rta_len - RTA_LENGTH(0));
			at->present |= 1u << a.rta_type;
		}
		step = RTA_ALIGN(a.rta_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
}

/* Attribute t's payload when it holds at least n bytes; else NULL (and, when
 * present but short, dropped as malformed). */
static const void *attr(struct attrs *at, int t, size_t n)
{
	if (!at->tb[t])
		return NULL;
	if (at->len[t] >= n)
		return at->tb[t];
	at->present &= ~(1u << t);
	at->bad = 1;
	return NULL;
}

/* The fixed part of the message: socket id, state, queues, owner. */
static void fill_msg(struct tl_parse_ctx *x, uint32_t i, const struct inet_diag_msg *m)
{
	struct tl_poll_cols *c = &x->batch->c;

	c->ts_ns[i] = x->ts_ns;
	c->netns_inode[i] = x->netns_inode;
	c->idiag_cookie[i] = (uint64_t)m->id.idiag_cookie[0] | ((uint64_t)m->id.idiag_cookie[1] << 32);
	memcpy(c->src[i], m->id.idiag_src, 16);
	memcpy(c->dst[i], m->id.idiag_dst, 16);
	c->sport[i] = ntohs(m->id.idiag_sport);
	c->dport[i] = ntohs(m->id.idiag_dport);
	c->idiag_if[i] = m->id.idiag_if;
	c->idiag_family[i] = m->idiag_family;
	c->idiag_state[i] = m->idiag_state;
	c->idiag_timer[i] = m->idiag_timer;
	c->idiag_retrans[i] = m->idiag_retrans;
	c->idiag_expires[i] = m->idiag_expires;
	c->idiag_rqueue[i] = m->idiag_rqueue;
	c->idiag_wqueue[i] = m->idiag_wqueue;
	c->idiag_uid[i] = m->idiag_uid;
	c->idiag_inode[i] = m->idiag_inode;
}

static uint32_t u32_at(const void *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Small scalar attributes: mark, class id, cgroup, TOS and friends. */
static void fill_scalars(struct attrs *at, struct tl_poll_cols *c, uint32_t i)
{
	const void *v;

	c->mark[i] = (v = attr(at, INET_DIAG_MARK, 4)) ? u32_at(v) : 0;
	c->class_id[i] = (v = attr(at, INET_DIAG_CLASS_ID, 4)) ? u32_at(v) : 0;
	c->cgroup_id[i] = 0;
	if ((v = attr(at, INET_DIAG_CGROUP_ID, 8)) != NULL)
		memcpy(&c->cgroup_id[i], v, 8);
#define U8_ATTR(t, col) c->col[i] = (v = attr(at, t, 1)) ? *(const uint8_t *)v : 0;
	U8_ATTR(INET_DIAG_TOS, tos)
	U8_ATTR(INET_DIAG_TCLASS, tclass)
	U8_ATTR(INET_DIAG_SHUTDOWN, shutdown)
	U8_ATTR(INET_DIAG_SKV6ONLY, v6only)
#undef U8_ATTR
}

/* Socket memory: INET_DIAG_MEMINFO and the SK_MEMINFO_* array. */
static void fill_mem(struct attrs *at, struct tl_poll_cols *c, uint32_t i)
{
	struct inet_diag_meminfo mi = { 0 };
	/* SK_MEMINFO_VARS grows over kernels: take what is there. */
	uint32_t sk[SK_MEMINFO_VARS] = { 0 };
	const void *v;

	if ((v = attr(at, INET_DIAG_MEMINFO, sizeof(mi))) != NULL)
		memcpy(&mi, v, sizeof(mi));
	c->idiag_rmem[i] = mi.idiag_rmem;
	c->idiag_wmem[i] = mi.idiag_wmem;
	c->idiag_fmem[i] = mi.idiag_fmem;
	c->idiag_tmem[i] = mi.idiag_tmem;
	if (at->tb[INET_DIAG_SKMEMINFO]) {
		size_t n = at->len[INET_DIAG_SKMEMINFO];
		memcpy(sk, at->tb[INET_DIAG_SKMEMINFO], n < sizeof(sk) ? n : sizeof(sk));
	}
	c->skmem_rmem_alloc[i] = sk[SK_MEMINFO_RMEM_ALLOC];
	c->skmem_rcvbuf[i] = sk[SK_MEMINFO_RCVBUF];
	c->skmem_wmem_alloc[i] = sk[SK_MEMINFO_WMEM_ALLOC];
	c->skmem_sndbuf[i] = sk[SK_MEMINFO_SNDBUF];
	c->skmem_fwd_alloc[i] = sk[SK_MEMINFO_FWD_ALLOC];
	c->skmem_wmem_queued[i] = sk[SK_MEMINFO_WMEM_QUEUED];
	c->skmem_optmem[i] = sk[SK_MEMINFO_OPTMEM];
	c->skmem_backlog[i] = sk[SK_MEMINFO_BACKLOG];
	c->skmem_drops[i] = sk[SK_MEMINFO_DROPS];
}

/* Congestion control: its name (dictionary id) and BBR's state. */
static void fill_cong(struct tl_parse_ctx *x, struct attrs *at, uint32_t i)
{
	struct tl_poll_cols *c = &x->batch->c;
	struct tcp_bbr_info bbr = { 0 };
	const void *v;

	if ((v = attr(at, INET_DIAG_BBRINFO, sizeof(bbr))) != NULL)
		memcpy(&bbr, v, sizeof(bbr));
	c->bbr_bw_lo[i] = bbr.bbr_bw_lo;
	c->bbr_bw_hi[i] = bbr.bbr_bw_hi;
	c->bbr_min_rtt[i] = bbr.bbr_min_rtt;
	c->bbr_pacing_gain[i] = bbr.bbr_pacing_gain;
	c->bbr_cwnd_gain[i] = bbr.bbr_cwnd_gain;
	c->cong[i] = 0;
	if (at->tb[INET_DIAG_CONG]) {
		const char *s = (const char *)at->tb[INET_DIAG_CONG];
		size_t n = strnlen(s, at->len[INET_DIAG_CONG]);
		if (n > 0) {
			c->cong[i] = tl_dict_intern(x->dict, s, n);
			if (c->cong[i] == TL_DICT_OVERFLOW)
				x->st->dict_overflow++;
		}
	}
}

/* struct tcp_info, as long as the kernel sent it (an older kernel's is
 * shorter: the rest reads 0, and tcpi_len says where it ended). */
static void fill_tcp_info(struct tl_parse_ctx *x, struct attrs *at, uint32_t i)
{
	struct tl_poll_cols *c = &x->batch->c;
	struct tl_tcp_info ti;
	uint32_t tlen = 0;

	memset(&ti, 0, sizeof(ti));
	if (at->tb[INET_DIAG_INFO]) {
		tlen = at->len[INET_DIAG_INFO];
		if (tlen > sizeof(ti))
			tlen = sizeof(ti);
		memcpy(&ti, at->tb[INET_DIAG_INFO], tlen);
		if (tlen < sizeof(ti))
			x->st->short_info++;
	}
	c->tcpi_len[i] = (uint16_t)tlen;
#define TL_COPY_TCPI(n, t) c->n[i] = ti.n;
	TL_TCPI_U64(TL_COPY_TCPI)
	TL_TCPI_U32(TL_COPY_TCPI)
	TL_TCPI_U16(TL_COPY_TCPI)
	TL_TCPI_U8(TL_COPY_TCPI)
#undef TL_COPY_TCPI
	c->tcpi_snd_wscale[i] = ti.wscale & 0x0f;
	c->tcpi_rcv_wscale[i] = ti.wscale >> 4;
	c->tcpi_delivery_rate_app_limited[i] = ti.flags & 0x01;
	c->tcpi_fastopen_client_fail[i] = (ti.flags >> 1) & 0x03;
}

/* Fills row i from one inet_diag_msg and its attributes, family by family
 * (as ss does). Returns 0, or -1 when an attribute was malformed (the row
 * is still written with what was readable). */
static int fill_row(struct tl_parse_ctx *x, uint32_t i, const struct inet_diag_msg *m, const uint8_t *attrs,
		    size_t alen)
{
	struct attrs at;

	index_attrs(&at, attrs, alen);
	fill_msg(x, i, m);
	fill_scalars(&at, &x->batch->c, i);
	fill_mem(&at, &x->batch->c, i);
	fill_cong(x, &at, i);
	fill_tcp_info(x, &at, i);
	x->batch->c.attrs[i] = at.present;
	return at.bad ? -1 : 0;
}

enum tl_parse_result tl_parse_diag(struct tl_parse_ctx *x, const uint8_t *buf, size_t len, size_t *consumed,
				   int *nl_errno)
{
	size_t off = 0;

	while (len - off >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr hdr, *h = &hdr;
		size_t mlen, step;

		memcpy(&hdr, buf + off, sizeof(hdr));
		mlen = hdr.nlmsg_len;

		if (mlen < sizeof(*h) || mlen > len - off) {
			/* Framing is gone: nothing after this point can be trusted. */
			x->st->parse_errors++;
			off = len;
			break;
		}
		step = NLMSG_ALIGN(mlen);
		if (step > len - off)
			step = len - off;
		x->st->messages++;

		if (x->seq && h->nlmsg_seq != x->seq) {
			x->st->foreign++;
			off += step;
			continue;
		}
		if (h->nlmsg_type == NLMSG_DONE) {
			off += step;
			*consumed = off;
			return TL_PARSE_DONE;
		}
		if (h->nlmsg_type == NLMSG_ERROR) {
			int32_t e = 0;
			int ok = mlen >= NLMSG_LENGTH(sizeof(struct nlmsgerr));
			/* nlmsgerr.error: -errno, or 0 for an ack; anything else
			 * (a positive value, INT_MIN: no positive) is not an errno */
			if (ok)
				memcpy(&e, buf + off + NLMSG_HDRLEN, sizeof(e));
			*nl_errno = ok && e <= 0 && e > -4096 ? -e : EPROTO;
			off += step;
			*consumed = off;
			return TL_PARSE_ERROR;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) {
			off += step; /* NOOP or unknown: not a socket */
			continue;
		}
		if (mlen < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
			x->st->parse_errors++;
			off += step;
			continue;
		}
		if (x->batch->rows >= x->batch->capacity) {
			x->st->messages--; /* looked at again on the next call */
			*consumed = off;
			return TL_PARSE_FULL;
		}
		if (h->nlmsg_flags & NLM_F_DUMP_INTR)
			x->st->dump_intr++;
		{
			struct inet_diag_msg m;
			const uint8_t *attrs = buf + off + NLMSG_LENGTH(sizeof(m));
			size_t alen = mlen - NLMSG_LENGTH(sizeof(m));
			memcpy(&m, buf + off + NLMSG_HDRLEN, sizeof(m));
			if (fill_row(x, x->batch->rows, &m, attrs, alen) < 0)
				x->st->parse_errors++;
			x->batch->rows++;
			x->st->rows++;
		}
		off += step;
	}
	/* A trailing fragment shorter than a header is garbage, not a message. */
	if (off < len)
		x->st->parse_errors++;
	*consumed = len;
	return TL_PARSE_MORE;
}
