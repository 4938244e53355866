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

/* Totals since load. */
__u64 socks_seen = 0;
__u64 socks_emitted = 0;
__u64 socks_unchanged = 0;
__u64 write_errors = 0; /* bpf_seq_write failed: the record is lost */

#include "refuse.bpf.h"

/* What a socket looked like when last emitted: what moves when the
 * connection or its owner does something (a segment in or out, the
 * application reading or writing, a state change). snd_una, rcv_nxt and the
 * CA state move only with a segment, so they are not kept: the fewer
 * cache lines an unchanged socket touches, the cheaper its walk. */
struct tl_seen {
	__u32 segs_in, segs_out, copied_seq, write_seq;
	__u8 state, pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tl_seen);
} seen SEC(".maps");

/* One part ("sockets") in variants, best first (native/iter_poll.c):
 *   poll_tcp      change detection in socket local storage (bpf_sk_storage_get
 *                 from iterators: 5.11+) and bpf_get_socket_cookie (tracing
 *                 programs: 5.12+), which generates the cookie as inet_diag does;
 *   poll_tcp_rd   the same, the cookie read as the kernel holds it (0 until
 *                 generated);
 *   poll_tcp_all  no change detection: every socket every pass (iter/tcp, 5.9+).
 */

static __always_inline bool unchanged(struct sock *sk, struct tcp_sock *tp, __u8 state)
{
	struct tl_seen now = {}, *last;
	bool same;

	now.segs_in = tp->segs_in;
	now.segs_out = tp->segs_out;
	now.copied_seq = tp->copied_seq;
	now.write_seq = tp->write_seq;
	now.state = state;
	last = bpf_sk_storage_get(&seen, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!last)
		return false; /* no memory for it: emit, as if changed */
	same = last->segs_in == now.segs_in && last->segs_out == now.segs_out && last->copied_seq == now.copied_seq &&
	       last->write_seq == now.write_seq && last->state == now.state;
	if (!same)
		*last = now;
	return same;
}

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
	if (ops)
		bpf_probe_read_kernel(r->cong, sizeof(r->cong), ops->name);

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
	if (tp && detect && !full_pass && unchanged((struct sock *)tp, tp, state)) {
		socks_unchanged++;
		return 0;
	}
	r.kind = TL_REC_SOCK;
	r.size = sizeof(r);
	r.sport = skc->skc_num;
	r.dport = tl_ntohs(skc->skc_dport);
	r.ifindex = skc->skc_bound_dev_if;
	r.v6only = BPF_CORE_READ_BITFIELD(skc, skc_ipv6only);
	if (r.family == TL_AF_INET6) {
		__builtin_memcpy(r.saddr, &skc->skc_v6_rcv_saddr, 16);
		__builtin_memcpy(r.daddr, &skc->skc_v6_daddr, 16);
	} else {
		__builtin_memcpy(r.saddr, &skc->skc_rcv_saddr, 4);
		__builtin_memcpy(r.daddr, &skc->skc_daddr, 4);
	}
	if (gen_cookie) {
		r.cookie = bpf_get_socket_cookie(skc);
	} else {
		r.cookie = skc->skc_cookie.counter;
		r.flags |= TL_SR_NO_COOKIE;
	}
	if (tp) {
		fill_tcp(&r, (struct sock *)tp, tp);
		if (detect && full_pass)
			unchanged((struct sock *)tp, tp, state); /* remember it */
	}
	if (bpf_seq_write(seq, &r, sizeof(r)) < 0)
		write_errors++;
	else
		socks_emitted++;
	return 0;
}

SEC("iter/tcp")
int poll_tcp(struct bpf_iter__tcp *ctx)
{
	TL_REFUSE_IF(TL_ITP_poll_tcp, ctx);
	return poll_one(ctx, true, true);
}

SEC("iter/tcp")
int poll_tcp_rd(struct bpf_iter__tcp *ctx)
{
	TL_REFUSE_IF(TL_ITP_poll_tcp_rd, ctx);
	return poll_one(ctx, true, false);
}

SEC("iter/tcp")
int poll_tcp_all(struct bpf_iter__tcp *ctx)
{
	TL_REFUSE_IF(TL_ITP_poll_tcp_all, ctx);
	return poll_one(ctx, false, false);
}
