/* The events view's reader thread: waits on the ring buffer (woken by the
 * programs when a record goes into an empty ring, then reading wait_ms
 * later, and at once when the ring holds config wake_bytes; without
 * wake_bytes every wait_ms) and moves its records into a queue of whole
 * column batches, so a burst is drained as it comes even while the JS
 * thread is busy. An idle ring costs no wakeups (one every 10 wait_ms).
 * A ready fd tells the JS thread's loop that batches wait. The JS thread takes
 * batches without a libuv round trip (a copy under a lock); an empty take
 * costs a lock and two loads. The queue is bounded (max_batches): past it
 * the thread stops reading, the ring fills, and its overflow is counted by
 * the programs as before. */
#ifndef TCPLENS_EVENT_PUMP_H
#define TCPLENS_EVENT_PUMP_H

#include <stddef.h>
#include <stdint.h>
#include "events.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tl_event_pump_stats {
	uint64_t data_wakeups;	/* reads woken by the ring holding wake_bytes */
	uint64_t timer_wakeups; /* reads wait_ms after the first record (or timed, without wake_bytes) */
	uint64_t wakeups;	/* every wakeup, those that read nothing too */
	uint64_t batches;	/* full batches queued */
	uint64_t stalls;	/* the queue was full: reading paused */
	uint64_t queued_rows;	/* rows waiting now (gauge) */
	uint64_t peak_rows;	/* the most rows that ever waited */
	uint64_t errors;	/* failed reads of the ring */
	uint64_t cpu_ns;	/* CPU time the thread has used (its thread CPU clock) */
};

struct tl_event_pump;

/* Starts the thread on e (which must outlive the pump and is not drained
 * otherwise meanwhile). capacity: rows per batch; max_batches: queue bound
 * (>= 2); wait_ms: the longest records wait below the wakeup threshold. */
int tl_event_pump_start(struct tl_events *e, uint32_t capacity, uint32_t max_batches, int wait_ms,
			struct tl_event_pump **out);

uint32_t tl_event_pump_capacity(const struct tl_event_pump *p);

/* An eventfd, readable (poll) while rows wait to be taken: a loop watches
 * it instead of taking on a timer. Owned by the pump. */
int tl_event_pump_ready_fd(const struct tl_event_pump *p);

/* Copies the oldest batch (else the one being filled, else what the ring
 * holds now) into buf (bytes, laid out by tl_event_layout(capacity)).
 * Returns its rows (0: nothing waits) or -errno; *more = 1 when more waits.
 * under_lock(ctx) runs while the thread is held off (comm names). */
int tl_event_pump_take(struct tl_event_pump *p, void *buf, size_t bytes, int *more, int64_t *offset_ns,
		       void (*under_lock)(void *ctx), void *ctx);

void tl_event_pump_stats(struct tl_event_pump *p, struct tl_event_pump_stats *out);

/* Stops and joins the thread, frees the queue (take what waits first);
 * NULL is fine. */
void tl_event_pump_stop(struct tl_event_pump *p);

#ifdef __cplusplus
}
#endif
#endif
