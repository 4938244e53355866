/* The iterator poll's C core (see iter_poll.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <linux/inet_diag.h>
#include "iter_poll.h"
#include "clock.h"
#include "iter_read.h"
#include "netns.h"
#include "tcp_info.h"
#include "../bpf/tcp_iter.h"

#if __has_include("tcp_iter.skel.h")
#define TL_HAVE_ITER 1
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tcp_iter.skel.h"
#else
#define TL_HAVE_ITER 0
#endif

static const struct tl_variant v_sockets[] = {
	{ "poll_tcp", TL_ITP_poll_tcp, NULL, "iter/tcp (5.9+), bpf_get_socket_cookie in tracing (5.12+)" },
	{ "poll_tcp_rd", TL_ITP_poll_tcp_rd, NULL, "iter/tcp (5.9+); cookies read, not generated" },
	{ "poll_tcp_all", TL_ITP_poll_tcp_all, NULL,
	  "iter/tcp (5.9+); no change detection, cookies read, not generated" },
};
static const struct tl_variant v_host[] = {
	{ "host_tcp", TL_ITP_host_tcp, NULL,
	  "iter/task_file, bpf_sock_from_file (5.11+), a trusted sock->sk for bpf_skc_to_tcp_sock and "
	  "bpf_get_socket_cookie (not 6.18)" },
	{ "host_tcp_cast", TL_ITP_host_tcp_cast, "bpf_rdonly_cast",
	  "iter/task_file, bpf_sock_from_file (5.11+), the bpf_rdonly_cast kfunc (6.2+); cookies read, not generated" },
};
const struct tl_part tl_iter_parts[TL_ITER_NPARTS] = {
	{ "sockets", v_sockets, (int)(sizeof(v_sockets) / sizeof(v_sockets[0])) },
	{ "host", v_host, (int)(sizeof(v_host) / sizeof(v_host[0])) },
};

/* inet_diag attributes whose fields a full socket's record fills (the attrs
 * column: bit N = INET_DIAG_* N; INFO only in part, see tl_iter_provides) */
#define TL_ITER_ATTRS \
	((1u << INET_DIAG_MEMINFO) | (1u << INET_DIAG_INFO) | (1u << INET_DIAG_CONG) | (1u << INET_DIAG_SKMEMINFO) | \
	 (1u << INET_DIAG_SHUTDOWN) | (1u << INET_DIAG_MARK))

/* When a namespace's last whole pass began (CLOCK_MONOTONIC us, tcp_mstamp's clock). */
struct tl_ns_since {
	uint64_t ns_inode, us;
};

struct tl_iter {
#if TL_HAVE_ITER
	struct tcp_iter *skel;
	struct tl_part_state parts[TL_ITER_NPARTS];
	int stats_fd;
#endif
	struct tl_iter_read rd; /* the pass being read */
	int host;		/* the pass is the host pass: rows carry their own netns, deduplicated by inode */
	uint32_t *seen;		/* host pass: socket inodes emitted (open addressing, 0 = empty) */
	size_t seen_cap, seen_n;
	uint64_t ns_inode, ts_ns;
	struct tl_dict dict;
	char last_cong[16]; /* the last record's congestion control and its id: most sockets share one */
	uint16_t last_cong_id;
	uint32_t zeroed;		 /* rows of the batch being filled already cleared */
	uint8_t provided[TL_POLL_NCOLS]; /* put_row sets the column in every full socket's row */
	uint64_t begin_us;		 /* when the iter/tcp pass being read began */
	struct tl_ns_since *since; /* per namespace: the next pass that is not full emits the sockets active since */
	size_t since_n;
	struct tl_iter_stats st;
};

const char *tl_iter_unbuilt_reason(void)
{
	return TL_HAVE_ITER ? "" : TL_SKEL_MISSING("tcp_iter");
}

int tl_iter_provides(const char *name)
{
	static const char *const own[] = { "src",	   "dst",	  "ts_ns",     "idiag_cookie", "netns_inode",
					   "attrs",	   "sport",	  "dport",     "cong",	       "tcpi_len",
					   "idiag_family", "idiag_state", "tcpi_state" };
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strcmp(name, own[i]) == 0)
			return 1;
#define TL_IT_PROVIDES(m, col) \
	if (strcmp(name, #col) == 0) \
		return 1;
	TL_SOCK_REC_U64(TL_IT_PROVIDES)
	TL_SOCK_REC_U32(TL_IT_PROVIDES)
	TL_SOCK_REC_U8(TL_IT_PROVIDES)
#undef TL_IT_PROVIDES
	return 0;
}

#if TL_HAVE_ITER
static struct bpf_object *it_open(void *view, uint32_t refuse)
{
	struct tl_iter *it = view;

	it->skel = tcp_iter__open();
	if (!it->skel)
		return NULL;
	it->skel->rodata->refuse = refuse;
	return it->skel->obj;
}

static int it_load(void *view)
{
	return tcp_iter__load(((struct tl_iter *)view)->skel);
}

static void it_destroy(void *view)
{
	struct tl_iter *it = view;
	tcp_iter__destroy(it->skel);
	it->skel = NULL;
}

static const struct tl_parts_ops it_ops = { it_open, it_load, it_destroy };
#endif

int tl_iter_open(struct tl_iter **out, const struct tl_iter_opts *o, struct tl_part_info *parts, char *err,
		 size_t errlen)
{
	*out = NULL;
	if (errlen)
		err[0] = '\0';
#if !TL_HAVE_ITER
	(void)o;
	return tl_parts_unbuilt(tl_iter_parts, TL_ITER_NPARTS, parts, tl_iter_unbuilt_reason(), err, errlen);
#else
	struct tl_iter *it = calloc(1, sizeof(*it));
	int rc;

	if (!it || tl_iter_read_init(&it->rd) < 0) {
		free(it);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	{
		struct tl_column_desc desc[TL_POLL_NCOLS];
		tl_poll_layout(1, desc);
		for (size_t i = 0; i < TL_POLL_NCOLS; i++)
			it->provided[i] = (uint8_t)tl_iter_provides(desc[i].name);
	}
	it->stats_fd = o && o->run_stats ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;
	rc = tl_parts_load(tl_iter_parts, TL_ITER_NPARTS, it->parts, &it_ops, it, err, errlen);
	if (rc == 0) {
		snprintf(err, errlen, "the iterator poll does not load on this kernel: %s; host pass: %s",
			 it->parts[0].why, it->parts[1].why);
		rc = -EOPNOTSUPP;
	}
	if (tl_parts_opened(tl_iter_parts, it->parts, TL_ITER_NPARTS, rc, err, parts) < 0) {
		tl_iter_free(it);
		return rc;
	}
	*out = it;
	return 0;
#endif
}

#if TL_HAVE_ITER
/* Change detection by tcp_mstamp needs 5.15+: before it the walk reads
 * sockets without their lock, and on 5.10 (the matrix) a socket that only
 * received data was not always seen to move (its stamp not refreshed on that
 * path): there every pass is full, as with poll_tcp_all. */
static int mstamp_kernel(void)
{
	static int cached = -1;
	struct utsname u;
	int major = 0, minor = 0;

	if (cached < 0)
		cached = uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
			 (major > 5 || (major == 5 && minor >= 15));
	return cached;
}
#endif

int tl_iter_detects_changes(const struct tl_iter *it)
{
#if TL_HAVE_ITER
	return it->parts[0].variant >= 0 && it->parts[0].variant != TL_ITP_poll_tcp_all && mstamp_kernel();
#else
	(void)it;
	return 0;
#endif
}

/* 1 when inode was not yet emitted in this host pass (and now is). */
static int seen_first(struct tl_iter *it, uint32_t ino)
{
	if (!ino)
		return 1;
	if (2 * (it->seen_n + 1) > it->seen_cap) {
		size_t cap = it->seen_cap ? 2 * it->seen_cap : 4096;
		uint32_t *old = it->seen, *nu = calloc(cap, sizeof(*nu));
		if (!nu)
			return 1; /* no memory: a duplicate may pass, nothing is lost */
		for (size_t i = 0; i < it->seen_cap; i++)
			if (old[i])
				for (size_t h = (old[i] * 2654435761u) & (cap - 1);; h = (h + 1) & (cap - 1))
					if (!nu[h]) {
						nu[h] = old[i];
						break;
					}
		free(old);
		it->seen = nu;
		it->seen_cap = cap;
	}
	for (size_t h = (ino * 2654435761u) & (it->seen_cap - 1);; h = (h + 1) & (it->seen_cap - 1)) {
		if (it->seen[h] == ino)
			return 0;
		if (!it->seen[h]) {
			it->seen[h] = ino;
			it->seen_n++;
			return 1;
		}
	}
}

/* Ends the pass; the records it still held or never read are dropped. */
static void end_pass(struct tl_iter *it)
{
	struct tl_iter_read *r = &it->rd;

	if (r->fd >= 0 && (!r->eof || r->len > r->off))
		it->st.pass.dropped += (r->len - r->off) / sizeof(struct tl_sock_rec) + !r->eof;
	tl_iter_read_end(r);
}

#define TL_ITER_SLACK_US 10000
#define TL_ITER_SINCE_MAX 4096 /* namespaces remembered; one forgotten gets a pass of every socket */

/* When ns's last whole pass began (0: never, so every socket counts as changed). */
static struct tl_ns_since *find_since(struct tl_iter *it, uint64_t ns)
{
	for (size_t i = 0; i < it->since_n; i++)
		if (it->since[i].ns_inode == ns)
			return &it->since[i];
	return NULL;
}

/* The pass read to its end: the next one of its namespace needs only what
 * moved since this one began (a pass cut short keeps the older mark). */
static void pass_whole(struct tl_iter *it)
{
	struct tl_ns_since *e = find_since(it, it->ns_inode);

	if (!e && it->since_n >= TL_ITER_SINCE_MAX) {
		/* bounded: the namespace polled longest ago (most likely gone) makes room */
		e = &it->since[0];
		for (size_t i = 1; i < it->since_n; i++)
			if (it->since[i].us < e->us)
				e = &it->since[i];
		e->ns_inode = it->ns_inode;
	} else if (!e) {
		struct tl_ns_since *nu = realloc(it->since, (it->since_n + 1) * sizeof(*nu));
		if (!nu)
			return; /* no memory: the next pass counts every socket as changed */
		it->since = nu;
		e = &it->since[it->since_n++];
		e->ns_inode = it->ns_inode;
	}
	e->us = it->begin_us;
}

#if TL_HAVE_ITER
static int create_iter(void *arg)
{
	int fd = bpf_iter_create(*(int *)arg);
	return fd < 0 ? -errno : fd;
}
#endif

int tl_iter_begin(struct tl_iter *it, const char *netns_path, int flags, uint64_t *ns_inode)
{
#if !TL_HAVE_ITER
	(void)it;
	(void)netns_path;
	(void)flags;
	(void)ns_inode;
	return -ENOSYS;
#else
	struct tl_span span = tl_span_start();
	int full = (flags & TL_ITER_FULL) != 0;
	int link, fd;

	if (!it->skel || !it->parts[0].link)
		return -EBADF;
	end_pass(it);
	link = bpf_link__fd(it->parts[0].link);
	it->skel->bss->full_pass = full || !tl_iter_detects_changes(it);
	it->skel->bss->unowned_only = (flags & TL_ITER_UNOWNED) != 0;
	/* before the iterator exists: activity from here on is this pass's or the next's */
	it->begin_us = tl_clock_ns(CLOCK_MONOTONIC) / 1000; /* tcp_mstamp's clock */
	fd = tl_netns_run(netns_path, create_iter, &link, &it->ns_inode);
	if (fd < 0)
		return fd;
	/* the program runs at read(), so since_us can follow the netns inode.
	 * The slack covers kernels whose walk does not take the socket lock
	 * (before 5.15): a segment whose processing straddled the previous pass's
	 * start may have been read half done; it is emitted once more. */
	struct tl_ns_since *e = find_since(it, it->ns_inode);
	it->skel->bss->since_us = e && e->us > TL_ITER_SLACK_US ? e->us - TL_ITER_SLACK_US : 0;
	tl_iter_read_start(&it->rd, fd);
	it->host = 0;
	it->ts_ns = tl_now_realtime_ns();
	it->st.passes++;
	if (full || !tl_iter_detects_changes(it))
		it->st.full_passes++;
	if (ns_inode)
		*ns_inode = it->ns_inode;
	tl_span_add(&span, &it->st.pass.duration_ns, &it->st.pass.cpu_ns);
	return 0;
#endif
}

int tl_iter_host_up(const struct tl_iter *it)
{
#if TL_HAVE_ITER
	return it->parts[1].link != NULL;
#else
	(void)it;
	return 0;
#endif
}

int tl_iter_begin_host(struct tl_iter *it)
{
#if !TL_HAVE_ITER
	(void)it;
	return -ENOSYS;
#else
	struct tl_span span = tl_span_start();
	int fd;

	if (!it->skel || !it->parts[1].link)
		return -EBADF;
	end_pass(it);
	/* task_file iterators walk the tasks of the creator's pid namespace: ours */
	fd = bpf_iter_create(bpf_link__fd(it->parts[1].link));
	if (fd < 0)
		return -errno;
	tl_iter_read_start(&it->rd, fd);
	it->host = 1;
	it->ns_inode = 0;
	if (it->seen)
		memset(it->seen, 0, it->seen_cap * sizeof(*it->seen));
	it->seen_n = 0;
	it->ts_ns = tl_now_realtime_ns();
	it->st.passes++;
	it->st.full_passes++;
	it->st.host_passes++;
	tl_span_add(&span, &it->st.pass.duration_ns, &it->st.pass.cpu_ns);
	return 0;
#endif
}

/* The row of record r but its TL_SOCK_REC_* fields, which put_cols copies
 * column by column for a run of rows. */
static void put_row(struct tl_iter *it, struct tl_poll_cols *c, uint32_t i, const struct tl_sock_rec *r)
{
	int full = (r->flags & TL_SR_FULL) != 0;

	/* clear_rows zeroed the columns a full socket's row does not set; the
	 * rest of a TIME_WAIT or request socket's row is zeroed here (its
	 * record's TL_SOCK_REC_* fields are zero but ifindex and v6only) */
	if (!full) {
#define TL_IT_ZERO(n, t) memset(&c->n[i], 0, sizeof(c->n[i]));
		TL_POLL_COLUMNS(TL_IT_ZERO)
#undef TL_IT_ZERO
	}
	memcpy(c->src[i], r->saddr, 16);
	memcpy(c->dst[i], r->daddr, 16);
	c->ts_ns[i] = it->ts_ns;
	c->idiag_cookie[i] = r->cookie;
	c->netns_inode[i] = it->host ? r->netns : it->ns_inode;
	c->sport[i] = r->sport;
	c->dport[i] = r->dport;
	c->idiag_family[i] = r->family;
	c->idiag_state[i] = r->state;
	if (!full)
		return;
	/* inet_diag sends TOS for every family (dual-stack sockets), TCLASS for
	 * IPv6, and SKV6ONLY for IPv6 sockets in LISTEN or CLOSE only: the same here */
	c->attrs[i] = TL_ITER_ATTRS | (1u << INET_DIAG_TOS) | (r->family == AF_INET6 ? 1u << INET_DIAG_TCLASS : 0);
	if (r->family == AF_INET6 && (r->state == 10 || r->state == 7))
		c->attrs[i] |= 1u << INET_DIAG_SKV6ONLY;
	c->tcpi_len[i] = (uint16_t)sizeof(struct tl_tcp_info);
	c->tcpi_state[i] = r->state;
	if (r->cong[0] && memcmp(r->cong, it->last_cong, sizeof(r->cong)) != 0) {
		it->last_cong_id = tl_dict_intern(&it->dict, r->cong, strnlen(r->cong, sizeof(r->cong)));
		memcpy(it->last_cong, r->cong, sizeof(r->cong));
	}
	c->cong[i] = r->cong[0] ? it->last_cong_id : 0;
}

#define TL_IT_RUN 64 /* rows put_cols copies at a time */

/* The TL_SOCK_REC_* fields of the records of rows [from, from + n) into
 * their columns, one column at a time: each column's rows are written in
 * sequence (~90 write streams a row, row by row, cost ~1.5x more at 99k
 * sockets: the read()s between batches evict the columns' lines). A request
 * or TIME_WAIT socket's record holds zeros there, but ifindex (idiag_if, as
 * inet_diag) and v6only, which only a full IPv6 socket in LISTEN or CLOSE sends. */
static void put_cols(struct tl_poll_cols *c, uint32_t from, const struct tl_sock_rec *const *recs, uint32_t n)
{
#define TL_IT_COPY(m, col) \
	for (uint32_t k = 0; k < n; k++) \
		c->col[from + k] = recs[k]->m;
	TL_SOCK_REC_U64(TL_IT_COPY)
	TL_SOCK_REC_U32(TL_IT_COPY)
	TL_SOCK_REC_U8(TL_IT_COPY)
#undef TL_IT_COPY
	for (uint32_t k = 0; k < n; k++) {
		const struct tl_sock_rec *r = recs[k];
		if (!(r->flags & TL_SR_FULL) || r->family != AF_INET6 || (r->state != 10 && r->state != 7))
			c->v6only[from + k] = 0;
	}
}

/* Zeroes rows [from, from + n) of the columns this view does not provide:
 * in chunks, column by column, ahead of the rows put_row writes (cheaper
 * than a memset per column per row; a pass that emits little clears little). */
static void clear_rows(const struct tl_iter *it, struct tl_poll_cols *c, uint32_t from, uint32_t n)
{
	size_t k = 0;
#define TL_IT_ZERO(col, t) \
	if (!it->provided[k++]) \
		memset(&c->col[from], 0, sizeof(c->col[0]) * n);
	TL_POLL_COLUMNS(TL_IT_ZERO)
#undef TL_IT_ZERO
}

/* Whole records from the read buffer into the batch. 1 when the batch ends:
 * full, or, in a host pass, before the first record of another namespace (a
 * batch holds one; a process's sockets come together, so batches stay full
 * where each namespace has its own processes). */
static int consume(void *view, void *batch)
{
	struct tl_iter *it = view;
	struct tl_batch *b = batch;
	const uint8_t *p;
	const struct tl_sock_rec *r;
	int resync = 0;

	/* a local copy of the column pointers: put_row's byte stores cannot
	 * alias it, so they are not reloaded after every store */
	struct tl_poll_cols c = b->c;
	/* records of rows [run_from, b->rows) not yet in put_cols' columns:
	 * pointers into the read buffer, valid until the next read() */
	const struct tl_sock_rec *run[TL_IT_RUN];
	uint32_t run_from = b->rows, run_n = 0;
	int end = 0;

	while (b->rows < b->capacity &&
	       (p = tl_iter_read_record(&it->rd, offsetof(struct tl_sock_rec, kind), TL_REC_SOCK, sizeof(*r), &resync,
					&it->st.pass.malformed))) {
		r = (const struct tl_sock_rec *)p; /* 8-aligned: records are, and the buffer moves by 8 */
		if (it->host) {
			if (b->rows > 0 && r->netns != c.netns_inode[0]) {
				end = 1;
				break;
			}
			if (!seen_first(it, r->inode)) {
				it->st.host_dups++;
				it->rd.off += sizeof(*r);
				continue;
			}
		}
		if (b->rows >= it->zeroed) {
			uint32_t n = b->capacity - it->zeroed < 64 ? b->capacity - it->zeroed : 64;
			clear_rows(it, &c, it->zeroed, n);
			it->zeroed += n;
		}
		put_row(it, &c, b->rows++, r);
		run[run_n++] = r;
		if (run_n == TL_IT_RUN) {
			put_cols(&c, run_from, run, run_n);
			run_from += run_n;
			run_n = 0;
		}
		it->st.pass.records++;
		it->rd.off += sizeof(*r);
	}
	if (run_n)
		put_cols(&c, run_from, run, run_n);
	return end || (b->rows == b->capacity && b->capacity > 0);
}

static void drop(void *view)
{
	end_pass(view); /* what the pass held or never read */
}

int tl_iter_fill(struct tl_iter *it, struct tl_batch *b, int *done)
{
	int host = it->host, live = it->rd.fd >= 0, rc;

	it->zeroed = 0;
	rc = tl_iter_read_fill(&it->rd, &it->st.pass, &b->rows, consume, drop, it, b, done);
	if (rc == 0 && *done && live && !host)
		pass_whole(it);
	return rc;
}

void tl_iter_stats(struct tl_iter *it, struct tl_iter_stats *st)
{
#if TL_HAVE_ITER
	if (it->skel && it->skel->bss) {
		it->st.socks_seen = it->skel->bss->socks_seen;
		it->st.socks_emitted = it->skel->bss->socks_emitted;
		it->st.socks_unchanged = it->skel->bss->socks_unchanged;
		it->st.write_errors = it->skel->bss->write_errors;
		it->st.host_seen = it->skel->bss->host_seen;
		it->st.seq_retries = it->skel->bss->seq_retries;
		it->st.bpf_run_ns = it->st.bpf_runs = 0;
		for (int k = 0; k < TL_ITER_NPARTS; k++) {
			uint64_t ns, runs;
			if (tl_part_runs(&tl_iter_parts[k], &it->parts[k], it->skel->obj, &ns, &runs) == 0) {
				it->st.bpf_run_ns += ns;
				it->st.bpf_runs += runs;
			}
		}
	}
#endif
	*st = it->st;
}

struct tl_dict *tl_iter_names(struct tl_iter *it)
{
	return &it->dict;
}

void tl_iter_close(struct tl_iter *it)
{
	if (!it)
		return;
	end_pass(it);
#if TL_HAVE_ITER
	if (it->skel) {
		struct tl_iter_stats st;
		tl_iter_stats(it, &st); /* keep the BPF-side totals readable after close */
	}
	tl_parts_unload(it->parts, TL_ITER_NPARTS, &it_ops, it, &it->stats_fd);
#endif
}

void tl_iter_free(struct tl_iter *it)
{
	if (!it)
		return;
	tl_iter_close(it);
	free(it->seen);
	free(it->since);
	tl_iter_read_free(&it->rd);
	free(it);
}
