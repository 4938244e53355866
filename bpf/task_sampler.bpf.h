/* Kernel-only helpers of task_sampler.bpf.c: which syscalls take a socket
 * fd as their first argument, and where a task's syscall registers are. */
#ifndef TCPLENS_TASK_SAMPLER_BPF_H
#define TCPLENS_TASK_SAMPLER_BPF_H

#if defined(__TARGET_ARCH_x86)
/* x86-64 syscall numbers whose first argument is a (possibly socket) fd and
 * that block: read, write, readv, writev, connect, accept, sendto, recvfrom,
 * sendmsg, recvmsg, accept4, recvmmsg, sendmmsg. */
static __always_inline bool fd_syscall(long nr)
{
	switch (nr) {
	case 0:
	case 1:
	case 19:
	case 20:
	case 42:
	case 43:
	case 44:
	case 45:
	case 46:
	case 47:
	case 288:
	case 299:
	case 307:
		return true;
	}
	return false;
}
#define TL_SYSCALL_NR(r) ((long)(r)->orig_ax)
#define TL_SYSCALL_ARG0(r) ((r)->di)
#define TL_SYSCALL_NR_FIELD orig_ax
#define TL_SYSCALL_ARG0_FIELD di
/* THREAD_SIZE without KASAN (Debian's kernels); the syscall registers sit
 * at its top (TOP_OF_KERNEL_STACK_PADDING is 0 on x86-64 without FRED,
 * and kernels with FRED have bpf_task_pt_regs) */
#define TL_THREAD_SIZE (16384)
#elif defined(__TARGET_ARCH_arm64)
/* arm64 (asm-generic) numbers of the same syscalls. */
static __always_inline bool fd_syscall(long nr)
{
	switch (nr) {
	case 63:
	case 64:
	case 65:
	case 66:
	case 202:
	case 203:
	case 206:
	case 207:
	case 211:
	case 212:
	case 242:
	case 243:
	case 269:
		return true;
	}
	return false;
}
#define TL_SYSCALL_NR(r) ((long)(r)->syscallno)
#define TL_SYSCALL_ARG0(r) ((r)->orig_x0)
#define TL_SYSCALL_NR_FIELD syscallno
#define TL_SYSCALL_ARG0_FIELD orig_x0
#define TL_THREAD_SIZE (16384)
#else
#error "task_sampler: add this architecture's syscall numbers"
#endif

#define TL_PF_KTHREAD 0x00200000 /* include/linux/sched.h */
#define TL_TASK_UNINTERRUPTIBLE 0x2
#define TL_TASK_NOLOAD 0x400 /* TASK_IDLE = D | NOLOAD: idle kthreads */
#define TL_S_IFMT 00170000
#define TL_S_IFSOCK 0140000
#define TL_AF_INET 2
#define TL_AF_INET6 10
#define TL_IPPROTO_TCP 6

#endif
