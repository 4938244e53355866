/* The samples view's C core: loads bpf/task_sampler.bpf.c (iter/task and
 * iter/task_file), runs one iterator pass at a time and fills caller-owned
 * column batches (sample_columns.h) from the records it reads.
 *
 * Lifecycle: tl_sampler_open (open -> const volatile config -> load ->
 * attach both iterator links) ... tl_sampler_close (idempotent; releases
 * every kernel object) ... tl_sampler_free. A pass: tl_sampler_begin, then
 * tl_sampler_fill_* until *done; a full batch keeps the rest of the records
 * for the next fill, nothing is dropped.
 */
#ifndef TCPLENS_SAMPLER_H
#define TCPLENS_SAMPLER_H

#include <stddef.h>
#include <stdint.h>
#include "batch.h"
#include "sample_columns.h"
#include "bpf_parts.h"
#include "comm_dict.h"
#include "iter_read.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tl_sample_cols {
#define TL_SDECL(name, type) TL_CTYPE_##type *name;
	TL_SAMPLE_COLUMNS(TL_SDECL)
#undef TL_SDECL
};
struct tl_owner_cols {
#define TL_ODECL(name, type) TL_CTYPE_##type *name;
	TL_OWNER_COLUMNS(TL_ODECL)
#undef TL_ODECL
};
#define TL_SAMPLE_NCOLS (sizeof(struct tl_sample_cols) / sizeof(void *))
#define TL_OWNER_NCOLS (sizeof(struct tl_owner_cols) / sizeof(void *))

enum tl_sample_pass { TL_PASS_TASKS = 0, TL_PASS_OWNERS = 1 };

/* A batch of either table, bound to caller memory. */
struct tl_sample_batch {
	uint32_t capacity;
	uint32_t rows;
	union {
		struct tl_sample_cols task;
		struct tl_owner_cols own;
	} c;
};

size_t tl_sample_layout(enum tl_sample_pass pass, uint32_t capacity, struct tl_column_desc *desc);
/* -1 when buf is too small or not 8-byte aligned. */
int tl_sample_batch_bind(struct tl_sample_batch *b, enum tl_sample_pass pass, void *buf, size_t bytes,
			 uint32_t capacity);

struct tl_sampler_opts {
	uint32_t tgid;	    /* only this process (0 = all), filtered in the kernel */
	int all_tasks;	    /* 0 = active threads only (see task_sampler.bpf.c) */
	int run_stats;	    /* hold BPF_STATS_RUN_TIME on while open (benchmarks): fills bpf_run_* */
	uint32_t skip_tgid; /* this process's threads are left out of the task samples (0 = none) */
};

/* Cumulative counters; never reset. */
struct tl_sampler_stats {
	uint64_t iterations; /* passes begun, both kinds */
	uint64_t task_passes, owner_passes;
	struct tl_pass_stats pass; /* dropped: records of a pass abandoned before its end */
	uint64_t carried;	   /* records that did not fit a batch and went into the next one */
	uint64_t comm_overflow;	   /* comm names past the dictionary's size (column 0) */
	/* from the BPF side */
	uint64_t tasks_seen, tasks_emitted, write_errors;
	uint64_t owners_skipped; /* sockets of namespaces not watched, left out of the owners pass */
	uint64_t tasks_skipped;	 /* threads of namespaces not watched, left out of the task samples */
	/* kernel run time and runs of each program (0 unless run_stats, or
	 * kernel.bpf_stats_enabled, is on) */
	uint64_t bpf_run_ns_tasks, bpf_runs_tasks, bpf_run_ns_owners, bpf_runs_owners;
};

struct tl_sampler;

/* Parts: tasks (iter/task) and owners (iter/task_file), indexed by enum
 * tl_sample_pass; each loads in the first variant the kernel accepts. */
#define TL_SAMPLER_NPARTS 2
extern const struct tl_part tl_sampler_parts[TL_SAMPLER_NPARTS];

/* Loads and attaches each part it can. 0 or -errno; on failure *err holds a
 * one-line reason (-EOPNOTSUPP: every part refused, each one's reason).
 * parts (TL_SAMPLER_NPARTS entries, may be NULL) says what became of each
 * part, on failure too. */
int tl_sampler_open(struct tl_sampler **out, const struct tl_sampler_opts *o, struct tl_part_info *parts, char *err,
		    size_t errlen);
/* A sampler that loads nothing: tl_sampler_begin_fd() replays recorded
 * iterator output through the same reader (tests of malformed input). */
struct tl_sampler *tl_sampler_new_replay(void);
/* Starts a pass reading fd (owned from now on) instead of an iterator. */
int tl_sampler_begin_fd(struct tl_sampler *s, enum tl_sample_pass pass, int fd);
/* Starts a pass; -errno on failure (-EOPNOTSUPP: that part is off; a pass
 * still running is abandoned and counted). */
int tl_sampler_begin(struct tl_sampler *s, enum tl_sample_pass pass);
/* Fills b with the pass's next records; *done once the iterator hit EOF and
 * everything read was delivered. 0 or -errno (the pass then ends). */
int tl_sampler_fill(struct tl_sampler *s, struct tl_sample_batch *b, int *done);
void tl_sampler_stats(struct tl_sampler *s, struct tl_sampler_stats *st);
/* The namespaces watched (their inode numbers; n == 0: every namespace):
 * the owners pass writes only their sockets, the task sampler only their
 * threads and the threads blocked on their sockets. 0, or -E2BIG when n is over
 * TL_SAMPLER_WATCH_NETNS_MAX (the pass then writes every namespace), or
 * -EBADF when nothing is loaded. Between passes only. */
#define TL_SAMPLER_WATCH_NETNS_MAX 16
int tl_sampler_watch_netns(struct tl_sampler *s, const uint32_t *inums, uint32_t n);
/* The comm dictionary of the comm columns (ids 1-based). */
struct tl_comm_dict *tl_sampler_comms(struct tl_sampler *s);
uint64_t tl_sampler_pass_ts(struct tl_sampler *s);
uint32_t tl_sampler_pass_seq(struct tl_sampler *s);
/* Releases links, programs, fds. Idempotent. */
void tl_sampler_close(struct tl_sampler *s);
void tl_sampler_free(struct tl_sampler *s);
/* "" when built with the skeleton, else why not. */
const char *tl_sampler_unbuilt_reason(void);

#ifdef __cplusplus
}
#endif
#endif
