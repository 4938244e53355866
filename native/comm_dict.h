/* Dictionary of process names (comm), shared by the events and samples views: column value = id (1-based), 0 =
 * unknown. Unlike the congestion-name dictionary (a few names) a host has
 * thousands of comms, so this one is hashed and grows. New names are handed
 * to the caller once per batch. */
#ifndef TCPLENS_COMM_DICT_H
#define TCPLENS_COMM_DICT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TL_COMM_LEN 16
#define TL_COMM_MAX 65535u /* past this, comm = 0 and counted */

struct tl_comm_dict {
	char (*names)[TL_COMM_LEN]; /* names[id - 1], NUL-padded */
	uint32_t count;
	uint32_t reported; /* [reported, count) are new since the last take */
	uint32_t *slots;   /* open addressing: id or 0 */
	uint32_t nslots;   /* power of two */
	uint64_t overflow;
};

/* Returns the id of comm (up to 16 bytes, NUL-terminated or not); 0 when
 * the dictionary is full or out of memory (counted in overflow). */
uint32_t tl_comm_intern(struct tl_comm_dict *d, const uint8_t *comm);
/* The name of id, "" for 0 or an unknown id. */
const char *tl_comm_name(const struct tl_comm_dict *d, uint32_t id);
void tl_comm_free(struct tl_comm_dict *d);

#ifdef __cplusplus
}
#endif
#endif
