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
/* an idle ring is looked at every this many wait_ms all the same (a record
 * that raced the reader's last look at an emptied ring wakes nobody) */
#define TL_PUMP_IDLE_WAITS 10

struct pump_batch {
	struct pump_batch *next;
	struct tl_event_batch b;
	void *buf;
};

struct tl_event_pump {
	struct tl_events *e;
	uint32_t capacity, max_batches, nbatches;
	size_t bytes;
	int wait_ms, idle_ms;
	uint32_t wake_bytes;
	int ep, ep_kick, kick;
	int ready; /* eventfd: readable while batches wait (tl_event_pump_ready_fd) */
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

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under the lock: raises the ready fd while rows wait, clears it when none do. */
static void set_ready(struct tl_event_pump *p)
{
	uint64_t v = 1;

	if (p->head || (p->fill && p->fill->b.rows)) {
		if (write(p->ready, &v, sizeof(v)) < 0) {
			/* the counter is already high */
		}
	} else if (read(p->ready, &v, sizeof(v)) < 0) {
		/* it was clear */
	}
}

/* Sleeps until the ring has something: the programs wake it when a record
 * goes into an empty ring (it then waits wait_ms more, so that a trickle
 * is read in batches, not one wakeup per record) and when the ring holds
 * wake_bytes (read at once). An idle ring costs no wakeup but idle_ms's. */
static void *pump_main(void *arg)
{
	struct tl_event_pump *p = arg;
	struct epoll_event ev[2];
	int64_t due = -1; /* when records below the threshold are read; -1: none wait */

	for (;;) {
		int64_t now = now_ms();
		int timeout, n, data = 0;
		uint64_t avail;

		if (p->stalled)
			timeout = p->wait_ms;
		else if (due >= 0)
			timeout = due > now ? (int)(due - now) : 0;
		else
			timeout = p->idle_ms;
		/* a full queue waits for a take (kick), not for the ring */
		n = epoll_wait(p->stalled ? p->ep_kick : p->ep, ev, 2, timeout);
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
		p->st.wakeups++;
		avail = tl_events_avail(p->e);
		if (!p->stalled) {
			if (avail == 0) { /* a take emptied it, or an idle timeout */
				due = -1;
				pthread_mutex_unlock(&p->mu);
				continue;
			}
			if (avail < p->wake_bytes && (due < 0 || now_ms() < due)) {
				if (due < 0)
					due = now_ms() + p->wait_ms;
				pthread_mutex_unlock(&p->mu);
				continue;
			}
		}
		if (data && avail >= p->wake_bytes)
			p->st.data_wakeups++;
		else
			p->st.timer_wakeups++;
		due = -1;
		p->stalled = 0;
		pump_read(p);
		set_ready(p);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

static int add_fd(int ep, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
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
	/* without the programs' wakeups the timer is all there is */
	p->wake_bytes = tl_events_wake_bytes(e);
	p->idle_ms = p->wake_bytes ? TL_PUMP_IDLE_WAITS * wait_ms : wait_ms;
	if (wait_ms > INT32_MAX / TL_PUMP_IDLE_WAITS)
		p->idle_ms = INT32_MAX;
	p->bytes = tl_event_layout(capacity, desc);
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	p->ep_kick = epoll_create1(EPOLL_CLOEXEC);
	p->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p->ready = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&p->mu, NULL);
	/* edge-triggered: the ring's fd stays readable while records wait, and
	 * a level-triggered wait for the next wakeup would return at once */
	if (p->ep < 0 || p->ep_kick < 0 || p->kick < 0 || p->ready < 0 ||
	    add_fd(p->ep, tl_events_ring_fd(e), EPOLLIN | EPOLLET) < 0 || add_fd(p->ep, p->kick, EPOLLIN) < 0 ||
	    add_fd(p->ep_kick, p->kick, EPOLLIN) < 0) {
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

int tl_event_pump_ready_fd(const struct tl_event_pump *p)
{
	return p->ready;
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
	set_ready(p);
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
	clockid_t cid;
	struct timespec ts;

	pthread_mutex_lock(&p->mu);
	*out = p->st;
	pthread_mutex_unlock(&p->mu);
	out->cpu_ns = 0;
	if (pthread_getcpuclockid(p->thread, &cid) == 0 && clock_gettime(cid, &ts) == 0)
		out->cpu_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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
	if (p->ready >= 0)
		close(p->ready);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
