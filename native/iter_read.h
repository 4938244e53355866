/* Reading one bpf iterator pass (read() on the iterator's fd runs its
 * programs) in whole fixed-size records: what the views that read iterators
 * share (iter_poll.c, sampler.c). A record cut by a read() stays at the front
 * of the buffer and the next read() goes behind it. Needs no libbpf. */
#ifndef TCPLENS_ITER_READ_H
#define TCPLENS_ITER_READ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TL_ITER_READ_BUF (128u << 10) /* > the iterator's seq_file buffer (8 pages) */

/* The counters every such view keeps of its passes, cumulative, never
 * reset: (member, its name in the view's stats() in JavaScript). */
#define TL_PASS_STATS(X) \
	X(duration_ns, "durationNs") /* wall time inside begin+fill (read() runs the BPF programs) */ \
	X(cpu_ns, "cpuNs")	     /* CPU time of the reading thread (user + kernel, includes the BPF programs) */ \
	X(records, "records")	     /* well-formed records read */ \
	X(bytes, "bytes")	     /* bytes read from iterators */ \
	X(malformed, "malformed")    /* records with an unknown kind/size, or a truncated tail: skipped */ \
	X(rows, "rows")		     /* rows written to batches */ \
	X(batches, "batches")	     /* fills that returned rows */ \
	X(read_errors, "readErrors") /* read() failures (the pass ends there) */ \
	X(dropped, "dropped")	     /* records lost: a pass abandoned before its end (and the view's own reasons) */

struct tl_pass_stats {
#define TL_PASS_FIELD(member, js) uint64_t member;
	TL_PASS_STATS(TL_PASS_FIELD)
#undef TL_PASS_FIELD
};

struct tl_iter_read {
	int fd; /* the pass being read, or -1 */
	int eof;
	uint8_t *buf;	 /* TL_ITER_READ_BUF bytes */
	size_t off, len; /* unconsumed bytes are buf[off, len) */
};

/* No pass, a buffer allocated. 0 or -ENOMEM. */
int tl_iter_read_init(struct tl_iter_read *r);
/* Starts reading fd (owned from now on). */
void tl_iter_read_start(struct tl_iter_read *r, int fd);
/* Closes the pass, if any, and forgets what it held. Idempotent. */
void tl_iter_read_end(struct tl_iter_read *r);
void tl_iter_read_free(struct tl_iter_read *r);

/* The whole record at the read position whose header (u16 kind, u16 size,
 * at offset hdr) says kind and size; NULL when fewer than size bytes are
 * left. What is not such a record is skipped 8 bytes at a time (records are
 * 8-byte multiples), each run of skipped bytes counted once in *malformed
 * (*resync, 0 when a fill starts, tracks the run). The caller moves off past
 * the record once it has taken it. */
const uint8_t *tl_iter_read_record(struct tl_iter_read *r, size_t hdr, uint16_t kind, uint16_t size, int *resync,
				   uint64_t *malformed);

/* One fill of a batch (*rows its row count) from the pass, counted in st:
 * consume(view, batch) takes whole records into the batch and returns
 * nonzero when the batch must end (full, or a record that belongs to the
 * next batch); until then more is read. *done at the pass's end: EOF (a
 * truncated record left is malformed), or a failed read, after which
 * drop(view) counts what the pass never delivered and ends it. 0 or that
 * read's -errno. */
int tl_iter_read_fill(struct tl_iter_read *r, struct tl_pass_stats *st, uint32_t *rows,
		      int (*consume)(void *view, void *batch), void (*drop)(void *view), void *view, void *batch,
		      int *done);

#ifdef __cplusplus
}
#endif
#endif
