/* Dropping privileges in every thread of the process. Linux credentials
 * (capability sets, the bounding set, uid/gid) belong to each thread, and
 * capset()/prctl() change only the caller's: a Node process has a dozen
 * threads (libuv's pool, V8's workers) that would keep everything. So the
 * caller signals every other thread of /proc/self/task with a real-time
 * signal whose handler makes the same changes with raw syscalls
 * (async-signal-safe), waits for each, then changes its own. */
#ifndef TCPLENS_PRIVDROP_H
#define TCPLENS_PRIVDROP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tl_privdrop_result {
	uint32_t threads;	/* threads found (the caller included) */
	uint32_t reached;	/* threads that made the change (the caller included) */
	uint32_t unreached;	/* threads that did not answer in time (the signal blocked: it stays pending) */
	int32_t first_errno;	/* first failure of a syscall in any thread, 0 if none */
	uint32_t unreached_tid; /* one of them, for the log */
} tl_privdrop_result;

/* Keeps exactly the capabilities of `keep` (bit n = capability n) as
 * permitted and effective, and in the bounding set (when the process holds
 * CAP_SETPCAP, which that needs); clears inheritable and ambient. With uid >= 0, also switches every thread to uid/gid (no
 * supplementary groups) keeping `keep` across the switch; a thread that
 * blocks the signal (Node's SIGUSR1 watcher) is switched by glibc's own
 * broadcast and keeps no capability. Returns 0 when no syscall failed, else
 * -errno; r counts the threads left with more than `keep` (without a uid
 * switch, those that block every signal). */
int tl_privdrop(uint64_t keep, int64_t uid, int64_t gid, int timeout_ms, tl_privdrop_result *r);

#ifdef __cplusplus
}
#endif

#endif
