// SPDX-License-Identifier: GPL-2.0
/* bench/events' floor: a tp_btf program on inet_sock_set_state (the attach
 * type tcplens's events view uses) that does nothing. What the churn pays
 * with it attached is the kernel's dispatch to any BPF program on that
 * tracepoint; the difference to tcplens is what tcplens's program does. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(empty_state, const struct sock *sk, int oldstate, int newstate)
{
	return 0;
}
