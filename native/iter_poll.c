/* The iterator poll's C core (see iter_poll.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include "iter_poll.h"
#include "clock.h"
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
	{ "poll_tcp", TL_ITP_poll_tcp, NULL,
	  "iter/tcp (5.9+), bpf_sk_storage_get in iterators (5.11+), bpf_get_socket_cookie in tracing (5.12+)" },
	{ "poll_tcp_rd", TL_ITP_poll_tcp_rd, NULL,
	  "iter/tcp (5.9+), bpf_sk_storage_get in iterators (5.11+); cookies read, not generated" },
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

#define TL_ITER_BUF (128u << 10) /* > the iterator's seq_file buffer (8 pages) */

struct tl_iter {
#if TL_HAVE_ITER
	struct tcp_iter *skel;
	struct tl_part_state parts[TL_ITER_NPARTS];
	int loaded;
	int stats_fd;
#endif
	int fd; /* the pass being read, or -1 */
	int eof;
	int host;	/* the pass is the host pass: rows carry their own netns, deduplicated by inode */
	uint32_t *seen; /* host pass: socket inodes emitted (open addressing, 0 = empty) */
	size_t seen_cap, seen_n;
	uint64_t ns_inode, ts_ns;
	uint8_t *buf;
	size_t off, len;
	struct tl_dict dict;
	struct tl_iter_stats st;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *tl_iter_unbuilt_reason(void)
{
	return TL_HAVE_ITER ? ""
			    : "not built: bpf/.output/tcp_iter.skel.h was missing when the addon was built "
			      "(needs clang, bpftool, libbpf-dev and kernel BTF; run npm run build)";
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

static void unbuilt_parts(struct tl_part_info *parts)
{
	if (!parts)
		return;
	for (int i = 0; i < TL_ITER_NPARTS; i++) {
		memset(&parts[i], 0, sizeof(parts[i]));
		parts[i].part = tl_iter_parts[i].name;
		parts[i].prog = "";
		snprintf(parts[i].why, sizeof(parts[i].why), "%s", tl_iter_unbuilt_reason());
	}
}

int tl_iter_open(struct tl_iter **out, const struct tl_iter_opts *o, struct tl_part_info *parts, char *err,
		 size_t errlen)
{
	*out = NULL;
	if (errlen)
		err[0] = '\0';
#if !TL_HAVE_ITER
	(void)o;
	unbuilt_parts(parts);
	snprintf(err, errlen, "%s", tl_iter_unbuilt_reason());
	return -ENOSYS;
#else
	struct tl_iter *it = calloc(1, sizeof(*it));
	int rc;

	if (!it || !(it->buf = malloc(TL_ITER_BUF))) {
		free(it);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	it->fd = -1;
	it->stats_fd = o && o->run_stats ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;
	rc = tl_parts_load(tl_iter_parts, TL_ITER_NPARTS, it->parts, &it_ops, it, err, errlen);
	it->loaded = 1;
	if (parts)
		tl_parts_info(tl_iter_parts, it->parts, TL_ITER_NPARTS, parts);
	if (rc == 0) {
		snprintf(err, errlen, "the iterator poll does not load on this kernel: %s; host pass: %s",
			 it->parts[0].why, it->parts[1].why);
		rc = -EOPNOTSUPP;
	}
	if (rc < 0) {
		if (parts)
			tl_parts_fail_all(parts, TL_ITER_NPARTS, err);
		tl_iter_free(it);
		return rc;
	}
	*out = it;
	return 0;
#endif
}

void tl_iter_parts_info(const struct tl_iter *it, struct tl_part_info *parts)
{
#if TL_HAVE_ITER
	if (it->loaded) {
		tl_parts_info(tl_iter_parts, it->parts, TL_ITER_NPARTS, parts);
		return;
	}
#endif
	(void)it;
	unbuilt_parts(parts);
}

int tl_iter_detects_changes(const struct tl_iter *it)
{
#if TL_HAVE_ITER
	return it->parts[0].variant >= 0 && it->parts[0].variant != TL_ITP_poll_tcp_all;
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

static void end_pass(struct tl_iter *it)
{
	if (it->fd >= 0) {
		if (!it->eof || it->len > it->off)
			it->st.dropped += (it->len - it->off) / sizeof(struct tl_sock_rec) + !it->eof;
		close(it->fd);
	}
	it->fd = -1;
	it->off = it->len = 0;
	it->eof = 0;
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
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	int full = (flags & TL_ITER_FULL) != 0;
	int link, fd;

	if (!it->skel || !it->parts[0].link)
		return -EBADF;
	end_pass(it);
	link = bpf_link__fd(it->parts[0].link);
	it->skel->bss->full_pass = full;
	it->skel->bss->unowned_only = (flags & TL_ITER_UNOWNED) != 0;
	fd = tl_netns_run(netns_path, create_iter, &link, &it->ns_inode);
	if (fd < 0)
		return fd;
	it->fd = fd;
	it->host = 0;
	it->ts_ns = tl_now_realtime_ns();
	it->st.passes++;
	if (full || !tl_iter_detects_changes(it))
		it->st.full_passes++;
	if (ns_inode)
		*ns_inode = it->ns_inode;
	it->st.duration_ns += clock_ns(CLOCK_MONOTONIC) - t0;
	it->st.cpu_ns += clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
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
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	int fd;

	if (!it->skel || !it->parts[1].link)
		return -EBADF;
	end_pass(it);
	/* task_file iterators walk the tasks of the creator's pid namespace: ours */
	fd = bpf_iter_create(bpf_link__fd(it->parts[1].link));
	if (fd < 0)
		return -errno;
	it->fd = fd;
	it->host = 1;
	it->ns_inode = 0;
	if (it->seen)
		memset(it->seen, 0, it->seen_cap * sizeof(*it->seen));
	it->seen_n = 0;
	it->ts_ns = tl_now_realtime_ns();
	it->st.passes++;
	it->st.full_passes++;
	it->st.host_passes++;
	it->st.duration_ns += clock_ns(CLOCK_MONOTONIC) - t0;
	it->st.cpu_ns += clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	return 0;
#endif
}

static void put_row(struct tl_iter *it, struct tl_poll_cols *c, uint32_t i, const struct tl_sock_rec *r)
{
	int full = (r->flags & TL_SR_FULL) != 0;

#define TL_IT_ZERO(n, t) memset(&c->n[i], 0, sizeof(c->n[i]));
	TL_POLL_COLUMNS(TL_IT_ZERO)
#undef TL_IT_ZERO
	memcpy(c->src[i], r->saddr, 16);
	memcpy(c->dst[i], r->daddr, 16);
	c->ts_ns[i] = it->ts_ns;
	c->idiag_cookie[i] = r->cookie;
	c->netns_inode[i] = it->host ? r->netns : it->ns_inode;
	c->sport[i] = r->sport;
	c->dport[i] = r->dport;
	c->idiag_family[i] = r->family;
	c->idiag_state[i] = r->state;
	if (!full) {
		c->idiag_if[i] = r->ifindex;
		return;
	}
	/* inet_diag sends TOS for every family (dual-stack sockets), TCLASS for
	 * IPv6, and SKV6ONLY for IPv6 sockets in LISTEN or CLOSE only: the same here */
	c->attrs[i] = TL_ITER_ATTRS | (1u << INET_DIAG_TOS) | (r->family == AF_INET6 ? 1u << INET_DIAG_TCLASS : 0);
	int v6only_sent = r->family == AF_INET6 && (r->state == 10 || r->state == 7);
	if (v6only_sent)
		c->attrs[i] |= 1u << INET_DIAG_SKV6ONLY;
	c->tcpi_len[i] = (uint16_t)sizeof(struct tl_tcp_info);
	c->tcpi_state[i] = r->state;
	c->cong[i] = r->cong[0] ? tl_dict_intern(&it->dict, r->cong, strnlen(r->cong, sizeof(r->cong))) : 0;
#define TL_IT_COPY(m, col) c->col[i] = r->m;
	TL_SOCK_REC_U64(TL_IT_COPY)
	TL_SOCK_REC_U32(TL_IT_COPY)
	TL_SOCK_REC_U8(TL_IT_COPY)
#undef TL_IT_COPY
	if (!v6only_sent)
		c->v6only[i] = 0;
}

/* Whole records from the read buffer into b; after a bad header,
 * resynchronise 8 bytes further on. A host pass's batch holds one namespace:
 * it ends before the first record of another (a process's sockets come
 * together, so batches stay full where each namespace has its own processes). */
static int consume(struct tl_iter *it, struct tl_batch *b)
{
	struct tl_sock_rec r;
	int resync = 0;

	while (it->len - it->off >= sizeof(r) && b->rows < b->capacity) {
		memcpy(&r, it->buf + it->off, sizeof(r));
		if (r.kind != TL_REC_SOCK || r.size != sizeof(r)) {
			if (!resync)
				it->st.malformed++;
			resync = 1;
			it->off += 8;
			continue;
		}
		resync = 0;
		if (it->host) {
			if (b->rows > 0 && r.netns != b->c.netns_inode[0])
				return 1;
			if (!seen_first(it, r.inode)) {
				it->st.host_dups++;
				it->off += sizeof(r);
				continue;
			}
		}
		put_row(it, &b->c, b->rows++, &r);
		it->st.records++;
		it->off += sizeof(r);
	}
	return 0;
}

int tl_iter_fill(struct tl_iter *it, struct tl_batch *b, int *done)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	int rc = 0;

	*done = 1;
	b->rows = 0;
	if (it->fd < 0)
		return 0;
	*done = 0;
	for (;;) {
		if (consume(it, b)) /* a host pass's batch ended at another namespace's record */
			break;
		if (b->rows == b->capacity && b->capacity > 0)
			break;
		if (it->eof) {
			if (it->len > it->off)
				it->st.malformed++; /* a truncated record at the end */
			it->off = it->len;
			end_pass(it);
			*done = 1;
			break;
		}
		memmove(it->buf, it->buf + it->off, it->len - it->off);
		it->len -= it->off;
		it->off = 0;
		ssize_t n = read(it->fd, it->buf + it->len, TL_ITER_BUF - it->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			it->st.read_errors++;
			end_pass(it);
			*done = 1;
			break;
		}
		if (n == 0)
			it->eof = 1;
		it->len += (size_t)n;
		it->st.bytes += (uint64_t)n;
	}
	if (b->rows) {
		it->st.batches++;
		it->st.rows += b->rows;
	}
	it->st.duration_ns += clock_ns(CLOCK_MONOTONIC) - t0;
	it->st.cpu_ns += clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	return rc;
}

void tl_iter_stats(struct tl_iter *it, struct tl_iter_stats *st)
{
#if TL_HAVE_ITER
	if (it->skel && it->skel->bss) {
		int v = it->parts[0].variant;
		it->st.socks_seen = it->skel->bss->socks_seen;
		it->st.socks_emitted = it->skel->bss->socks_emitted;
		it->st.socks_unchanged = it->skel->bss->socks_unchanged;
		it->st.write_errors = it->skel->bss->write_errors;
		it->st.host_seen = it->skel->bss->host_seen;
		it->st.seq_retries = it->skel->bss->seq_retries;
		it->st.bpf_run_ns = it->st.bpf_runs = 0;
		for (int k = 0; k < TL_ITER_NPARTS; k++) {
			v = it->parts[k].variant;
			if (v < 0)
				continue;
			const struct bpf_program *p =
				bpf_object__find_program_by_name(it->skel->obj, tl_iter_parts[k].variants[v].prog);
			struct bpf_prog_info info;
			__u32 len = sizeof(info);
			memset(&info, 0, sizeof(info));
			if (p && bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0) {
				it->st.bpf_run_ns += info.run_time_ns;
				it->st.bpf_runs += info.run_cnt;
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
	tl_parts_detach(it->parts, TL_ITER_NPARTS);
	tcp_iter__destroy(it->skel);
	it->skel = NULL;
	if (it->stats_fd >= 0)
		close(it->stats_fd);
	it->stats_fd = -1;
#endif
}

void tl_iter_free(struct tl_iter *it)
{
	if (!it)
		return;
	tl_iter_close(it);
	free(it->seen);
	free(it->buf);
	free(it);
}
