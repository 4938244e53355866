// SPDX-License-Identifier: GPL-2.0
/* The iterator poll (--poll-via iter): an iter/tcp program that writes one
 * record (tcp_iter.h) per TCP socket of the namespace the iterator was
 * created in (the kernel scopes iter/tcp to the creator's netns), reading
 * tcp_sock directly instead of having inet_diag format ~500 bytes of netlink
 * attributes. In-kernel change detection: socket local storage keeps what
 * the socket looked like when last emitted; a socket that did not move
 * emits nothing unless user space asks for a full pass (full_pass).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "tcp_iter.h"
#include "tcp_iter.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before each pass (one pass at a time). */
bool full_pass = false;
bool unowned_only = false; /* iter/tcp: only sockets no file holds (TIME_WAIT, requests, orphans) */

/* Totals since load. */
__u64 socks_seen = 0;
__u64 socks_emitted = 0;
__u64 socks_unchanged = 0;
__u64 write_errors = 0; /* bpf_seq_write failed otherwise: the record is lost */
/* bpf_seq_write found the read() buffer full: the kernel shows the same
 * socket (file) again at the next read(), so nothing is lost */
__u64 seq_retries = 0;
__u64 host_seen = 0; /* host pass: TCP socket files visited (a socket held by several fds counts each time) */

#include "refuse.bpf.h"

/* Change detection without per-socket state: tcp_mstamp is the time (in
 * CLOCK_MONOTONIC microseconds) of the socket's last activity, refreshed by
 * every path that moves what a record holds, under the socket lock the
 * iterator also takes (5.15+; user space allows 10 ms of slack for the
 * kernels before): a segment in (tcp_rcv_established,
 * tcp_rcv_state_process) or out (tcp_write_xmit, the write, delayed-ACK,
 * keepalive timers, resets), the application reading (tcp_rcv_space_adjust)
 * or writing (tcp_push -> tcp_write_xmit). User space sets since_us to the
 * start of this namespace's previous pass; a socket whose tcp_mstamp is older
 * did nothing since it was last read, so it costs one cache line and no map:
 * socket local storage (the last-seen record this replaced) cost a helper
 * call and three more cache misses per socket. Listeners are always emitted:
 * a SYN moves their accept queue without refreshing tcp_mstamp. */
__u64 since_us = 0;

static __always_inline bool unchanged(struct tcp_sock *tp, __u8 state)
{
	return state != TL_TCP_LISTEN && tp->tcp_mstamp < since_us;
}

/* The congestion control last read and its name (ops and key, the name's
 * hash, so a module reloaded at the same address is read again): a host runs
 * one or two, so most sockets copy the name instead of a probe read. */
__u64 last_ops = 0;
__u32 last_key = 0;
char last_cong[16] = {};

static __always_inline void fill_tcp(struct tl_sock_rec *r, struct sock *sk, struct tcp_sock *tp)
{
	struct inet_connection_sock *icsk = &tp->inet_conn;
	struct inet_sock *inet = &icsk->icsk_inet;
	const struct tcp_congestion_ops *ops;
	unsigned long rate;

	r->flags |= TL_SR_FULL;
	r->inode = sock_inode(sk);
	r->uid = sk->sk_uid.val;
	r->mark = sk->sk_mark;
	r->rmem_alloc = sk->sk_backlog.rmem_alloc.counter;
	r->rcvbuf = sk->sk_rcvbuf;
	r->wmem_alloc = sk->sk_wmem_alloc.refs.counter - 1; /* sk_wmem_alloc_get() */
	r->sndbuf = sk->sk_sndbuf;
	r->fwd_alloc = sk->sk_forward_alloc;
	r->wmem_queued = sk->sk_wmem_queued;
	r->optmem = sk->sk_omem_alloc.counter;
	r->backlog = sk->sk_backlog.len;
	r->shutdown = BPF_CORE_READ_BITFIELD(sk, sk_shutdown);
	if (bpf_core_field_exists(inet->tos))
		r->tos = inet->tos;
	if (r->family == TL_AF_INET6 && inet->pinet6)
		r->tclass = inet->pinet6->tclass;
	ops = icsk->icsk_ca_ops;
	if (ops && (__u64)ops == last_ops && ops->key == last_key) {
		__builtin_memcpy(r->cong, last_cong, sizeof(r->cong));
	} else if (ops) {
		bpf_probe_read_kernel(r->cong, sizeof(r->cong), ops->name);
		__builtin_memcpy(last_cong, r->cong, sizeof(last_cong));
		last_ops = (__u64)ops;
		last_key = ops->key;
	}

	/* tcp_get_info(): what every state reports, listeners included */
	rate = sk->sk_pacing_rate;
	r->pacing_rate = rate != ~0ul ? rate : ~0ull;
	rate = sk->sk_max_pacing_rate;
	r->max_pacing_rate = rate != ~0ul ? rate : ~0ull;
	r->reordering = tp->reordering;
	r->snd_cwnd = tp->snd_cwnd;
	if (r->state == TL_TCP_LISTEN) {
		r->rqueue = sk->sk_ack_backlog; /* tcp_diag_get_info() */
		r->wqueue = sk->sk_max_ack_backlog;
		r->unacked = sk->sk_ack_backlog;
		r->sacked = sk->sk_max_ack_backlog;
		return;
	}
	r->rqueue = (int)(tp->rcv_nxt - tp->copied_seq) > 0 ? tp->rcv_nxt - tp->copied_seq : 0;
	r->wqueue = tp->write_seq - tp->snd_una;
	r->ca_state = BPF_CORE_READ_BITFIELD(tp, inet_conn.icsk_ca_state);
	r->retransmits = icsk->icsk_retransmits;
	r->probes = icsk->icsk_probes_out;
	r->backoff = icsk->icsk_backoff;
	r->options = tcp_options(tp);
	if (r->options & TL_OPT_WSCALE) {
		r->snd_wscale = BPF_CORE_READ_BITFIELD(tp, rx_opt.snd_wscale);
		r->rcv_wscale = BPF_CORE_READ_BITFIELD(tp, rx_opt.rcv_wscale);
	}
	r->app_limited = BPF_CORE_READ_BITFIELD(tp, rate_app_limited);
	r->snd_mss = tp->mss_cache;
	r->rcv_mss = icsk->icsk_ack.rcv_mss;
	r->unacked = tp->packets_out;
	r->sacked = tp->sacked_out;
	r->lost = tp->lost_out;
	r->retrans = tp->retrans_out;
	r->pmtu = icsk->icsk_pmtu_cookie;
	r->rcv_ssthresh = tp->rcv_ssthresh;
	r->rtt = tp->srtt_us >> 3;
	r->rttvar = tp->mdev_us >> 2;
	r->snd_ssthresh = tp->snd_ssthresh;
	r->advmss = tp->advmss;
	r->rcv_rtt = tp->rcv_rtt_est.rtt_us >> 3;
	r->rcv_space = tp->rcvq_space.space;
	r->total_retrans = tp->total_retrans;
	r->bytes_acked = tp->bytes_acked;
	r->bytes_received = tp->bytes_received;
	r->segs_out = tp->segs_out;
	r->segs_in = tp->segs_in;
	r->notsent_bytes = (int)(tp->write_seq - tp->snd_nxt) > 0 ? tp->write_seq - tp->snd_nxt : 0;
	r->min_rtt = tp->rtt_min.s[0].v;
	r->data_segs_in = tp->data_segs_in;
	r->data_segs_out = tp->data_segs_out;
	r->delivery_rate = delivery_rate(tp);
	r->delivered = tp->delivered;
	r->delivered_ce = tp->delivered_ce;
	r->bytes_sent = tp->bytes_sent;
	r->bytes_retrans = tp->bytes_retrans;
	r->dsack_dups = tp->dsack_dups;
	r->reord_seen = tp->reord_seen;
	r->rcv_ooopack = tp->rcv_ooopack;
	r->snd_wnd = tp->snd_wnd;
	r->rcv_wnd = tp->rcv_wnd;
}

/* Writes r; false when it did not fit (or failed). */
static __always_inline bool put_rec(struct seq_file *seq, struct tl_sock_rec *r)
{
	long err = bpf_seq_write(seq, r, sizeof(*r));

	if (err == -75 /* EOVERFLOW: shown again at the next read() */)
		seq_retries++;
	else if (err < 0)
		write_errors++;
	else
		socks_emitted++;
	return err == 0;
}

/* The sock_common part of a record: ports, addresses, bound device. */
static __always_inline void fill_common(struct tl_sock_rec *r, struct sock_common *skc)
{
	r->kind = TL_REC_SOCK;
	r->size = sizeof(*r);
	r->sport = skc->skc_num;
	r->dport = tl_ntohs(skc->skc_dport);
	r->ifindex = skc->skc_bound_dev_if;
	r->v6only = BPF_CORE_READ_BITFIELD(skc, skc_ipv6only);
	if (r->family == TL_AF_INET6) {
		__builtin_memcpy(r->saddr, &skc->skc_v6_rcv_saddr, 16);
		__builtin_memcpy(r->daddr, &skc->skc_v6_daddr, 16);
	} else {
		__builtin_memcpy(r->saddr, &skc->skc_rcv_saddr, 4);
		__builtin_memcpy(r->daddr, &skc->skc_daddr, 4);
	}
}

static __always_inline int poll_one(struct bpf_iter__tcp *ctx, bool detect, bool gen_cookie)
{
	struct sock_common *skc = ctx->sk_common;
	struct seq_file *seq = ctx->meta->seq;
	struct tl_sock_rec r = {};
	struct tcp_sock *tp;
	__u8 state;

	if (!skc)
		return 0;
	socks_seen++;
	state = skc->skc_state;
	r.state = state == TL_TCP_NEW_SYN_RECV ? TL_TCP_SYN_RECV : state;
	r.family = skc->skc_family;
	tp = bpf_skc_to_tcp_sock(skc);
	/* a full socket with a file is the host pass's (--poll-via host) */
	if (unowned_only && tp && ((struct sock *)tp)->sk_socket)
		return 0;
	if (tp && detect && !full_pass && unchanged(tp, state)) {
		socks_unchanged++;
		return 0;
	}
	if (tp)
		touch_lines((struct sock *)tp, tp); /* first: its misses overlap what follows */
	fill_common(&r, skc);
	if (gen_cookie) {
		r.cookie = bpf_get_socket_cookie(skc);
	} else {
		r.cookie = skc->skc_cookie.counter;
		r.flags |= TL_SR_NO_COOKIE;
	}
	if (tp)
		fill_tcp(&r, (struct sock *)tp, tp);
	put_rec(seq, &r); /* not written (EOVERFLOW): shown again at the next read(), still changed */
	return 0;
}

/* One part ("sockets") in variants, best first (native/iter_poll.c):
 *   poll_tcp      change detection, bpf_get_socket_cookie (tracing programs:
 *                 5.12+), which generates the cookie as inet_diag does;
 *   poll_tcp_rd   change detection, the cookie read as the kernel holds it (0
 *                 until generated; iter/tcp, 5.9+);
 *   poll_tcp_all  no change detection: every socket every pass (iter/tcp, 5.9+). */
TL_VARIANT("iter/tcp", struct bpf_iter__tcp, poll_tcp, TL_ITP_poll_tcp, poll_one(ctx, true, true))
TL_VARIANT("iter/tcp", struct bpf_iter__tcp, poll_tcp_rd, TL_ITP_poll_tcp_rd, poll_one(ctx, true, false))
TL_VARIANT("iter/tcp", struct bpf_iter__tcp, poll_tcp_all, TL_ITP_poll_tcp_all, poll_one(ctx, false, false))

/* The host pass (--poll-via host): one iter/task_file pass over every task's
 * files, from the host, reaches every TCP socket a process holds, whatever
 * its namespace, at a cost that grows with the host's sockets rather than
 * namespaces x sockets (an iter/tcp walk or an inet_diag dump passes every
 * socket of the host's hash tables, each namespace again). Each record
 * carries its socket's netns inode; a socket held by several fds (dup,
 * fork) comes once per fd and user space keeps the first (by inode).
 * Sockets no file holds (TIME_WAIT, requests, orphans, accept queues) are
 * not here: the iter/tcp walk with unowned_only finds them.
 *   host_tcp       bpf_sock_from_file (5.11+), bpf_skc_to_tcp_sock and
 *                  bpf_get_socket_cookie on sock->sk (refused where that
 *                  pointer is untrusted: 6.18), the cookie generated as
 *                  inet_diag does;
 *   host_tcp_cast  the tcp_sock made readable with the bpf_rdonly_cast kfunc
 *                  (6.2+), the cookie read as the kernel holds it.
 * A socket in CLOSE is in none of the hash tables inet_diag walks: skipped,
 * so both report the same sockets. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

static __always_inline int host_emit(struct seq_file *seq, struct tcp_sock *tp, __u64 cookie, bool gen_cookie)
{
	struct sock *sk = (struct sock *)tp;
	struct sock_common *skc = &sk->__sk_common;
	struct tl_sock_rec r = {};

	r.state = skc->skc_state;
	if (r.state == 7 /* TCP_CLOSE */)
		return 0;
	r.family = skc->skc_family;
	fill_common(&r, skc);
	r.cookie = cookie;
	if (!gen_cookie)
		r.flags |= TL_SR_NO_COOKIE;
	r.netns = skc->skc_net.net->ns.inum;
	fill_tcp(&r, sk, tp);
	put_rec(seq, &r);
	return 0;
}

/* sock->sk of a TCP socket file, or NULL. */
static __always_inline struct sock *file_tcp(struct bpf_iter__task_file *ctx)
{
	struct file *f = ctx->file;
	struct socket *sock;
	struct sock *sk;

	if (!ctx->task || !f)
		return NULL;
	sock = bpf_sock_from_file(f);
	if (!sock)
		return NULL;
	sk = sock->sk;
	if (!sk || (sk->__sk_common.skc_family != TL_AF_INET && sk->__sk_common.skc_family != TL_AF_INET6) ||
	    sk->sk_protocol != 6 /* IPPROTO_TCP */ || sk->sk_type != 1 /* SOCK_STREAM */)
		return NULL;
	host_seen++;
	return sk;
}

SEC("iter/task_file")
int host_tcp(struct bpf_iter__task_file *ctx)
{
	struct tcp_sock *tp;
	struct sock *sk;

	TL_REFUSE_IF(TL_ITP_host_tcp, ctx);
	sk = file_tcp(ctx);
	tp = sk ? bpf_skc_to_tcp_sock(sk) : NULL;
	if (!tp)
		return 0;
	return host_emit(ctx->meta->seq, tp, bpf_get_socket_cookie(sk), true);
}

SEC("iter/task_file")
int host_tcp_cast(struct bpf_iter__task_file *ctx)
{
	struct tcp_sock *tp;
	struct sock *sk;

	TL_REFUSE_IF(TL_ITP_host_tcp_cast, ctx);
	sk = file_tcp(ctx);
	if (!sk)
		return 0;
	tp = bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct tcp_sock));
	return host_emit(ctx->meta->seq, tp, tp->inet_conn.icsk_inet.sk.__sk_common.skc_cookie.counter, false);
}
