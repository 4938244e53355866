/* Clocks: wall-clock timestamps for rows (ts_ns), taken once per received
 * chunk, and the wall and CPU time a view's passes cost. */
#ifndef TCPLENS_CLOCK_H
#define TCPLENS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t tl_clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t tl_now_realtime_ns(void)
{
	return tl_clock_ns(CLOCK_REALTIME);
}

/* A span of work: its wall time and the calling thread's CPU time (user +
 * kernel, the BPF programs a read() runs included), added to a view's
 * counters when it ends. */
struct tl_span {
	uint64_t wall, cpu;
};

static inline struct tl_span tl_span_start(void)
{
	struct tl_span s = { tl_clock_ns(CLOCK_MONOTONIC), tl_clock_ns(CLOCK_THREAD_CPUTIME_ID) };
	return s;
}

static inline void tl_span_add(const struct tl_span *s, uint64_t *wall_ns, uint64_t *cpu_ns)
{
	*wall_ns += tl_clock_ns(CLOCK_MONOTONIC) - s->wall;
	*cpu_ns += tl_clock_ns(CLOCK_THREAD_CPUTIME_ID) - s->cpu;
}

#endif
