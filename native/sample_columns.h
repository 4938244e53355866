/* The samples batches (view "samples"), struct of arrays placed by
 * tl_layout_place() like the poll batch; names equal the poll view's where
 * they mean the same thing. Types as in poll_columns.h.
 */
#ifndef TCPLENS_SAMPLE_COLUMNS_H
#define TCPLENS_SAMPLE_COLUMNS_H

/* flags bits of a task sample */
#define TL_SMF_ON_CPU   0x01 /* running on a CPU at the sample */
#define TL_SMF_RUNNABLE 0x02 /* on a run queue, waiting for a CPU */
#define TL_SMF_IN_SYSCALL 0x04 /* syscall_nr is valid */
#define TL_SMF_SOCKET   0x08 /* blocked in a socket syscall: socket columns valid */
#define TL_SMF_NO_COOKIE 0x10 /* socket found but its cookie not generated yet (idiag_cookie 0) */
#define TL_SMF_KTHREAD  0x20 /* a kernel thread */

/* iter/task: one row per sampled thread per iteration. */
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

/* iter/task_file: one row per (process, socket fd): who owns a socket, so
 * poll rows (idiag_inode, idiag_cookie) can be attributed to processes. */
#define TL_OWNER_COLUMNS(X) \
	X(idiag_cookie, U64)   /* 0 when the kernel has not assigned one yet */ \
	X(netns_inode, U64) X(cgroup_id, U64) \
	X(idiag_inode, U32) X(tgid, U32) X(pid, U32) X(fd, U32) \
	X(comm, U32)

#endif
