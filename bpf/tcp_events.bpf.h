/* Kernel-only helpers of tcp_events.bpf.c: reading a socket into an event.
 * Everything goes through BPF_CORE_READ (bpf_probe_read_kernel), so the same
 * code serves tp_btf programs and the classic-tracepoint fallback, where the
 * socket is a plain pointer from the tracepoint record. */
#ifndef TCPLENS_TCP_EVENTS_BPF_H
#define TCPLENS_TCP_EVENTS_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tcp_events.h"

#define AF_INET 2
#define AF_INET6 10

enum {
	TL_TCP_ESTABLISHED = 1,
	TL_TCP_SYN_SENT = 2,
	TL_TCP_SYN_RECV = 3,
	TL_TCP_CLOSE = 7,
	TL_TCP_LISTEN = 10,
};

/* Two readers of the same fields: tp_btf programs get typed (BTF) socket
 * pointers and load fields directly, CO-RE relocated through vmlinux.h's
 * preserve_access_index (each bpf_probe_read_kernel would cost ~30-50 ns,
 * a dozen per event); classic tracepoints only carry the socket's address,
 * so the fallback reads through BPF_CORE_READ. `btf` is a compile-time
 * constant at every call site, so each program keeps only its own path. */
static __always_inline __u64 sk_netns(const struct sock *sk, bool btf)
{
	if (btf)
		return sk->__sk_common.skc_net.net->ns.inum;
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* The socket's cookie as the kernel holds it: 0 until somebody (inet_diag,
 * SO_COOKIE, bpf_get_socket_cookie) generated it. */
static __always_inline __u64 sk_cookie(const struct sock *sk, bool btf)
{
	if (btf)
		return sk->__sk_common.skc_cookie.counter;
	return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
}

static __always_inline __u8 sk_state(const struct sock *sk, bool btf)
{
	return btf ? sk->__sk_common.skc_state : BPF_CORE_READ(sk, __sk_common.skc_state);
}

/* The local port (host byte order; 0 once the kernel released it) and the
 * remote port (converted to host byte order). */
static __always_inline __u16 sk_sport(const struct sock *sk, bool btf)
{
	return btf ? sk->__sk_common.skc_num : BPF_CORE_READ(sk, __sk_common.skc_num);
}

static __always_inline __u16 sk_dport(const struct sock *sk, bool btf)
{
	return bpf_ntohs(btf ? sk->__sk_common.skc_dport : BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/* Family, addresses and ports of sk into e. */
static __always_inline void sk_tuple(struct tl_event *e, const struct sock *sk, bool btf)
{
	if (btf) {
		const struct sock_common *c = &sk->__sk_common;
		e->family = c->skc_family;
		e->sport = c->skc_num;
		e->dport = bpf_ntohs(c->skc_dport);
		if (e->family == AF_INET6) {
			__builtin_memcpy(e->saddr, c->skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
			__builtin_memcpy(e->daddr, c->skc_v6_daddr.in6_u.u6_addr8, 16);
		} else {
			__u32 s = c->skc_rcv_saddr, d = c->skc_daddr;
			__builtin_memcpy(e->saddr, &s, 4);
			__builtin_memcpy(e->daddr, &d, 4);
		}
		return;
	}
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)e->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, sk, __sk_common.skc_daddr);
	}
}

#define TL_TP_FINAL(e, tp, R) \
	do { \
		(e)->bytes_acked = R(tp, bytes_acked); \
		(e)->bytes_received = R(tp, bytes_received); \
		(e)->segs_in = R(tp, segs_in); \
		(e)->segs_out = R(tp, segs_out); \
		(e)->total_retrans = R(tp, total_retrans); \
		(e)->srtt_us = R(tp, srtt_us) >> 3; \
		(e)->rttvar_us = R(tp, mdev_us) >> 2; \
		(e)->delivered = R(tp, delivered); \
		(e)->lost = R(tp, lost_out); \
	} while (0)
#define TL_DIRECT(p, f) ((p)->f)

/* The close-time counters, as tcp_info reports them (tcp_get_info()). */
static __always_inline void sk_final(struct tl_event *e, const struct sock *sk, bool btf)
{
	if (btf) {
		/* a typed tcp_sock: direct loads past struct sock are allowed */
		struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);
		if (!tp)
			return;
		TL_TP_FINAL(e, tp, TL_DIRECT);
	} else {
		const struct tcp_sock *tp = (const struct tcp_sock *)sk;
		TL_TP_FINAL(e, tp, BPF_CORE_READ);
	}
	e->flags |= TL_EVFL_FINAL;
}

/* A reset sent without a socket (no listener on the port): the tuple comes
 * from the packet it answers, reversed (our reset goes back to its source). */
static __always_inline void skb_tuple_reversed(struct tl_event *e, const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	struct tcphdr t = {};
	__u8 ver = 0;

	bpf_probe_read_kernel(&ver, 1, head + nh);
	if ((ver >> 4) == 4) {
		struct iphdr ip = {};
		bpf_probe_read_kernel(&ip, sizeof(ip), head + nh);
		e->family = AF_INET;
		__builtin_memcpy(e->saddr, &ip.daddr, 4);
		__builtin_memcpy(e->daddr, &ip.saddr, 4);
	} else if ((ver >> 4) == 6) {
		struct ipv6hdr ip6 = {};
		bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh);
		e->family = AF_INET6;
		__builtin_memcpy(e->saddr, &ip6.daddr, 16);
		__builtin_memcpy(e->daddr, &ip6.saddr, 16);
	}
	bpf_probe_read_kernel(&t, sizeof(t), head + th);
	e->sport = bpf_ntohs(t.dest);
	e->dport = bpf_ntohs(t.source);
	e->netns_inode = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
}

#endif
