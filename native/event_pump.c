#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include "event_pump.h"

/* batches kept for reuse once taken; more are freed */
#define TL_PUMP_SPARE 4

struct pump_batch {
	struct pump_batch *next;
	struct tl_event_batch b;
	void *buf;
};

struct tl_event_pump {
	struct tl_events *e;
	uint32_t capacity, max_batches, nbatches;
	size_t bytes;
	int wait_ms;
	int ep, ep_kick, kick;
	pthread_t thread;
	pthread_mutex_t mu;
	int started, stop, stalled;
	struct pump_batch *head, *tail; /* full batches, oldest first */
	struct pump_batch *fill;	/* being filled */
	struct pump_batch *spare;
	uint32_t nspare;
	int64_t offset_ns;
	struct tl_event_pump_stats st;
};

static struct pump_batch *batch_get(struct tl_event_pump *p)
{
	struct pump_batch *pb = p->spare;

	if (pb) {
		p->spare = pb->next;
		p->nspare--;
	} else {
		if (p->nbatches >= p->max_batches)
			return NULL;
		pb = calloc(1, sizeof(*pb));
		if (!pb)
			return NULL;
		if (posix_memalign(&pb->buf, 8, p->bytes) != 0 ||
		    tl_event_batch_bind(&pb->b, pb->buf, p->bytes, p->capacity) < 0) {
			free(pb->buf);
			free(pb);
			return NULL;
		}
		p->nbatches++;
	}
	pb->next = NULL;
	pb->b.rows = 0;
	return pb;
}

static void batch_put(struct tl_event_pump *p, struct pump_batch *pb)
{
	if (p->nspare < TL_PUMP_SPARE) {
		pb->next = p->spare;
		p->spare = pb;
		p->nspare++;
		return;
	}
	free(pb->buf);
	free(pb);
	p->nbatches--;
}

static uint64_t queued_rows(const struct tl_event_pump *p)
{
	uint64_t n = p->fill ? p->fill->b.rows : 0;

	for (const struct pump_batch *q = p->head; q; q = q->next)
		n += q->b.rows;
	return n;
}

/* Under the lock: the ring into batches until it is empty or the queue full. */
static void pump_read(struct tl_event_pump *p)
{
	for (;;) {
		int full = 0, rc;

		if (!p->fill)
			p->fill = batch_get(p);
		if (!p->fill) {
			p->stalled = 1;
			p->st.stalls++;
			break;
		}
		rc = tl_events_consume(p->e, &p->fill->b, &full);
		if (rc < 0) {
			p->st.errors++;
			break;
		}
		if (!full)
			break;
		if (p->tail)
			p->tail->next = p->fill;
		else
			p->head = p->fill;
		p->tail = p->fill;
		p->fill = NULL;
		p->st.batches++;
	}
	p->st.queued_rows = queued_rows(p);
	if (p->st.queued_rows > p->st.peak_rows)
		p->st.peak_rows = p->st.queued_rows;
}

static void *pump_main(void *arg)
{
	struct tl_event_pump *p = arg;
	struct epoll_event ev[2];

	for (;;) {
		/* a full queue waits for a take (kick), not for the ring, which
		 * would stay readable and spin the thread */
		int n = epoll_wait(p->stalled ? p->ep_kick : p->ep, ev, 2, p->wait_ms), data = 0;

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == p->kick) {
				uint64_t v;
				if (read(p->kick, &v, sizeof(v)) < 0) {
					/* nothing to clear */
				}
			} else
				data = 1;
		}
		pthread_mutex_lock(&p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		if (data)
			p->st.data_wakeups++;
		else if (n == 0)
			p->st.timer_wakeups++;
		p->stalled = 0;
		pump_read(p);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

static int add_fd(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

int tl_event_pump_start(struct tl_events *e, uint32_t capacity, uint32_t max_batches, int wait_ms,
			struct tl_event_pump **out)
{
	struct tl_event_pump *p;
	struct tl_column_desc desc[TL_EVENT_NCOLS];
	int rc;

	*out = NULL;
	if (capacity == 0 || max_batches < 2 || wait_ms <= 0 || tl_events_ring_fd(e) < 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->e = e;
	p->capacity = capacity;
	p->max_batches = max_batches;
	p->wait_ms = wait_ms;
	p->bytes = tl_event_layout(capacity, desc);
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	p->ep_kick = epoll_create1(EPOLL_CLOEXEC);
	p->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&p->mu, NULL);
	if (p->ep < 0 || p->ep_kick < 0 || p->kick < 0 || add_fd(p->ep, tl_events_ring_fd(e)) < 0 ||
	    add_fd(p->ep, p->kick) < 0 || add_fd(p->ep_kick, p->kick) < 0) {
		rc = -errno;
		tl_event_pump_stop(p);
		return rc;
	}
	rc = pthread_create(&p->thread, NULL, pump_main, p);
	if (rc) {
		tl_event_pump_stop(p);
		return -rc;
	}
	p->started = 1;
	*out = p;
	return 0;
}

uint32_t tl_event_pump_capacity(const struct tl_event_pump *p)
{
	return p->capacity;
}

int tl_event_pump_take(struct tl_event_pump *p, void *buf, size_t bytes, int *more, int64_t *offset_ns,
		       void (*under_lock)(void *ctx), void *ctx)
{
	struct pump_batch *pb;
	int rows = 0, was_stalled;

	*more = 0;
	if (bytes < p->bytes || ((uintptr_t)buf & 7u))
		return -EINVAL;
	pthread_mutex_lock(&p->mu);
	was_stalled = p->stalled;
	pb = p->head;
	if (pb) {
		p->head = pb->next;
		if (!p->head)
			p->tail = NULL;
	} else if (p->fill && p->fill->b.rows) {
		pb = p->fill;
		p->fill = NULL;
	}
	if (pb) {
		/* same capacity, same layout: the whole buffer at once */
		memcpy(buf, pb->buf, p->bytes);
		rows = (int)pb->b.rows;
		batch_put(p, pb);
	} else if (tl_events_pending(p->e)) {
		/* below the wakeup threshold and between two timer reads */
		struct tl_event_batch b;
		int full = 0;
		if (tl_event_batch_bind(&b, buf, bytes, p->capacity) == 0) {
			rows = tl_events_consume(p->e, &b, &full);
			*more = full;
		}
	}
	*more = *more || p->head || (p->fill && p->fill->b.rows) || tl_events_pending(p->e);
	*offset_ns = tl_events_offset(p->e);
	p->st.queued_rows = queued_rows(p);
	if (under_lock)
		under_lock(ctx);
	pthread_mutex_unlock(&p->mu);
	if (was_stalled && pb) {
		uint64_t one = 1;
		if (write(p->kick, &one, sizeof(one)) < 0) {
			/* the thread retries at its next timeout */
		}
	}
	return rows;
}

void tl_event_pump_stats(struct tl_event_pump *p, struct tl_event_pump_stats *out)
{
	pthread_mutex_lock(&p->mu);
	*out = p->st;
	pthread_mutex_unlock(&p->mu);
}

static void free_list(struct pump_batch *pb)
{
	while (pb) {
		struct pump_batch *n = pb->next;
		free(pb->buf);
		free(pb);
		pb = n;
	}
}

void tl_event_pump_stop(struct tl_event_pump *p)
{
	if (!p)
		return;
	if (p->started) {
		uint64_t one = 1;
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_mutex_unlock(&p->mu);
		if (write(p->kick, &one, sizeof(one)) < 0) {
			/* the thread sees stop at its next timeout */
		}
		pthread_join(p->thread, NULL);
	}
	free_list(p->head);
	if (p->fill)
		free_list(p->fill);
	free_list(p->spare);
	if (p->ep >= 0)
		close(p->ep);
	if (p->ep_kick >= 0)
		close(p->ep_kick);
	if (p->kick >= 0)
		close(p->kick);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
