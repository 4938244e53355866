// SPDX-License-Identifier: GPL-2.0
/* The events view: every TCP open, close, state change, retransmit and reset
 * as it happens, with the socket cookie (the join key of every view), into a
 * BPF ring buffer. Records are submitted with BPF_RB_NO_WAKEUP: a wakeup per
 * event costs more than the probe (tcplife-style per-event wakeups slowed a
 * churn by 31% here). User space drains on a timer, and, when it set
 * wake_bytes, is woken by the first record into an empty ring (an idle
 * reader sleeps) and once the ring holds that much (a burst is drained as
 * it comes, not when the ring has overflowed).
 *
 * Four parts (state changes, retransmits, sent resets, received resets),
 * each written in up to three variants; the loader (native/events.c) loads,
 * per part, the first variant the running kernel accepts:
 *   btf_*   tp_btf + bpf_get_socket_cookie(): tracing programs have that
 *           helper from 5.12; it generates the cookie if nobody has yet.
 *   btfrd_* tp_btf, the cookie read from sk->skc_cookie (tp_btf: 5.5+);
 *           0 while nobody (inet_diag, SO_COOKIE) has generated it.
 *   tp_*    classic tracepoints (need tracefs), the cookie read the same way.
 * An event without a cookie carries TL_EVFL_NOCOOKIE and joins its flow on
 * (netns, 4-tuple). Per-socket state is keyed by the socket's address in
 * every variant, so parts loaded in different variants still agree. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "tcp_events.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define IPPROTO_TCP 6

/* Settings, fixed at load time. */
const volatile __u64 netns_filter[TL_EV_MAX_NETNS] = {};
const volatile __u32 n_netns = 0; /* 0: every namespace */
const volatile __u16 port_filter[TL_EV_MAX_PORTS] = {};
const volatile __u32 n_ports = 0;	       /* 0: every port; else local or remote port matches */
const volatile __u32 keep_kinds = TL_EVK_ALL;  /* bit k keeps kind k */
const volatile __u32 keep_states = 0xffffffff; /* kind STATE: bit s keeps new state s */
/* wake the reader at the first record into an empty ring and once this much waits; 0: never */
const volatile __u64 wake_bytes = 0;

#include "refuse.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* the loader sets the size */
} events SEC(".maps");

/* Per CPU, ring-buffer writes that failed (ring full): [0] events, [1]
 * births and forgets (those sockets' events come without owner and
 * lifetime; the reader adds its own table's overflow). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct tl_owner {
	__u64 cgroup_id;
	__u32 pid;
	__u32 tgid;
	__u8 comm[16];
};

/* Listeners by (netns, port): passive opens run in softirq, where the
 * current task is whoever was interrupted; the owner is whoever called
 * listen(). Two processes listening on one port (SO_REUSEPORT) make the
 * owner ambiguous, and then it is not reported. */
struct tl_listen_key {
	__u64 netns;
	__u32 port;
	__u32 pad;
};

struct tl_listener {
	struct tl_owner o;
	__u64 sk; /* the listening socket's address */
	__u32 ambiguous;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct tl_listen_key);
	__type(value, struct tl_listener);
} listeners SEC(".maps");

static __always_inline bool netns_ok(__u64 ns)
{
	if (n_netns == 0)
		return true;
	for (__u32 i = 0; i < TL_EV_MAX_NETNS && i < n_netns; i++)
		if (netns_filter[i] == ns)
			return true;
	return false;
}

static __always_inline bool ports_ok(__u16 sport, __u16 dport)
{
	if (n_ports == 0)
		return true;
	for (__u32 i = 0; i < TL_EV_MAX_PORTS && i < n_ports; i++)
		if (port_filter[i] == sport || port_filter[i] == dport)
			return true;
	return false;
}

static __always_inline void current_owner(struct tl_owner *o)
{
	__u64 id = bpf_get_current_pid_tgid();

	o->pid = (__u32)id;
	o->tgid = id >> 32;
	o->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

static __always_inline void put_cookie(struct tl_event *e, __u64 cookie)
{
	e->cookie = cookie;
	if (!cookie)
		e->flags |= TL_EVFL_NOCOOKIE;
}

/* The cookie, taken only for an event that is emitted: generating it
 * (bpf_get_socket_cookie, `gen`: tp_btf on 5.12+) for every state change of
 * the host would cost each one a helper call and give a cookie to sockets
 * of namespaces nobody watches. Otherwise it is read as the kernel holds
 * it: 0 until someone (inet_diag, SO_COOKIE) generated it. `gen` and `btf`
 * are constants at every call site, so a program keeps only its own path. */
static __always_inline __u64 cookie_of(const struct sock *sk, bool gen, bool btf)
{
	if (gen)
		return bpf_get_socket_cookie((void *)sk);
	return sk_cookie(sk, btf);
}

static __always_inline void count_drop(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &which);

	if (n)
		(*n)++;
}

/* The wakeup a record asks for. bpf_ringbuf_query (5.8+): a few loads, no
 * lock. The first record into an empty ring wakes the reader (which reads a
 * little later, so a trickle costs one wakeup a batch and an idle ring
 * none); past the threshold every record asks for a wakeup; the kernel
 * coalesces those still pending (one irq_work), and the reader empties the
 * ring at once. Asked before the record is reserved (a reserved record
 * counts as data). */
static __always_inline __u64 wake_flags(void)
{
	if (wake_bytes) {
		__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
		if (avail == 0 || avail + sizeof(struct tl_event) >= wake_bytes)
			return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

/* A record built on the stack (the rare kinds): copied into the ring. */
static __always_inline void emit(struct tl_event *e)
{
	if (bpf_ringbuf_output(&events, e, sizeof(*e), wake_flags()) < 0)
		count_drop(0);
}

/* A zeroed record reserved in the ring, filled there and submitted: no
 * record on the stack to clear and copy (the hot path: opens and closes).
 * NULL (counted) when the ring is full. */
static __always_inline struct tl_event *reserve_event(void)
{
	struct tl_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_drop(0);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	return e;
}

static __always_inline __u8 kind_of(int old, int new)
{
	if (new == TL_TCP_ESTABLISHED && old == TL_TCP_SYN_SENT)
		return TL_EVK_ACTIVE_OPEN;
	if (new == TL_TCP_ESTABLISHED && old == TL_TCP_SYN_RECV)
		return TL_EVK_PASSIVE_OPEN;
	if (new == TL_TCP_CLOSE)
		return TL_EVK_CLOSE;
	return TL_EVK_STATE;
}

static __always_inline void put_birth_owner(struct tl_birth *b, const struct tl_owner *o)
{
	b->pid = o->pid;
	b->tgid = o->tgid;
	b->cgroup_id = o->cgroup_id;
	__builtin_memcpy(b->comm, o->comm, sizeof(b->comm));
	b->flags = TL_EVFL_PROC;
}

/* A new socket's birth record: its time and owner, for the reader to join
 * onto the socket's later events (no per-socket map here: a hash insert and
 * delete per socket cost the connection more than this record). connect()
 * and listen() run in the owner's process context; a passive child is
 * cloned from its listener in softirq, and gets the listener's owner. */
static __always_inline void birth(__u64 netns, __u16 sport, __u64 now, __u64 key, int new)
{
	struct tl_listen_key lk = { .netns = netns, .port = sport };
	__u64 flags = wake_flags();
	struct tl_owner o = {};
	struct tl_birth *b;

	if (new != TL_TCP_SYN_RECV)
		current_owner(&o);
	if (new == TL_TCP_LISTEN) {
		struct tl_listener l = { .o = o, .sk = key }, *had = bpf_map_lookup_elem(&listeners, &lk);
		if (had && had->sk != key && had->o.tgid != l.o.tgid)
			l.ambiguous = 1;
		bpf_map_update_elem(&listeners, &lk, &l, BPF_ANY);
	}
	b = bpf_ringbuf_reserve(&events, sizeof(*b), 0);
	if (!b) {
		count_drop(1);
		return;
	}
	__builtin_memset(b, 0, sizeof(*b));
	b->ts_ns = now;
	b->sk = key;
	b->sport = sport;
	if (new == TL_TCP_SYN_RECV) {
		struct tl_listener *l = bpf_map_lookup_elem(&listeners, &lk);
		if (l && !l->ambiguous)
			put_birth_owner(b, &l->o);
	} else {
		put_birth_owner(b, &o);
	}
	bpf_ringbuf_submit(b, flags);
}

/* A close that is not kept: the reader forgets the socket's birth. */
static __always_inline void gone(__u64 key)
{
	struct tl_gone g = { .sk = key };

	if (bpf_ringbuf_output(&events, &g, sizeof(g), wake_flags()) < 0)
		count_drop(1);
}

static __always_inline void forget_listener(__u64 netns, __u16 sport, __u64 key)
{
	struct tl_listen_key lk = { .netns = netns, .port = sport };
	struct tl_listener *had = bpf_map_lookup_elem(&listeners, &lk);

	if (had && had->sk == key)
		bpf_map_delete_elem(&listeners, &lk);
}

/* Runs on every TCP state change of the host, so the common case leaves
 * early: a change that is neither kept, nor a birth, nor a listener's close
 * costs a few instructions (per connection 4 of 10 changes, with kind
 * "state" off). A birth reads only the namespace and the ports; an event is
 * written in place in the ring. Owner, lifetime and a released local port
 * are the reader's to fill from the birth (e->sk). */
static __always_inline int on_state(const struct sock *sk, int old, int new, bool gen, bool btf)
{
	__u64 key = (__u64)sk, netns, now, flags;
	__u8 kind = kind_of(old, new);
	bool keep = (keep_kinds & (1u << kind)) && (kind != TL_EVK_STATE || (keep_states & (1u << new)));
	bool born = (old == TL_TCP_CLOSE && (new == TL_TCP_SYN_SENT || new == TL_TCP_LISTEN)) || new == TL_TCP_SYN_RECV;
	bool closed = kind == TL_EVK_CLOSE;
	struct tl_event *e;
	__u16 sport, dport;

	if (!keep && !born && !closed)
		return 0;
	netns = sk_netns(sk, btf);
	if (!netns_ok(netns))
		return 0;
	sport = sk_sport(sk, btf);
	dport = sk_dport(sk, btf);
	/* by the final move to CLOSE the kernel may have released the local
	 * port (skc_num = 0): such a close goes to the reader, which filters
	 * it on the port the socket had */
	if (!ports_ok(sport, dport) && !(closed && sport == 0))
		return 0;
	if (old == TL_TCP_LISTEN && new == TL_TCP_CLOSE)
		forget_listener(netns, sport, key);
	if (!keep) {
		if (born)
			birth(netns, sport, bpf_ktime_get_ns(), key, new);
		else if (closed)
			gone(key);
		return 0;
	}
	now = bpf_ktime_get_ns();
	if (born)
		birth(netns, sport, now, key, new);
	flags = wake_flags();
	e = reserve_event();
	if (!e)
		return 0;
	sk_tuple(e, sk, btf);
	e->sport = sport;
	e->netns_inode = netns;
	e->ts_ns = now;
	e->kind = kind;
	e->oldstate = old;
	e->newstate = new;
	e->sk = key;
	put_cookie(e, cookie_of(sk, gen, btf));
	if (closed)
		sk_final(e, sk, btf);
	bpf_ringbuf_submit(e, flags);
	return 0;
}

/* Retransmits and resets: one event on the socket as it is now. */
static __always_inline int on_sock(const struct sock *sk, __u8 kind, bool gen, bool btf)
{
	__u64 key = (__u64)sk, netns, flags;
	struct tl_event *e;

	if (!(keep_kinds & (1u << kind)))
		return 0;
	netns = sk_netns(sk, btf);
	if (!netns_ok(netns) || !ports_ok(sk_sport(sk, btf), sk_dport(sk, btf)))
		return 0;
	flags = wake_flags();
	e = reserve_event();
	if (!e)
		return 0;
	sk_tuple(e, sk, btf);
	e->netns_inode = netns;
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->oldstate = e->newstate = sk_state(sk, btf);
	e->sk = key;
	put_cookie(e, cookie_of(sk, gen, btf));
	bpf_ringbuf_submit(e, flags);
	return 0;
}

/* A reset answering a packet no socket owns (e.g. a SYN to a closed port). */
static __always_inline int on_orphan_reset(const struct sk_buff *skb)
{
	struct tl_event e = {};

	if (!skb || !(keep_kinds & (1u << TL_EVK_RESET_SENT)))
		return 0;
	skb_tuple_reversed(&e, skb);
	if (!netns_ok(e.netns_inode) || !ports_ok(e.sport, e.dport))
		return 0;
	e.ts_ns = bpf_ktime_get_ns();
	e.kind = TL_EVK_RESET_SENT;
	e.oldstate = e.newstate = TL_TCP_CLOSE;
	e.flags = TL_EVFL_NOCOOKIE;
	emit(&e);
	return 0;
}

static __always_inline bool is_tcp(const struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_TCP;
}

/* One tp_btf program per part and cookie source (GEN: generated by the
 * helper, see cookie_of). */
#define TL_BTF_PROGS(pfx, GEN) \
	SEC("tp_btf/inet_sock_set_state") \
	int BPF_PROG(pfx##_set_state, const struct sock *sk, const int old, const int new) \
	{ \
		TL_REFUSE_IF(TL_EVP_##pfx##_set_state, ctx); \
		if (!sk || !is_tcp(sk)) \
			return 0; \
		return on_state(sk, old, new, GEN, true); \
	} \
	SEC("tp_btf/tcp_retransmit_skb") \
	int BPF_PROG(pfx##_retransmit, const struct sock *sk) \
	{ \
		TL_REFUSE_IF(TL_EVP_##pfx##_retransmit, ctx); \
		if (!sk) \
			return 0; \
		return on_sock(sk, TL_EVK_RETRANSMIT, GEN, true); \
	} \
	SEC("tp_btf/tcp_send_reset") \
	int BPF_PROG(pfx##_send_reset, const struct sock *sk, const struct sk_buff *skb) \
	{ \
		TL_REFUSE_IF(TL_EVP_##pfx##_send_reset, ctx); \
		if (!sk) \
			return on_orphan_reset(skb); \
		return on_sock(sk, TL_EVK_RESET_SENT, GEN, true); \
	} \
	SEC("tp_btf/tcp_receive_reset") \
	int BPF_PROG(pfx##_receive_reset, struct sock *sk) \
	{ \
		TL_REFUSE_IF(TL_EVP_##pfx##_receive_reset, ctx); \
		if (!sk) \
			return 0; \
		return on_sock(sk, TL_EVK_RESET_RECEIVED, GEN, true); \
	}

TL_BTF_PROGS(btf, true)
TL_BTF_PROGS(btfrd, false)

/* Classic tracepoints (need tracefs mounted): the socket is a plain
 * address in the record, read through BPF_CORE_READ. */
SEC("tracepoint/sock/inet_sock_set_state")
int tp_set_state(struct trace_event_raw_inet_sock_set_state *a)
{
	const struct sock *sk = a->skaddr;

	TL_REFUSE_IF(TL_EVP_tp_set_state, a);

	if (!sk || a->protocol != IPPROTO_TCP)
		return 0;
	return on_state(sk, a->oldstate, a->newstate, false, false);
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int tp_retransmit(struct trace_event_raw_tcp_retransmit_skb *a)
{
	const struct sock *sk = a->skaddr;

	TL_REFUSE_IF(TL_EVP_tp_retransmit, a);

	if (!sk)
		return 0;
	return on_sock(sk, TL_EVK_RETRANSMIT, false, false);
}

SEC("tracepoint/tcp/tcp_send_reset")
int tp_send_reset(struct trace_event_raw_tcp_send_reset *a)
{
	const struct sock *sk = a->skaddr;

	TL_REFUSE_IF(TL_EVP_tp_send_reset, a);

	if (!sk)
		return on_orphan_reset(a->skbaddr);
	return on_sock(sk, TL_EVK_RESET_SENT, false, false);
}

SEC("tracepoint/tcp/tcp_receive_reset")
int tp_receive_reset(struct trace_event_raw_tcp_event_sk *a)
{
	const struct sock *sk = a->skaddr;

	TL_REFUSE_IF(TL_EVP_tp_receive_reset, a);

	if (!sk)
		return 0;
	return on_sock(sk, TL_EVK_RESET_RECEIVED, false, false);
}
