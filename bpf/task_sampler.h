/* Wire records of the samples view: written by task_sampler.bpf.c with
 * bpf_seq_write() into the iterator's seq_file, read by native/sampler.c
 * with read() on the iterator fd. Fixed sizes, largest members first,
 * explicit padding; every record starts with the same kind/size header so a
 * reader can skip what it does not know (counted as malformed).
 */
#ifndef TCPLENS_TASK_SAMPLER_H
#define TCPLENS_TASK_SAMPLER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#ifdef __cplusplus /* the N-API glue reads the kinds and flags too */
#define _Static_assert static_assert
#endif

#define TL_REC_TASK 0x5431  /* "T1": struct tl_task_rec */
#define TL_REC_OWNER 0x4f31 /* "O1": struct tl_owner_rec */

/* tl_task_rec.flags, and the task samples' flags column: X(NAME, bit). The
 * one source: native/ and the generated src/layout/sample_columns.ts read these. */
#define TL_TASK_FLAGS(X) \
	X(ON_CPU, 0x01)	    /* task->on_cpu: running on a CPU */ \
	X(RUNNABLE, 0x02)   /* TASK_RUNNING but not on a CPU */ \
	X(IN_SYSCALL, 0x04) /* syscall_nr is the syscall it entered */ \
	X(SOCKET, 0x08)	    /* its fd argument is a TCP socket: socket fields valid */ \
	X(NO_COOKIE, 0x10)  /* socket found, but the kernel has not generated its cookie yet */ \
	X(KTHREAD, 0x20)    /* a kernel thread (no syscalls) */
enum tl_task_flag {
#define TL_TF_ENUM(n, v) TL_TF_##n = v,
	TL_TASK_FLAGS(TL_TF_ENUM)
#undef TL_TF_ENUM
};

#define TL_NO_SYSCALL 0xffffffffu /* syscall_nr when not in a syscall */

/* Program ids: bit n of the `refuse` setting, the test hook that makes the
 * verifier refuse chosen programs (TCPLENS_TEST_REFUSE); native/sampler.c's
 * table of parts and variants names programs by these ids. */
enum tl_sampler_prog {
	TL_SMP_sample_tasks,
	TL_SMP_sample_tasks_rd,
	TL_SMP_sample_tasks_stack,
	TL_SMP_sample_owners,
	TL_SMP_sample_owners_rd,
};

/* iter/task: one per sampled thread. */
struct tl_task_rec {
	__u64 cookie;	   /* sk->__sk_common.skc_cookie; 0 = not generated yet */
	__u64 netns_inode; /* the socket's network namespace inode */
	__u64 cgroup_id;   /* cgroup v2 id of the thread */
	__u8 saddr[16];	   /* network byte order; IPv4 in the first 4 bytes */
	__u8 daddr[16];	   /* network byte order; IPv4 in the first 4 bytes */
	__u8 comm[16];	   /* task->comm, NUL-padded */
	__u16 kind;	   /* TL_REC_TASK */
	__u16 size;	   /* sizeof(struct tl_task_rec) */
	__u32 pid;	   /* thread id (kernel pid) */
	__u32 tgid;	   /* process id */
	__u32 state;	   /* task->__state */
	__u32 syscall_nr;  /* TL_NO_SYSCALL when none */
	__u32 ino;	   /* socket inode (idiag_inode) */
	__u16 sport;	   /* host byte order */
	__u16 dport;	   /* host byte order */
	__u8 family;	   /* AF_INET / AF_INET6; 0 without a socket */
	__u8 sk_state;	   /* TCP_* state of the socket */
	__u8 flags;	   /* TL_TF_* */
	__u8 pad;
};
_Static_assert(sizeof(struct tl_task_rec) == 104, "tl_task_rec is a wire format");

/* iter/task_file: one per (process, TCP socket fd). */
struct tl_owner_rec {
	__u64 cookie; /* bpf_get_socket_cookie(sk): generated here if needed */
	__u64 netns_inode;
	__u64 cgroup_id; /* cgroup v2 id of the thread visited */
	__u8 comm[16];
	__u16 kind; /* TL_REC_OWNER */
	__u16 size; /* sizeof(struct tl_owner_rec) */
	__u32 ino;  /* socket inode (idiag_inode) */
	__u32 tgid;
	__u32 pid; /* the thread the iterator visited (the group leader unless it exited) */
	__u32 fd;
	__u32 pad;
};
_Static_assert(sizeof(struct tl_owner_rec) == 64, "tl_owner_rec is a wire format");

#endif
