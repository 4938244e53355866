/* The samples batches (view "samples"), struct of arrays placed by
 * tl_layout_place() like the poll batch; names equal the poll view's where
 * they mean the same thing. Types as in poll_columns.h.
 */
#ifndef TCPLENS_SAMPLE_COLUMNS_H
#define TCPLENS_SAMPLE_COLUMNS_H

/* The flags column's bits and NO_SYSCALL are the wire format's:
 * TL_TASK_FLAGS and TL_NO_SYSCALL in bpf/task_sampler.h. */
#include "../bpf/task_sampler.h"

/* iter/task: one row per sampled thread per iteration. */
/* clang-format off */
#define TL_SAMPLE_COLUMNS(X) \
	X(src, B16) X(dst, B16)  /* the socket the thread waits on */ \
	X(ts_ns, U64)          /* wall clock of the iteration, ns since the epoch */ \
	X(idiag_cookie, U64) X(netns_inode, U64) X(cgroup_id, U64) \
	X(sample_seq, U32)     /* iteration number, per sampler */ \
	X(pid, U32) X(tgid, U32) \
	X(comm, U32)           /* dictionary id (1-based); 0 = unknown */ \
	X(task_state, U32)     /* task->__state */ \
	X(syscall_nr, U32)     /* 0xffffffff when not in a syscall */ \
	X(idiag_inode, U32) \
	X(sport, U16) X(dport, U16) \
	X(idiag_family, U8) X(idiag_state, U8) X(flags, U8)
/* clang-format on */

/* iter/task_file: one row per (process, socket fd): who owns a socket, so
 * poll rows (idiag_inode, idiag_cookie) can be attributed to processes. */
/* clang-format off */
#define TL_OWNER_COLUMNS(X) \
	X(idiag_cookie, U64)   /* 0 when the kernel has not assigned one yet */ \
	X(netns_inode, U64) X(cgroup_id, U64) \
	X(idiag_inode, U32) X(tgid, U32) X(pid, U32) X(fd, U32) \
	X(comm, U32)
/* clang-format on */

#endif
