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
#include "comm_dict.h"
#include "iter_read.h"
#include "bpf_parts.h"

#if __has_include("task_sampler.skel.h")
#define TL_HAVE_SAMPLER 1
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "task_sampler.skel.h"
#else
#define TL_HAVE_SAMPLER 0
#endif
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

int tl_sample_batch_bind(struct tl_sample_batch *b, enum tl_sample_pass pass, void *buf, size_t bytes,
			 uint32_t capacity)
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

/* The view's parts, each in the variants bpf/task_sampler.bpf.c writes, best
 * first; the loader runs per part the first one the kernel accepts. */
static const struct tl_variant v_tasks[] = {
	{ "sample_tasks", TL_SMP_sample_tasks, "bpf_rdonly_cast",
	  "iter/task (5.8+), the bpf_rdonly_cast kfunc (6.2+)" },
	{ "sample_tasks_rd", TL_SMP_sample_tasks_rd, NULL, "iter/task (5.8+), bpf_task_pt_regs (5.15+)" },
	{ "sample_tasks_stack", TL_SMP_sample_tasks_stack, NULL, "iter/task (5.8+)" },
};
static const struct tl_variant v_owners[] = {
	{ "sample_owners", TL_SMP_sample_owners, NULL,
	  "iter/task_file (5.8+), bpf_sock_from_file (5.11+), bpf_get_socket_cookie on its socket (refused by 6.18)" },
	{ "sample_owners_rd", TL_SMP_sample_owners_rd, NULL, "iter/task_file (5.8+); cookies read, not generated" },
};
const struct tl_part tl_sampler_parts[TL_SAMPLER_NPARTS] = {
	[TL_PASS_TASKS] = { "tasks", v_tasks, (int)(sizeof(v_tasks) / sizeof(v_tasks[0])) },
	[TL_PASS_OWNERS] = { "owners", v_owners, (int)(sizeof(v_owners) / sizeof(v_owners[0])) },
};

/* ---- the sampler ------------------------------------------------------- */

struct tl_sampler {
#if TL_HAVE_SAMPLER
	struct task_sampler *skel;
	struct tl_part_state parts[TL_SAMPLER_NPARTS]; /* indexed by enum tl_sample_pass */
	const struct tl_sampler_opts *opts;	       /* while opening */
	int stats_fd;				       /* BPF_STATS_RUN_TIME kept on while >= 0 */
#endif
	struct tl_iter_read rd; /* the pass being read */
	enum tl_sample_pass pass;
	uint64_t pass_ts;
	uint32_t pass_seq;
	struct tl_comm_dict dict;
	struct tl_sampler_stats st;
};

const char *tl_sampler_unbuilt_reason(void)
{
	return TL_HAVE_SAMPLER ? "" : TL_SKEL_MISSING("task_sampler");
}

#if TL_HAVE_SAMPLER
static struct bpf_object *sm_open(void *view, uint32_t refuse)
{
	struct tl_sampler *s = view;

	s->skel = task_sampler__open();
	if (!s->skel)
		return NULL;
	s->skel->rodata->filter_tgid = s->opts->tgid;
	s->skel->rodata->all_tasks = s->opts->all_tasks != 0;
	s->skel->rodata->skip_tgid = s->opts->skip_tgid;
	s->skel->rodata->refuse = refuse;
	return s->skel->obj;
}

static int sm_load(void *view)
{
	return task_sampler__load(((struct tl_sampler *)view)->skel);
}

static void sm_destroy(void *view)
{
	struct tl_sampler *s = view;
	task_sampler__destroy(s->skel);
	s->skel = NULL;
}

static const struct tl_parts_ops sm_ops = { sm_open, sm_load, sm_destroy };
#endif

int tl_sampler_open(struct tl_sampler **out, const struct tl_sampler_opts *o, struct tl_part_info *parts, char *err,
		    size_t errlen)
{
	*out = NULL;
	if (errlen)
		err[0] = '\0';
#if !TL_HAVE_SAMPLER
	(void)o;
	return tl_parts_unbuilt(tl_sampler_parts, TL_SAMPLER_NPARTS, parts, tl_sampler_unbuilt_reason(), err, errlen);
#else
	struct tl_sampler *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s || tl_iter_read_init(&s->rd) < 0) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->stats_fd = o->run_stats ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;
	s->opts = o;
	rc = tl_parts_load(tl_sampler_parts, TL_SAMPLER_NPARTS, s->parts, &sm_ops, s, err, errlen);
	s->opts = NULL;
	if (rc == 0) {
		snprintf(err, errlen, "no part of the samples view loads on this kernel: tasks: %s. owners: %s.",
			 s->parts[TL_PASS_TASKS].why, s->parts[TL_PASS_OWNERS].why);
		rc = -EOPNOTSUPP;
	}
	if (tl_parts_opened(tl_sampler_parts, s->parts, TL_SAMPLER_NPARTS, rc, err, parts) < 0) {
		tl_sampler_free(s);
		return rc;
	}
	*out = s;
	return 0;
#endif
}

/* Records of the pass that will never be read, when a pass is cut short. */
static void drop_rest(struct tl_sampler *s)
{
	size_t rec = s->pass == TL_PASS_OWNERS ? sizeof(struct tl_owner_rec) : sizeof(struct tl_task_rec);
	struct tl_iter_read *r = &s->rd;

	if (r->fd >= 0 && r->len > r->off)
		s->st.pass.dropped += (r->len - r->off + rec - 1) / rec;
	if (r->fd >= 0 && !r->eof)
		s->st.pass.dropped++; /* at least one more record was never read */
	tl_iter_read_end(r);
}

struct tl_sampler *tl_sampler_new_replay(void)
{
	struct tl_sampler *s = calloc(1, sizeof(*s));

	if (s && tl_iter_read_init(&s->rd) < 0) {
		free(s);
		return NULL;
	}
#if TL_HAVE_SAMPLER
	if (s)
		s->stats_fd = -1; /* calloc's 0 would be stdin */
#endif
	return s;
}

int tl_sampler_begin_fd(struct tl_sampler *s, enum tl_sample_pass pass, int fd)
{
	drop_rest(s);
	tl_iter_read_start(&s->rd, fd);
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
	(void)s;
	(void)pass;
	return -ENOSYS;
#else
	struct tl_span span = tl_span_start();
	int fd;

	if (!s->skel)
		return -EBADF;
	if (!s->parts[pass].link)
		return -EOPNOTSUPP; /* this part did not load on this kernel */
	fd = bpf_iter_create(bpf_link__fd(s->parts[pass].link));
	if (fd < 0)
		return -errno;
	tl_sampler_begin_fd(s, pass, fd);
	tl_span_add(&span, &s->st.pass.duration_ns, &s->st.pass.cpu_ns);
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
	c->comm[i] = tl_comm_intern(&s->dict, r->comm);
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
	c->comm[i] = tl_comm_intern(&s->dict, r->comm);
	if (!c->comm[i])
		s->st.comm_overflow++;
}

/* Moves whole records from the read buffer into the batch. 1 when the batch
 * is full (what is left goes into the next one: carried). */
static int consume(void *view, void *batch)
{
	struct tl_sampler *s = view;
	struct tl_sample_batch *b = batch;
	int owners = s->pass == TL_PASS_OWNERS;
	uint16_t want_kind = owners ? TL_REC_OWNER : TL_REC_TASK;
	uint16_t want_size = owners ? sizeof(struct tl_owner_rec) : sizeof(struct tl_task_rec);
	/* the kind/size header sits after the u64 and byte-array members */
	size_t hdr = owners ? offsetof(struct tl_owner_rec, kind) : offsetof(struct tl_task_rec, kind);
	const uint8_t *p;
	int resync = 0;

	while (b->rows < b->capacity &&
	       (p = tl_iter_read_record(&s->rd, hdr, want_kind, want_size, &resync, &s->st.pass.malformed))) {
		if (owners) {
			struct tl_owner_rec r;
			memcpy(&r, p, sizeof(r));
			put_owner(s, &b->c.own, b->rows, &r);
		} else {
			struct tl_task_rec r;
			memcpy(&r, p, sizeof(r));
			put_task(s, &b->c.task, b->rows, &r);
		}
		b->rows++;
		s->st.pass.records++;
		s->rd.off += want_size;
	}
	if (b->rows == b->capacity && b->capacity > 0) {
		if (s->rd.len > s->rd.off || !s->rd.eof)
			s->st.carried++;
		return 1;
	}
	return 0;
}

static void drop(void *view)
{
	drop_rest(view);
}

int tl_sampler_fill(struct tl_sampler *s, struct tl_sample_batch *b, int *done)
{
	return tl_iter_read_fill(&s->rd, &s->st.pass, &b->rows, consume, drop, s, b, done);
}

#if TL_HAVE_SAMPLER
/* Kernel run time and runs of the program that serves `pass` (if up). */
static void prog_runs(struct tl_sampler *s, enum tl_sample_pass pass, uint64_t *ns, uint64_t *cnt)
{
	tl_part_runs(&tl_sampler_parts[pass], &s->parts[pass], s->skel->obj, ns, cnt);
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
		st->owners_skipped = s->skel->bss->owners_skipped;
		s->st.owners_skipped = st->owners_skipped;
		st->tasks_skipped = s->skel->bss->tasks_skipped;
		s->st.tasks_skipped = st->tasks_skipped;
		s->st.tasks_seen = st->tasks_seen;
		s->st.tasks_emitted = st->tasks_emitted;
		s->st.write_errors = st->write_errors;
		prog_runs(s, TL_PASS_TASKS, &st->bpf_run_ns_tasks, &st->bpf_runs_tasks);
		prog_runs(s, TL_PASS_OWNERS, &st->bpf_run_ns_owners, &st->bpf_runs_owners);
		s->st.bpf_run_ns_tasks = st->bpf_run_ns_tasks;
		s->st.bpf_runs_tasks = st->bpf_runs_tasks;
		s->st.bpf_run_ns_owners = st->bpf_run_ns_owners;
		s->st.bpf_runs_owners = st->bpf_runs_owners;
	}
#endif
}

int tl_sampler_watch_netns(struct tl_sampler *s, const uint32_t *inums, uint32_t n)
{
#if TL_HAVE_SAMPLER
	_Static_assert(TL_SAMPLER_WATCH_NETNS_MAX == sizeof(s->skel->bss->watch_netns) / sizeof(__u32),
		       "the owners' namespace list is bpf/task_sampler.bpf.c's");
	if (!s->skel || !s->skel->bss)
		return -EBADF;
	if (n > TL_SAMPLER_WATCH_NETNS_MAX) {
		s->skel->bss->watch_netns_n = 0;
		return -E2BIG;
	}
	/* the count last: a pass never runs meanwhile, but keep it readable */
	s->skel->bss->watch_netns_n = 0;
	for (uint32_t i = 0; i < n; i++)
		s->skel->bss->watch_netns[i] = inums[i];
	s->skel->bss->watch_netns_n = n;
	return 0;
#else
	(void)s;
	(void)inums;
	(void)n;
	return -EBADF;
#endif
}

struct tl_comm_dict *tl_sampler_comms(struct tl_sampler *s)
{
	return &s->dict;
}

uint64_t tl_sampler_pass_ts(struct tl_sampler *s)
{
	return s->pass_ts;
}
uint32_t tl_sampler_pass_seq(struct tl_sampler *s)
{
	return s->pass_seq;
}

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
	tl_parts_unload(s->parts, TL_SAMPLER_NPARTS, &sm_ops, s, &s->stats_fd);
#endif
}

void tl_sampler_free(struct tl_sampler *s)
{
	if (!s)
		return;
	tl_sampler_close(s);
	tl_iter_read_free(&s->rd);
	tl_comm_free(&s->dict);
	free(s);
}
