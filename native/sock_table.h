/* The events view's live sockets, kept by the reader (key: the socket's
 * kernel address, as the programs send it): each socket's birth time and
 * owner, from the birth records the programs write into the ring, joined
 * here onto its later events (owner, lifetime at close, the local port the
 * kernel released before the close). Kept in user space because a BPF hash
 * insert and delete per socket cost the traced connection more than a
 * birth record in the ring (bench/events). One reader thread at a time. */
#ifndef TCPLENS_SOCK_TABLE_H
#define TCPLENS_SOCK_TABLE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TL_SOCKS_MAX (1u << 18) /* sockets; past this, births are counted in full */

struct tl_sock_entry {
	uint64_t sk; /* 0: empty slot */
	uint64_t birth_ns;
	uint64_t cgroup_id;
	uint32_t pid, tgid;
	uint8_t comm[16];
	uint16_t sport; /* local port while established */
	uint8_t has_owner;
	uint8_t pad[5];
};

struct tl_sock_table {
	struct tl_sock_entry *slots; /* open addressing, linear probing */
	uint32_t nslots;	     /* power of two, 0 before the first insert */
	uint32_t count;
	uint64_t full; /* births not kept: table at TL_SOCKS_MAX or out of memory */
	/* the view's port filter (none: 0 ports), for the closes the programs
	 * pass on because the kernel had released their local port already */
	uint16_t ports[8];
	uint32_t n_ports;
};

/* The entry of sk, made (zeroed but for sk) if missing; NULL when full. */
struct tl_sock_entry *tl_socks_put(struct tl_sock_table *t, uint64_t sk);
struct tl_sock_entry *tl_socks_get(const struct tl_sock_table *t, uint64_t sk);
void tl_socks_del(struct tl_sock_table *t, uint64_t sk);
void tl_socks_free(struct tl_sock_table *t);

#ifdef __cplusplus
}
#endif
#endif
