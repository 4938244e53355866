// SPDX-License-Identifier: GPL-2.0
/* bench/poll's anchors for the iterator poll: what an iter/tcp pass costs
 * before tcplens's program does anything. Built five times by run.sh:
 *   (default)   the walk alone: a program that counts the sockets it is shown;
 *   -DREAD_ONE  the walk, bpf_skc_to_tcp_sock and one tcp_sock field read
 *               (the cache line any change check must touch);
 *   -DSTORAGE_FILL  an iter/tcp pass that gives every socket a socket-storage
 *               record of that field (what a change check keeps per socket);
 *   -DSTORAGE_WALK [-DREAD_ONE]  a walk of that storage map instead of the
 *               TCP hash table (iter/bpf_sk_storage_map: the kernel visits the
 *               map's elements, no hash-table buckets, no socket lock), alone
 *               or reading the field and comparing it with the record.
 * Pinned with `bpftool iter pin` and read with cat inside the namespace (the
 * kernel scopes iter/tcp to the reader's netns; the storage map holds what
 * the fill pass gave storage to). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__u64 seen = 0;

#if defined(STORAGE_FILL) || defined(STORAGE_WALK)
struct last {
	__u32 segs_in;
};
#endif

#ifdef STORAGE_FILL
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct last);
} tlb_last SEC(".maps");

SEC("iter/tcp")
int fill(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;
	struct last *l;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	l = bpf_sk_storage_get(&tlb_last, tp, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (l)
		l->segs_in = tp->segs_in;
	return 0;
}
#elif defined(STORAGE_WALK)
SEC("iter/bpf_sk_storage_map")
int storewalk(struct bpf_iter__bpf_sk_storage_map *ctx)
{
	struct sock *sk = ctx->sk; /* read once: the checked register is the one passed */
	struct last *l = ctx->value;

	if (!sk || !l)
		return 0;
#ifdef READ_ONE
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);

	if (tp && tp->segs_in != l->segs_in)
		seen++;
#else
	seen++;
#endif
	return 0;
}
#else
SEC("iter/tcp")
int walk(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;

	if (!skc)
		return 0;
#ifdef READ_ONE
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);

	if (tp)
		seen += tp->segs_in;
#else
	seen++;
#endif
	return 0;
}
#endif
