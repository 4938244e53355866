/* Reading one bpf iterator pass in whole records (see iter_read.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "iter_read.h"
#include "clock.h"
#include "fd.h"

int tl_iter_read_init(struct tl_iter_read *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->buf = malloc(TL_ITER_READ_BUF);
	return r->buf ? 0 : -ENOMEM;
}

void tl_iter_read_start(struct tl_iter_read *r, int fd)
{
	r->fd = fd;
}

void tl_iter_read_end(struct tl_iter_read *r)
{
	tl_close_fd(&r->fd);
	r->off = r->len = 0;
	r->eof = 0;
}

void tl_iter_read_free(struct tl_iter_read *r)
{
	tl_iter_read_end(r);
	free(r->buf);
	r->buf = NULL;
}

const uint8_t *tl_iter_read_record(struct tl_iter_read *r, size_t hdr, uint16_t kind, uint16_t size, int *resync,
				   uint64_t *malformed)
{
	while (r->len - r->off >= size) {
		const uint8_t *p = r->buf + r->off;
		uint16_t k, n;

		memcpy(&k, p + hdr, 2);
		memcpy(&n, p + hdr + 2, 2);
		if (k == kind && n == size) {
			*resync = 0;
			return p;
		}
		if (!*resync)
			(*malformed)++;
		*resync = 1;
		r->off += 8;
	}
	return NULL;
}

/* Reads until consume ends the batch (0), the pass ends (1) or a read fails (-errno). */
static int read_batch(struct tl_iter_read *r, struct tl_pass_stats *st, int (*consume)(void *view, void *batch),
		      void *view, void *batch)
{
	for (;;) {
		if (consume(view, batch))
			return 0;
		if (r->eof) {
			if (r->len > r->off)
				st->malformed++; /* a truncated record at the end */
			r->off = r->len;
			return 1;
		}
		/* keep the partial record at the front, read more behind it */
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
		ssize_t n = read(r->fd, r->buf + r->len, TL_ITER_READ_BUF - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			r->eof = 1;
		r->len += (size_t)n;
		st->bytes += (uint64_t)n;
	}
}

int tl_iter_read_fill(struct tl_iter_read *r, struct tl_pass_stats *st, uint32_t *rows,
		      int (*consume)(void *view, void *batch), void (*drop)(void *view), void *view, void *batch,
		      int *done)
{
	struct tl_span span = tl_span_start();
	int rc;

	*done = 1;
	*rows = 0;
	if (r->fd < 0)
		return 0;
	rc = read_batch(r, st, consume, view, batch);
	*done = rc != 0;
	if (rc < 0) {
		st->read_errors++;
		drop(view);
	} else if (rc > 0) {
		tl_iter_read_end(r); /* nothing left to drop */
	}
	if (*rows) {
		st->batches++;
		st->rows += *rows;
	}
	tl_span_add(&span, &st->duration_ns, &st->cpu_ns);
	return rc < 0 ? rc : 0;
}
