/* The samples view's C core (see sampler.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sampler.h"
#include "clock.h"

#if __has_include("task_sampler.skel.h")
#define TL_HAVE_SAMPLER 1
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "task_sampler.skel.h"
#else
#define TL_HAVE_SAMPLER 0
#endif
#include "../bpf/task_sampler.h"
_Static_assert(TL_TF_ON_CPU == TL_SMF_ON_CPU && TL_TF_RUNNABLE == TL_SMF_RUNNABLE &&
	       TL_TF_IN_SYSCALL == TL_SMF_IN_SYSCALL && TL_TF_SOCKET == TL_SMF_SOCKET &&
	       TL_TF_NO_COOKIE == TL_SMF_NO_COOKIE && TL_TF_KTHREAD == TL_SMF_KTHREAD,
	       "wire flags are the column flags");

/* ---- layouts ---------------------------------------------------------- */

static const struct tl_coldef sample_defs[] = {
#define TL_SDEF(n, t) { #n, TL_##t },
	TL_SAMPLE_COLUMNS(TL_SDEF)
#undef TL_SDEF
};
static const struct tl_coldef owner_defs[] = {
#define TL_ODEF(n, t) { #n, TL_##t },
	TL_OWNER_COLUMNS(TL_ODEF)
#undef TL_ODEF
};

size_t tl_sample_layout(enum tl_sample_pass pass, uint32_t capacity, struct tl_column_desc *desc)
{
	if (pass == TL_PASS_OWNERS)
		return tl_layout_place(owner_defs, TL_OWNER_NCOLS, capacity, desc);
	return tl_layout_place(sample_defs, TL_SAMPLE_NCOLS, capacity, desc);
}

int tl_sample_batch_bind(struct tl_sample_batch *b, enum tl_sample_pass pass,
			 void *buf, size_t bytes, uint32_t capacity)
{
	struct tl_column_desc desc[TL_SAMPLE_NCOLS > TL_OWNER_NCOLS ? TL_SAMPLE_NCOLS : TL_OWNER_NCOLS];
	size_t need = tl_sample_layout(pass, capacity, desc), i = 0;
	uint8_t *base = (uint8_t *)buf;

	if (bytes < need || ((uintptr_t)buf & 7u))
		return -1;
	if (pass == TL_PASS_OWNERS) {
#define TL_OBIND(n, t) b->c.own.n = (TL_CTYPE_##t *)(base + desc[i++].offset);
		TL_OWNER_COLUMNS(TL_OBIND)
#undef TL_OBIND
	} else {
#define TL_SBIND(n, t) b->c.task.n = (TL_CTYPE_##t *)(base + desc[i++].offset);
		TL_SAMPLE_COLUMNS(TL_SBIND)
#undef TL_SBIND
	}
	b->capacity = capacity;
	b->rows = 0;
	return 0;
}

/* ---- comm dictionary: open addressing, ids 1..TL_COMM_MAX ------------- */

#define TL_COMM_MAX 65535u
#define TL_COMM_SLOTS (1u << 17) /* power of two, > 2 * TL_COMM_MAX */
#define TL_COMM_LEN 16

struct tl_comm_dict {
	uint32_t *slots;             /* id or 0 */
	char (*names)[TL_COMM_LEN];  /* names[id - 1] */
	uint32_t count, cap, reported;
};

static uint32_t comm_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < TL_COMM_LEN && s[i]; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* 0 when the dictionary is full (or out of memory). */
static uint32_t comm_intern(struct tl_comm_dict *d, const uint8_t *raw)
{
	char s[TL_COMM_LEN];
	uint32_t h, id;

	memcpy(s, raw, TL_COMM_LEN);
	s[TL_COMM_LEN - 1] = '\0';
	for (int i = (int)strnlen(s, TL_COMM_LEN); i < TL_COMM_LEN; i++)
		s[i] = '\0'; /* equal names compare equal byte for byte */
	if (!d->slots && !(d->slots = calloc(TL_COMM_SLOTS, sizeof(uint32_t))))
		return 0;
	for (h = comm_hash(s) & (TL_COMM_SLOTS - 1);; h = (h + 1) & (TL_COMM_SLOTS - 1)) {
		id = d->slots[h];
		if (!id)
			break;
		if (memcmp(d->names[id - 1], s, TL_COMM_LEN) == 0)
			return id;
	}
	if (d->count >= TL_COMM_MAX)
		return 0;
	if (d->count == d->cap) {
		uint32_t ncap = d->cap ? d->cap * 2 : 256;
		void *p = realloc(d->names, (size_t)ncap * TL_COMM_LEN);
		if (!p)
			return 0;
		d->names = p;
		d->cap = ncap;
	}
	memcpy(d->names[d->count], s, TL_COMM_LEN);
	d->slots[h] = ++d->count;
	return d->count;
}

/* ---- the sampler ------------------------------------------------------- */

#define TL_READ_BUF (128u << 10) /* > the iterator's seq_file buffer (8 pages) */

struct tl_sampler {
#if TL_HAVE_SAMPLER
	struct task_sampler *skel;
	struct bpf_link *links[2];
	int stats_fd;           /* BPF_STATS_RUN_TIME kept on while >= 0 */
#endif
	int iter_fd;            /* the pass being read, or -1 */
	enum tl_sample_pass pass;
	int eof;
	uint8_t *buf;
	size_t off, len;        /* unconsumed bytes are buf[off, len) */
	uint64_t pass_ts;
	uint32_t pass_seq;
	struct tl_comm_dict dict;
	struct tl_sampler_stats st;
};

static uint64_t cpu_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *tl_sampler_unbuilt_reason(void)
{
	return TL_HAVE_SAMPLER ? "" :
		"not built: bpf/.output/task_sampler.skel.h was missing when the addon was built "
		"(needs clang, bpftool, libbpf-dev and kernel BTF; run npm run build)";
}

#if TL_HAVE_SAMPLER
/* libbpf's messages while opening, kept instead of printed: the last
 * warning is the one-line reason the caller reports. */
static __thread char *cap_err;
static __thread size_t cap_len;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	if (level == LIBBPF_DEBUG || !cap_err || !cap_len)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strcspn(line, "\n");
	line[n] = '\0';
	if (n > 0) /* libbpf's lines start with "libbpf: " already */
		snprintf(cap_err, cap_len, "%s", strncmp(line, "libbpf: ", 8) == 0 ? line + 8 : line);
	return 0;
}
#endif

int tl_sampler_open(struct tl_sampler **out, const struct tl_sampler_opts *o, char *err, size_t errlen)
{
	*out = NULL;
	if (errlen)
		err[0] = '\0';
#if !TL_HAVE_SAMPLER
	(void)o;
	snprintf(err, errlen, "%s", tl_sampler_unbuilt_reason());
	return -ENOSYS;
#else
	struct tl_sampler *s;
	int rc = 0;
	const char *step = "open";
	libbpf_print_fn_t prev;

	s = calloc(1, sizeof(*s));
	if (!s || !(s->buf = malloc(TL_READ_BUF))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->iter_fd = -1;
	s->stats_fd = o->run_stats ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;
	cap_err = err;
	cap_len = errlen;
	prev = libbpf_set_print(capture_print);
	s->skel = task_sampler__open();
	if (!s->skel) {
		rc = -errno;
		goto fail;
	}
	s->skel->rodata->filter_tgid = o->tgid;
	s->skel->rodata->all_tasks = o->all_tasks != 0;
	step = "load";
	rc = task_sampler__load(s->skel);
	if (rc)
		goto fail;
	step = "attach iter/task";
	s->links[0] = bpf_program__attach_iter(s->skel->progs.sample_tasks, NULL);
	if (!s->links[0]) {
		rc = -errno;
		goto fail;
	}
	step = "attach iter/task_file";
	s->links[1] = bpf_program__attach_iter(s->skel->progs.sample_owners, NULL);
	if (!s->links[1]) {
		rc = -errno;
		goto fail;
	}
	libbpf_set_print(prev);
	cap_err = NULL;
	*out = s;
	return 0;
fail:
	libbpf_set_print(prev);
	cap_err = NULL;
	if (rc >= 0)
		rc = -EINVAL;
	{
		char why[200];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s failed: %s%s%s%s", step, strerror(-rc), why[0] ? " (libbpf: " : "", why, why[0] ? ")" : "");
	}
	tl_sampler_free(s);
	return rc;
#endif
}

static void end_pass(struct tl_sampler *s)
{
	if (s->iter_fd >= 0)
		close(s->iter_fd);
	s->iter_fd = -1;
	s->off = s->len = 0;
	s->eof = 0;
}

/* Records of the pass that will never be read, when a pass is cut short. */
static void drop_rest(struct tl_sampler *s)
{
	size_t rec = s->pass == TL_PASS_OWNERS ? sizeof(struct tl_owner_rec) : sizeof(struct tl_task_rec);

	if (s->iter_fd >= 0 && s->len > s->off)
		s->st.dropped += (s->len - s->off + rec - 1) / rec;
	if (s->iter_fd >= 0 && !s->eof)
		s->st.dropped++; /* at least one more record was never read */
	end_pass(s);
}

struct tl_sampler *tl_sampler_new_replay(void)
{
	struct tl_sampler *s = calloc(1, sizeof(*s));

	if (s && !(s->buf = malloc(TL_READ_BUF))) {
		free(s);
		return NULL;
	}
	if (s) {
		s->iter_fd = -1;
#if TL_HAVE_SAMPLER
		s->stats_fd = -1;  /* calloc's 0 would be stdin */
#endif
	}
	return s;
}

int tl_sampler_begin_fd(struct tl_sampler *s, enum tl_sample_pass pass, int fd)
{
	drop_rest(s);
	s->iter_fd = fd;
	s->pass = pass;
	s->pass_ts = tl_now_realtime_ns();
	s->pass_seq++;
	s->st.iterations++;
	if (pass == TL_PASS_OWNERS)
		s->st.owner_passes++;
	else
		s->st.task_passes++;
	return 0;
}

int tl_sampler_begin(struct tl_sampler *s, enum tl_sample_pass pass)
{
#if !TL_HAVE_SAMPLER
	(void)s; (void)pass;
	return -ENOSYS;
#else
	uint64_t t0 = mono_now_ns(), c0 = cpu_now_ns();
	int fd;

	if (!s->skel)
		return -EBADF;
	fd = bpf_iter_create(bpf_link__fd(s->links[pass == TL_PASS_OWNERS]));
	if (fd < 0)
		return -errno;
	tl_sampler_begin_fd(s, pass, fd);
	s->st.duration_ns += mono_now_ns() - t0;
	s->st.cpu_ns += cpu_now_ns() - c0;
	return 0;
#endif
}

static void put_task(struct tl_sampler *s, struct tl_sample_cols *c, uint32_t i, const struct tl_task_rec *r)
{
	memcpy(c->src[i], r->saddr, 16);
	memcpy(c->dst[i], r->daddr, 16);
	c->ts_ns[i] = s->pass_ts;
	c->idiag_cookie[i] = r->cookie;
	c->netns_inode[i] = r->netns_inode;
	c->cgroup_id[i] = r->cgroup_id;
	c->sample_seq[i] = s->pass_seq;
	c->pid[i] = r->pid;
	c->tgid[i] = r->tgid;
	c->comm[i] = comm_intern(&s->dict, r->comm);
	if (!c->comm[i])
		s->st.comm_overflow++;
	c->task_state[i] = r->state;
	c->syscall_nr[i] = r->syscall_nr;
	c->idiag_inode[i] = r->ino;
	c->sport[i] = r->sport;
	c->dport[i] = r->dport;
	c->idiag_family[i] = r->family;
	c->idiag_state[i] = r->sk_state;
	c->flags[i] = r->flags;
}

static void put_owner(struct tl_sampler *s, struct tl_owner_cols *c, uint32_t i, const struct tl_owner_rec *r)
{
	c->idiag_cookie[i] = r->cookie;
	c->netns_inode[i] = r->netns_inode;
	c->cgroup_id[i] = r->cgroup_id;
	c->idiag_inode[i] = r->ino;
	c->tgid[i] = r->tgid;
	c->pid[i] = r->pid;
	c->fd[i] = r->fd;
	c->comm[i] = comm_intern(&s->dict, r->comm);
	if (!c->comm[i])
		s->st.comm_overflow++;
}

/* Moves whole records from the read buffer into b. Records are 8-byte
 * multiples: after a bad header, resynchronise 8 bytes further on. */
static void consume(struct tl_sampler *s, struct tl_sample_batch *b)
{
	uint16_t want_kind = s->pass == TL_PASS_OWNERS ? TL_REC_OWNER : TL_REC_TASK;
	uint16_t want_size = s->pass == TL_PASS_OWNERS ? sizeof(struct tl_owner_rec) : sizeof(struct tl_task_rec);
	/* the kind/size header sits after the u64 and byte-array members */
	size_t hdr = s->pass == TL_PASS_OWNERS ? offsetof(struct tl_owner_rec, kind) : offsetof(struct tl_task_rec, kind);
	int resync = 0;

	while (s->len - s->off >= want_size && b->rows < b->capacity) {
		const uint8_t *p = s->buf + s->off;
		uint16_t kind, size;

		memcpy(&kind, p + hdr, 2);
		memcpy(&size, p + hdr + 2, 2);
		if (kind != want_kind || size != want_size) {
			if (!resync)
				s->st.malformed++;
			resync = 1;
			s->off += 8;
			continue;
		}
		resync = 0;
		if (s->pass == TL_PASS_OWNERS) {
			struct tl_owner_rec r;
			memcpy(&r, p, sizeof(r));
			put_owner(s, &b->c.own, b->rows, &r);
		} else {
			struct tl_task_rec r;
			memcpy(&r, p, sizeof(r));
			put_task(s, &b->c.task, b->rows, &r);
		}
		b->rows++;
		s->st.records++;
		s->off += want_size;
	}
}

int tl_sampler_fill(struct tl_sampler *s, struct tl_sample_batch *b, int *done)
{
	uint64_t t0 = mono_now_ns(), c0 = cpu_now_ns();
	int rc = 0;

	*done = 1;
	b->rows = 0;
	if (s->iter_fd < 0)
		return 0;
	*done = 0;
	for (;;) {
		consume(s, b);
		if (b->rows == b->capacity && b->capacity > 0) {
			if (s->len > s->off || !s->eof)
				s->st.carried++;
			break;
		}
		if (s->eof) {
			if (s->len > s->off)
				s->st.malformed++; /* a truncated record at the end */
			end_pass(s);
			*done = 1;
			break;
		}
		/* keep the partial record at the front, read more behind it */
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
		ssize_t n = read(s->iter_fd, s->buf + s->len, TL_READ_BUF - s->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			s->st.read_errors++;
			drop_rest(s);
			*done = 1;
			break;
		}
		if (n == 0)
			s->eof = 1;
		s->len += (size_t)n;
		s->st.bytes += (uint64_t)n;
	}
	if (b->rows) {
		s->st.batches++;
		s->st.rows += b->rows;
	}
	s->st.duration_ns += mono_now_ns() - t0;
	s->st.cpu_ns += cpu_now_ns() - c0;
	return rc;
}

#if TL_HAVE_SAMPLER
static void prog_runs(const struct bpf_program *p, uint64_t *ns, uint64_t *cnt)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0) {
		*ns = info.run_time_ns;
		*cnt = info.run_cnt;
	}
}
#endif

void tl_sampler_stats(struct tl_sampler *s, struct tl_sampler_stats *st)
{
	*st = s->st;
#if TL_HAVE_SAMPLER
	if (s->skel && s->skel->bss) {
		st->tasks_seen = s->skel->bss->tasks_seen;
		st->tasks_emitted = s->skel->bss->tasks_emitted;
		st->write_errors = s->skel->bss->write_errors;
		s->st.tasks_seen = st->tasks_seen;
		s->st.tasks_emitted = st->tasks_emitted;
		s->st.write_errors = st->write_errors;
		prog_runs(s->skel->progs.sample_tasks, &st->bpf_run_ns_tasks, &st->bpf_runs_tasks);
		prog_runs(s->skel->progs.sample_owners, &st->bpf_run_ns_owners, &st->bpf_runs_owners);
		s->st.bpf_run_ns_tasks = st->bpf_run_ns_tasks;
		s->st.bpf_runs_tasks = st->bpf_runs_tasks;
		s->st.bpf_run_ns_owners = st->bpf_run_ns_owners;
		s->st.bpf_runs_owners = st->bpf_runs_owners;
	}
#endif
}

uint32_t tl_sampler_new_names(struct tl_sampler *s, uint32_t *from)
{
	*from = s->dict.reported;
	s->dict.reported = s->dict.count;
	return s->dict.count;
}

const char *tl_sampler_name(struct tl_sampler *s, uint32_t id)
{
	return id >= 1 && id <= s->dict.count ? s->dict.names[id - 1] : "";
}

uint64_t tl_sampler_pass_ts(struct tl_sampler *s) { return s->pass_ts; }
uint32_t tl_sampler_pass_seq(struct tl_sampler *s) { return s->pass_seq; }

void tl_sampler_close(struct tl_sampler *s)
{
	if (!s)
		return;
	drop_rest(s);
#if TL_HAVE_SAMPLER
	/* keep the BPF-side totals readable after close */
	if (s->skel) {
		struct tl_sampler_stats st;
		tl_sampler_stats(s, &st);
	}
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(s->links[i]);
		s->links[i] = NULL;
	}
	task_sampler__destroy(s->skel);
	s->skel = NULL;
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	s->stats_fd = -1;
#endif
}

void tl_sampler_free(struct tl_sampler *s)
{
	if (!s)
		return;
	tl_sampler_close(s);
	free(s->buf);
	free(s->dict.slots);
	free(s->dict.names);
	free(s);
}
