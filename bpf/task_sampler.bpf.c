// SPDX-License-Identifier: GPL-2.0
/* The samples view: an iter/task program that writes one record per
 * sampled thread (state, syscall, and the TCP socket it blocks on) and an
 * iter/task_file program that writes one record per (process, TCP socket)
 * so polled sockets can be attributed to processes. User space reads both
 * through the iterator's seq_file (read() on the iterator fd): no maps, no
 * ring buffer, nothing to drain between samples.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "task_sampler.h"
#include "task_sampler.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set before load (skeleton rodata). */
const volatile __u32 filter_tgid = 0;  /* 0 = every process */
const volatile bool all_tasks = false; /* false = active threads only */
/* The sampling process itself (tcplens): its threads are left out of the
 * task samples (its reader is always on a CPU during a pass). 0 = none. */
const volatile __u32 skip_tgid = 0;

/* The network namespaces the run watches (their ns.inum; set by user space
 * between passes); watch_netns_n == 0: every namespace. The owners pass
 * writes only their sockets, the task sampler only their threads (and
 * threads blocked on a socket of theirs). A walk still visits every task
 * (and its files): what this saves is the records, and the rows, of
 * namespaces nobody watches. */
#define TL_WATCH_NETNS_MAX 16
__u32 watch_netns[TL_WATCH_NETNS_MAX] = {};
__u32 watch_netns_n = 0;
__u64 owners_skipped = 0; /* sockets of namespaces not watched */
__u64 tasks_skipped = 0;  /* threads (and their sockets) of namespaces not watched */

/* Whether namespace `inum` is watched. A bounded loop over a global array:
 * no map, nothing for the 5.10 memlock limit. */
static __always_inline bool netns_watched(__u32 inum)
{
	__u32 n = watch_netns_n;

	if (!n)
		return true;
	for (int i = 0; i < TL_WATCH_NETNS_MAX; i++) {
		if (i >= n)
			break;
		if (watch_netns[i] == inum)
			return true;
	}
	return false;
}

/* Totals since load, read by user space between runs (one run at a time). */
__u64 tasks_seen = 0;
__u64 tasks_emitted = 0;
__u64 write_errors = 0; /* bpf_seq_write failed: the record is lost */

#include "refuse.bpf.h"

/* Two parts, each in variants; the loader (native/sampler.c) loads, per
 * part, the first variant the running kernel accepts:
 *   tasks (iter/task, 5.8+):
 *     sample_tasks        pointers out of the fd table and private_data made
 *                         walkable with the bpf_rdonly_cast kfunc (6.2+):
 *                         plain loads, several times cheaper than a helper
 *                         call per field;
 *     sample_tasks_rd     the same fields through bpf_probe_read_kernel
 *                         (BPF_CORE_READ), with bpf_task_pt_regs (5.15+);
 *     sample_tasks_stack  the same, finding the syscall registers at the top
 *                         of the task's kernel stack as task_pt_regs() does
 *                         (x86-64), for kernels without bpf_task_pt_regs.
 *   owners (iter/task_file, 5.8+):
 *     sample_owners       bpf_sock_from_file (5.11+) and
 *                         bpf_get_socket_cookie, which generates the cookie
 *                         like inet_diag does; refused where sock->sk is an
 *                         untrusted pointer (6.18);
 *     sample_owners_rd    the socket found by its inode mode, the cookie read
 *                         as the kernel holds it (0 until someone generated
 *                         it: the owner map still joins on the inode).
 * The kfunc is __weak: a kernel without it loads the other variants. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
#define TL_CAST(type, p) ((type *)bpf_rdonly_cast((p), bpf_core_type_id_kernel(type)))

/* task->state (long) became task->__state (unsigned int) in 5.14. */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return (unsigned int)BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

static __always_inline __u64 task_cgroup_id(struct task_struct *t)
{
	return t->cgroups->dfl_cgrp->kn->id;
}

/* The file behind fd in t's table, or NULL. The table may be resized or
 * the fd closed under us: every read is a probe read that yields 0. */
static __always_inline struct file *task_fd_file(struct task_struct *t, __u64 fd)
{
	struct fdtable *fdt = t->files->fdt;
	struct file *f = NULL;

	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
	return f;
}

/* The TCP sock of a socket file, or NULL for anything else. `cast`: read
 * through bpf_rdonly_cast pointers, else through probe reads. */
static __always_inline struct sock *file_tcp_sock(struct file *f, __u32 *ino, bool cast)
{
	struct inode *inode;
	struct socket *sock;
	struct sock *sk;
	__u16 family, proto;

	if (cast) {
		f = TL_CAST(struct file, f);
		inode = f->f_inode;
		if (!inode || (inode->i_mode & TL_S_IFMT) != TL_S_IFSOCK || !f->private_data)
			return NULL;
		sock = TL_CAST(struct socket, f->private_data);
		sk = sock->sk;
		if (!sk)
			return NULL;
		family = sk->__sk_common.skc_family;
		proto = sk->sk_protocol;
		*ino = (__u32)inode->i_ino;
	} else {
		inode = BPF_CORE_READ(f, f_inode);
		if (!inode || (BPF_CORE_READ(inode, i_mode) & TL_S_IFMT) != TL_S_IFSOCK)
			return NULL;
		sock = BPF_CORE_READ(f, private_data);
		sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
		if (!sk)
			return NULL;
		family = BPF_CORE_READ(sk, __sk_common.skc_family);
		proto = BPF_CORE_READ(sk, sk_protocol);
		*ino = (__u32)BPF_CORE_READ(inode, i_ino);
	}
	if ((family != TL_AF_INET && family != TL_AF_INET6) || proto != TL_IPPROTO_TCP)
		return NULL;
	return sk;
}

static __always_inline void fill_socket(struct tl_task_rec *r, struct sock *sk, bool cast)
{
	struct sock_common *c;

	if (cast) {
		c = &TL_CAST(struct sock, sk)->__sk_common;
		r->family = c->skc_family;
		r->sk_state = c->skc_state;
		r->sport = c->skc_num;
		r->dport = __builtin_bswap16(c->skc_dport);
		r->netns_inode = c->skc_net.net->ns.inum;
		r->cookie = c->skc_cookie.counter;
	} else {
		c = &sk->__sk_common;
		r->family = BPF_CORE_READ(c, skc_family);
		r->sk_state = BPF_CORE_READ(c, skc_state);
		r->sport = BPF_CORE_READ(c, skc_num);
		r->dport = __builtin_bswap16(BPF_CORE_READ(c, skc_dport));
		r->netns_inode = BPF_CORE_READ(c, skc_net.net, ns.inum);
		r->cookie = BPF_CORE_READ(c, skc_cookie.counter);
	}
	/* bpf_get_socket_cookie() needs a trusted sock pointer, and one read
	 * out of a task's fd table is not: read the cookie as it is. 0 means
	 * nobody (inet_diag, SO_COOKIE, the owners pass) has generated it. */
	if (cast && r->family == TL_AF_INET) {
		__u32 s = c->skc_rcv_saddr, d = c->skc_daddr;
		__builtin_memcpy(r->saddr, &s, 4);
		__builtin_memcpy(r->daddr, &d, 4);
	} else if (r->family == TL_AF_INET) {
		bpf_probe_read_kernel(r->saddr, 4, &c->skc_rcv_saddr);
		bpf_probe_read_kernel(r->daddr, 4, &c->skc_daddr);
	} else {
		bpf_probe_read_kernel(r->saddr, 16, &c->skc_v6_rcv_saddr);
		bpf_probe_read_kernel(r->daddr, 16, &c->skc_v6_daddr);
	}
	r->flags |= TL_TF_SOCKET | (r->cookie ? 0 : TL_TF_NO_COOKIE);
}

enum regs_from { REGS_HELPER, REGS_STACK };

/* The registers a task entered the kernel with. */
static __always_inline struct pt_regs *task_regs(struct task_struct *t, enum regs_from how)
{
	if (how == REGS_HELPER)
		return (struct pt_regs *)bpf_task_pt_regs(t);
	/* task_pt_regs(): the top of the kernel stack, minus one pt_regs */
	void *stack = t->stack;
	return stack ? (struct pt_regs *)(stack + TL_THREAD_SIZE) - 1 : NULL;
}

static __always_inline int sample_task(struct bpf_iter__task *ctx, bool cast, enum regs_from how)
{
	struct task_struct *t = ctx->task;
	struct tl_task_rec r;
	unsigned int state;
	bool kthread;

	if (!t)
		return 0;
	if (filter_tgid && t->tgid != filter_tgid)
		return 0;
	if (skip_tgid && t->tgid == skip_tgid)
		return 0;
	tasks_seen++;
	__builtin_memset(&r, 0, sizeof(r));
	state = task_state(t);
	kthread = t->flags & TL_PF_KTHREAD;
	r.syscall_nr = TL_NO_SYSCALL;
	if (t->on_cpu)
		r.flags |= TL_TF_ON_CPU;
	else if (state == 0)
		r.flags |= TL_TF_RUNNABLE;
	if (kthread) {
		r.flags |= TL_TF_KTHREAD;
	} else {
		struct pt_regs *regs = task_regs(t, how);
		long nr = -1;
		__u64 fd = 0;

		if (regs && how == REGS_HELPER) {
			nr = TL_SYSCALL_NR(regs);
			fd = TL_SYSCALL_ARG0(regs);
		} else if (regs) {
			nr = BPF_CORE_READ(regs, TL_SYSCALL_NR_FIELD);
			fd = BPF_CORE_READ(regs, TL_SYSCALL_ARG0_FIELD);
		}
		/* Negative: entered the kernel by an interrupt, not a syscall.
		 * For a thread on a CPU in user space these registers are those
		 * of its last kernel entry (the syscall may have returned); an
		 * exception with an error code (a page fault in D) leaves that
		 * code here. Exact for a thread asleep in a syscall. */
		if (nr >= 0) {
			r.syscall_nr = nr;
			r.flags |= TL_TF_IN_SYSCALL;
			/* Only a sleeping thread is still inside its syscall. */
			if (!(r.flags & TL_TF_ON_CPU) && fd_syscall(nr)) {
				struct file *f = task_fd_file(t, fd);
				struct sock *sk = f ? file_tcp_sock(f, &r.ino, cast) : NULL;

				if (sk)
					fill_socket(&r, sk, cast);
			}
		}
	}
	/* Active = on a CPU, runnable, in uninterruptible sleep (D, but not the
	 * TASK_IDLE of idle kernel threads), or blocked on a TCP socket. */
	if (!all_tasks && !(r.flags & (TL_TF_ON_CPU | TL_TF_RUNNABLE | TL_TF_SOCKET)) &&
	    !((state & TL_TASK_UNINTERRUPTIBLE) && !(state & TL_TASK_NOLOAD)))
		return 0;
	/* the thread's own namespace, or the one of the socket it waits on */
	if (watch_netns_n && !netns_watched(BPF_CORE_READ(t, nsproxy, net_ns, ns.inum)) &&
	    !((r.flags & TL_TF_SOCKET) && netns_watched((__u32)r.netns_inode))) {
		tasks_skipped++;
		return 0;
	}
	r.kind = TL_REC_TASK;
	r.size = sizeof(r);
	r.pid = t->pid;
	r.tgid = t->tgid;
	r.state = state;
	r.cgroup_id = task_cgroup_id(t);
	__builtin_memcpy(r.comm, t->comm, sizeof(r.comm));
	if (bpf_seq_write(ctx->meta->seq, &r, sizeof(r)))
		write_errors++;
	else
		tasks_emitted++;
	return 0;
}

TL_VARIANT("iter/task", struct bpf_iter__task, sample_tasks, TL_SMP_sample_tasks, sample_task(ctx, true, REGS_HELPER))
TL_VARIANT("iter/task", struct bpf_iter__task, sample_tasks_rd, TL_SMP_sample_tasks_rd,
	   sample_task(ctx, false, REGS_HELPER))
TL_VARIANT("iter/task", struct bpf_iter__task, sample_tasks_stack, TL_SMP_sample_tasks_stack,
	   sample_task(ctx, false, REGS_STACK))

static __always_inline int put_owner(struct bpf_iter__task_file *ctx, struct task_struct *t, struct file *f,
				     __u32 netns, __u64 cookie)
{
	struct tl_owner_rec r;

	__builtin_memset(&r, 0, sizeof(r));
	r.kind = TL_REC_OWNER;
	r.size = sizeof(r);
	r.cookie = cookie;
	r.netns_inode = netns;
	r.cgroup_id = task_cgroup_id(t);
	r.ino = (__u32)BPF_CORE_READ(f, f_inode, i_ino);
	r.tgid = t->tgid;
	r.pid = t->pid;
	r.fd = ctx->fd;
	bpf_probe_read_kernel_str(r.comm, sizeof(r.comm), t->comm);
	if (bpf_seq_write(ctx->meta->seq, &r, sizeof(r)))
		write_errors++;
	return 0;
}

SEC("iter/task_file")
int sample_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *t = ctx->task;
	struct file *f = ctx->file;
	struct socket *sock;
	struct sock *sk;
	__u32 netns;

	TL_REFUSE_IF(TL_SMP_sample_owners, ctx);

	if (!t || !f)
		return 0;
	if (filter_tgid && t->tgid != filter_tgid)
		return 0;
	sock = bpf_sock_from_file(f);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk || (sk->__sk_common.skc_family != TL_AF_INET && sk->__sk_common.skc_family != TL_AF_INET6) ||
	    sk->sk_protocol != TL_IPPROTO_TCP)
		return 0;
	netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (!netns_watched(netns)) {
		owners_skipped++;
		return 0;
	}
	/* Generates the cookie when nobody has asked for it yet, exactly as
	 * inet_diag does, so the value joins the poll view's idiag_cookie. */
	return put_owner(ctx, t, f, netns, bpf_get_socket_cookie(sk));
}

SEC("iter/task_file")
int sample_owners_rd(struct bpf_iter__task_file *ctx)
{
	struct task_struct *t = ctx->task;
	struct file *f = ctx->file;
	struct sock *sk;
	__u32 ino, netns;

	TL_REFUSE_IF(TL_SMP_sample_owners_rd, ctx);

	if (!t || !f)
		return 0;
	if (filter_tgid && t->tgid != filter_tgid)
		return 0;
	sk = file_tcp_sock(f, &ino, false);
	if (!sk)
		return 0;
	netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (!netns_watched(netns)) {
		owners_skipped++;
		return 0;
	}
	return put_owner(ctx, t, f, netns, BPF_CORE_READ(sk, __sk_common.skc_cookie.counter));
}
