/* Exact-match inet_diag requests: one socket by its 4-tuple and cookie
 * (SOCK_DIAG_BY_FAMILY without NLM_F_DUMP, as `ss` sends for one socket and
 * the kernel's inet_diag_find_one_icsk answers). The kernel looks the socket
 * up in its hash tables instead of walking them. Blocking; run it off the JS
 * thread. Uses a struct tl_dump for its socket, receive buffer, congestion
 * dictionary and counters (no dump is ever begun on it). */
#ifndef TCPLENS_DIAG_LOOKUP_H
#define TCPLENS_DIAG_LOOKUP_H

#include <stdint.h>
#include <stddef.h>
#include "diag_dump.h"

#ifdef __cplusplus
#define _Static_assert static_assert
extern "C" {
#endif

/* One request as the caller writes it (a wire format between JS and C). */
struct tl_lookup_req {
	uint8_t src[16]; /* local address, network byte order (IPv4 in the first 4 bytes) */
	uint8_t dst[16]; /* remote address, network byte order */
	uint64_t cookie; /* idiag_cookie (host order); ~0 = any socket with this tuple */
	uint16_t sport;	 /* local port, host byte order */
	uint16_t dport;	 /* remote port, host byte order */
	uint8_t family;	 /* AF_INET or AF_INET6 */
	uint8_t pad[3];
};
_Static_assert(sizeof(struct tl_lookup_req) == 48, "tl_lookup_req is a wire format");

/* At most this many requests are in flight on the socket at once (their
 * answers must fit its receive queue). */
#define TL_LOOKUP_WINDOW 32

/* Asks for each of reqs[0..n) with extensions `ext` and writes the answers
 * into b (which must hold n more rows). status[i] is the row index in b of
 * request i's socket, or -errno: -ENOENT no such socket, -ESTALE the tuple
 * now belongs to another socket (cookie mismatch), others = failure.
 * Returns 0, or -errno when the socket failed (unanswered requests keep
 * that errno in status). */
int tl_lookup(struct tl_dump *d, const struct tl_lookup_req *reqs, uint32_t n, uint8_t ext, struct tl_batch *b,
	      int32_t *status);

#ifdef __cplusplus
}
#endif
#endif
