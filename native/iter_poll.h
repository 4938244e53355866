/* The iterator poll's C core (--poll-via iter): loads bpf/tcp_iter.bpf.c
 * (iter/tcp), creates one iterator per pass inside the namespace polled (the
 * kernel scopes iter/tcp to its creator's netns) and fills the poll batch
 * (poll_columns.h) from the records it reads: the same columns as the
 * inet_diag poll, those this view cannot fill left zero (tl_iter_provides).
 *
 * Lifecycle: tl_iter_open (open -> load -> attach the part's variant) ...
 * tl_iter_close (idempotent) ... tl_iter_free. A pass: tl_iter_begin, then
 * tl_iter_fill until *done; a full batch keeps the rest for the next fill.
 */
#ifndef TCPLENS_ITER_POLL_H
#define TCPLENS_ITER_POLL_H

#include <stddef.h>
#include <stdint.h>
#include "batch.h"
#include "bpf_parts.h"
#include "diag_parse.h"
#include "iter_read.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tl_iter_opts {
	int run_stats; /* hold BPF_STATS_RUN_TIME on while open (benchmarks) */
};

/* Cumulative counters; never reset. */
struct tl_iter_stats {
	uint64_t passes, full_passes;
	struct tl_pass_stats pass;	 /* records: sockets; dropped: records of a pass abandoned before its end */
	uint64_t host_passes, host_dups; /* host passes; records of a socket already emitted (another fd) */
	/* from the BPF side */
	uint64_t socks_seen, socks_emitted, socks_unchanged, write_errors, host_seen;
	uint64_t seq_retries;	       /* records that did not fit a read(): written again at the next (not lost) */
	uint64_t bpf_run_ns, bpf_runs; /* 0 unless run_stats (or kernel.bpf_stats_enabled) */
};

struct tl_iter;

#define TL_ITER_NPARTS 2  /* sockets (iter/tcp), host (iter/task_file) */
#define TL_ITER_FULL 1	  /* tl_iter_begin: every socket, changed or not */
#define TL_ITER_UNOWNED 2 /* tl_iter_begin: only sockets no file holds */
extern const struct tl_part tl_iter_parts[TL_ITER_NPARTS];

/* Loads and attaches the part in the first variant the kernel accepts. 0 or
 * -errno with a one-line reason in err; parts (TL_ITER_NPARTS, may be NULL)
 * says what became of it, on failure too. */
int tl_iter_open(struct tl_iter **out, const struct tl_iter_opts *o, struct tl_part_info *parts, char *err,
		 size_t errlen);
/* 1 when the running variant skips sockets idle since the previous pass (tcp_mstamp). */
int tl_iter_detects_changes(const struct tl_iter *it);
/* Starts a pass over the namespace at netns_path (NULL = ours): every socket
 * when flags has TL_ITER_FULL (or without change detection), else only those
 * that moved since they were last emitted; with TL_ITER_UNOWNED only the
 * sockets no file holds. Sets *ns_inode. 0 or -errno. */
int tl_iter_begin(struct tl_iter *it, const char *netns_path, int flags, uint64_t *ns_inode);
/* 1 when the host part (iter/task_file) is up. */
int tl_iter_host_up(const struct tl_iter *it);
/* Starts a host pass: every TCP socket a process holds, any namespace, each
 * once; every batch tl_iter_fill makes of it holds one namespace (its
 * netns_inode column). 0 or -errno. */
int tl_iter_begin_host(struct tl_iter *it);
/* Fills b with the pass's next sockets; *done at the end. 0 or -errno. */
int tl_iter_fill(struct tl_iter *it, struct tl_batch *b, int *done);
void tl_iter_stats(struct tl_iter *it, struct tl_iter_stats *st);
/* The congestion-control names of the cong column (ids 1-based), all namespaces. */
struct tl_dict *tl_iter_names(struct tl_iter *it);
/* 1 when this view fills poll column `name` (for a full socket). */
int tl_iter_provides(const char *name);
void tl_iter_close(struct tl_iter *it);
void tl_iter_free(struct tl_iter *it);
/* "" when built with the skeleton, else why not. */
const char *tl_iter_unbuilt_reason(void);

#ifdef __cplusplus
}
#endif
#endif
