/* Wall-clock timestamps for rows (ts_ns), taken once per received chunk. */
#ifndef TCPLENS_CLOCK_H
#define TCPLENS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t tl_now_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
