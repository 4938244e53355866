/* Dictionary of thread names (comm) for the samples view: a column holds an
 * id, new names go to JS once per batch. Open addressing; ids 1..TL_COMM_MAX
 * are stable for the dictionary's life; 0 = unknown (dictionary full). */
#ifndef TCPLENS_COMM_DICT_H
#define TCPLENS_COMM_DICT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TL_COMM_MAX 65535u
#define TL_COMM_SLOTS (1u << 17) /* power of two, > 2 * TL_COMM_MAX */
#define TL_COMM_LEN 16

struct tl_comm_dict {
	uint32_t *slots;             /* id or 0 */
	char (*names)[TL_COMM_LEN];  /* names[id - 1] */
	uint32_t count, cap, reported;
};

/* The id of a kernel comm (16 bytes, NUL-padded or not); 0 when full or out of memory. */
uint32_t tl_comm_intern(struct tl_comm_dict *d, const uint8_t *raw);
/* "" for an unknown id. */
const char *tl_comm_name(const struct tl_comm_dict *d, uint32_t id);
void tl_comm_free(struct tl_comm_dict *d);

#ifdef __cplusplus
}
#endif
#endif
