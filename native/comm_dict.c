#include <stdlib.h>
#include <string.h>
#include "comm_dict.h"

static uint32_t comm_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < TL_COMM_LEN && s[i]; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

uint32_t tl_comm_intern(struct tl_comm_dict *d, const uint8_t *raw)
{
	char s[TL_COMM_LEN];
	uint32_t h, id;

	memcpy(s, raw, TL_COMM_LEN);
	s[TL_COMM_LEN - 1] = '\0';
	for (int i = (int)strnlen(s, TL_COMM_LEN); i < TL_COMM_LEN; i++)
		s[i] = '\0'; /* equal names compare equal byte for byte */
	if (!d->slots && !(d->slots = calloc(TL_COMM_SLOTS, sizeof(uint32_t))))
		return 0;
	for (h = comm_hash(s) & (TL_COMM_SLOTS - 1);; h = (h + 1) & (TL_COMM_SLOTS - 1)) {
		id = d->slots[h];
		if (!id)
			break;
		if (memcmp(d->names[id - 1], s, TL_COMM_LEN) == 0)
			return id;
	}
	if (d->count >= TL_COMM_MAX)
		return 0;
	if (d->count == d->cap) {
		uint32_t ncap = d->cap ? d->cap * 2 : 256;
		void *p = realloc(d->names, (size_t)ncap * TL_COMM_LEN);
		if (!p)
			return 0;
		d->names = p;
		d->cap = ncap;
	}
	memcpy(d->names[d->count], s, TL_COMM_LEN);
	d->slots[h] = ++d->count;
	return d->count;
}

const char *tl_comm_name(const struct tl_comm_dict *d, uint32_t id)
{
	return id >= 1 && id <= d->count ? d->names[id - 1] : "";
}

void tl_comm_free(struct tl_comm_dict *d)
{
	free(d->slots);
	free(d->names);
	memset(d, 0, sizeof(*d));
}
