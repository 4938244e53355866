/* Cheap real probes for the preflight: each tries the real operation once. */
#ifndef TCPLENS_PROBE_H
#define TCPLENS_PROBE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Looks up one listening socket of our own through inet_diag (no dump).
 * On success returns 0 and sets *attrs to the INET_DIAG_* bitmask of the
 * reply (INET_DIAG_MARK is there only with CAP_NET_ADMIN). Else -errno. */
int tl_probe_diag_one(uint32_t *attrs);

/* How long the destroy probe waits for the kernel's message. */
#define TL_DESTROY_PROBE_MS 3000

/* Joins SKNLGRP_INET_TCP_DESTROY and SKNLGRP_INET6_TCP_DESTROY, closes a TCP
 * socket of its own and waits up to TL_DESTROY_PROBE_MS for a destroy message.
 * 0, -ENOMSG when none came (joined, not delivered), or -errno. */
int tl_probe_destroy_groups(void);

/* Loads (and unloads) a two-instruction raw_tracepoint program: needs
 * CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN). 0 or -errno. */
int tl_probe_bpf_load(void);

/* Enters the network namespace at path on a scratch thread and comes back.
 * 0 or -errno (EPERM without CAP_SYS_ADMIN). */
int tl_probe_setns(const char *path);

#ifdef __cplusplus
}
#endif
#endif
