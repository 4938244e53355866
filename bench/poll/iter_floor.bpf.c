// SPDX-License-Identifier: GPL-2.0
/* bench/poll's anchors for the iterator poll: what an iter/tcp pass costs
 * before tcplens's program does anything. Built twice by run.sh:
 *   (default)   the walk alone: a program that counts the sockets it is shown;
 *   -DREAD_ONE  the walk, bpf_skc_to_tcp_sock and one tcp_sock field read
 *               (the cache line any change check must touch).
 * Pinned with `bpftool iter pin` and read with cat inside the namespace (the
 * kernel scopes iter/tcp to the reader's netns). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__u64 seen = 0;

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
