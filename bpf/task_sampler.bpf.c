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
const volatile __u32 filter_tgid = 0; /* 0 = every process */
const volatile bool all_tasks = false; /* false = active threads only */

/* Totals since load, read by user space between runs (one run at a time). */
__u64 tasks_seen = 0;
__u64 tasks_emitted = 0;
__u64 write_errors = 0; /* bpf_seq_write failed: the record is lost */

static __always_inline __u64 task_cgroup_id(struct task_struct *t)
{
	return BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
}

/* The file behind fd in t's table, or NULL. The table may be resized or
 * the fd closed under us: every read is a probe read that yields 0. */
static __always_inline struct file *task_fd_file(struct task_struct *t, __u64 fd)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* The TCP sock of a socket file, or NULL for anything else. */
static __always_inline struct sock *file_tcp_sock(struct file *f, __u32 *ino)
{
	struct inode *inode = BPF_CORE_READ(f, f_inode);
	struct socket *sock;
	struct sock *sk;
	__u16 family;

	if ((BPF_CORE_READ(inode, i_mode) & TL_S_IFMT) != TL_S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return NULL;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if ((family != TL_AF_INET && family != TL_AF_INET6) ||
	    BPF_CORE_READ(sk, sk_protocol) != TL_IPPROTO_TCP)
		return NULL;
	*ino = (__u32)BPF_CORE_READ(inode, i_ino);
	return sk;
}

static __always_inline void fill_socket(struct tl_task_rec *r, struct sock *sk)
{
	struct sock_common *c = &sk->__sk_common;

	r->family = BPF_CORE_READ(c, skc_family);
	r->sk_state = BPF_CORE_READ(c, skc_state);
	r->sport = BPF_CORE_READ(c, skc_num);
	r->dport = __builtin_bswap16(BPF_CORE_READ(c, skc_dport));
	r->netns_inode = BPF_CORE_READ(c, skc_net.net, ns.inum);
	/* bpf_get_socket_cookie() needs a trusted sock pointer, and one read
	 * out of a task's fd table is not: read the cookie as it is. 0 means
	 * nobody (inet_diag, SO_COOKIE, the owners pass) has generated it. */
	r->cookie = BPF_CORE_READ(c, skc_cookie.counter);
	if (r->family == TL_AF_INET) {
		bpf_probe_read_kernel(r->saddr, 4, &c->skc_rcv_saddr);
		bpf_probe_read_kernel(r->daddr, 4, &c->skc_daddr);
	} else {
		bpf_probe_read_kernel(r->saddr, 16, &c->skc_v6_rcv_saddr);
		bpf_probe_read_kernel(r->daddr, 16, &c->skc_v6_daddr);
	}
	r->flags |= TL_TF_SOCKET | (r->cookie ? 0 : TL_TF_NO_COOKIE);
}

SEC("iter/task")
int sample_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct tl_task_rec r;
	unsigned int state;
	bool kthread;

	if (!t)
		return 0;
	if (filter_tgid && t->tgid != filter_tgid)
		return 0;
	tasks_seen++;
	__builtin_memset(&r, 0, sizeof(r));
	state = t->__state;
	kthread = t->flags & TL_PF_KTHREAD;
	r.syscall_nr = TL_NO_SYSCALL;
	if (t->on_cpu)
		r.flags |= TL_TF_ON_CPU;
	else if (state == 0)
		r.flags |= TL_TF_RUNNABLE;
	if (kthread) {
		r.flags |= TL_TF_KTHREAD;
	} else {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
		long nr = regs ? TL_SYSCALL_NR(regs) : -1;

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
				struct file *f = task_fd_file(t, TL_SYSCALL_ARG0(regs));
				struct sock *sk = f ? file_tcp_sock(f, &r.ino) : NULL;

				if (sk)
					fill_socket(&r, sk);
			}
		}
	}
	/* Active = on a CPU, runnable, in uninterruptible sleep (D, but not the
	 * TASK_IDLE of idle kernel threads), or blocked on a TCP socket. */
	if (!all_tasks && !(r.flags & (TL_TF_ON_CPU | TL_TF_RUNNABLE | TL_TF_SOCKET)) &&
	    !((state & TL_TASK_UNINTERRUPTIBLE) && !(state & TL_TASK_NOLOAD)))
		return 0;
	r.kind = TL_REC_TASK;
	r.size = sizeof(r);
	r.pid = t->pid;
	r.tgid = t->tgid;
	r.state = state;
	r.cgroup_id = task_cgroup_id(t);
	bpf_probe_read_kernel_str(r.comm, sizeof(r.comm), t->comm);
	if (bpf_seq_write(ctx->meta->seq, &r, sizeof(r)))
		write_errors++;
	else
		tasks_emitted++;
	return 0;
}

SEC("iter/task_file")
int sample_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *t = ctx->task;
	struct file *f = ctx->file;
	struct tl_owner_rec r;
	struct socket *sock;
	struct sock *sk;

	if (!t || !f)
		return 0;
	if (filter_tgid && t->tgid != filter_tgid)
		return 0;
	sock = bpf_sock_from_file(f);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk || (sk->__sk_common.skc_family != TL_AF_INET &&
		    sk->__sk_common.skc_family != TL_AF_INET6) ||
	    sk->sk_protocol != TL_IPPROTO_TCP)
		return 0;
	__builtin_memset(&r, 0, sizeof(r));
	r.kind = TL_REC_OWNER;
	r.size = sizeof(r);
	/* Generates the cookie when nobody has asked for it yet, exactly as
	 * inet_diag does, so the value joins the poll view's idiag_cookie. */
	r.cookie = bpf_get_socket_cookie(sk);
	r.netns_inode = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
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
