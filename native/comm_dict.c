#include <stdlib.h>
#include <string.h>
#include "comm_dict.h"

static uint32_t hash16(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (int i = 0; i < TL_COMM_LEN; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static int grow(struct tl_comm_dict *d)
{
	uint32_t n = d->nslots ? d->nslots * 2 : 256;
	uint32_t *slots = calloc(n, sizeof(*slots));
	char(*names)[TL_COMM_LEN] = realloc(d->names, (size_t)(n / 2) * TL_COMM_LEN);

	if (!slots || !names) {
		free(slots);
		if (names)
			d->names = names;
		return -1;
	}
	d->names = names;
	for (uint32_t id = 1; id <= d->count; id++) {
		uint32_t j = hash16(d->names[id - 1]) & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = id;
	}
	free(d->slots);
	d->slots = slots;
	d->nslots = n;
	return 0;
}

/* The slot holding key, or the empty slot where it belongs. */
static uint32_t probe(const struct tl_comm_dict *d, const char *key)
{
	uint32_t j = hash16(key) & (d->nslots - 1);

	while (d->slots[j] && memcmp(d->names[d->slots[j] - 1], key, TL_COMM_LEN) != 0)
		j = (j + 1) & (d->nslots - 1);
	return j;
}

uint32_t tl_comm_intern(struct tl_comm_dict *d, const uint8_t *comm)
{
	char key[TL_COMM_LEN] = { 0 };
	uint32_t j;

	memcpy(key, comm, strnlen((const char *)comm, TL_COMM_LEN));
	if (d->nslots) {
		j = probe(d, key);
		if (d->slots[j])
			return d->slots[j];
	}
	/* a new name: within the cap, with a load factor of at most 1/2 */
	if (d->count >= TL_COMM_MAX || ((d->count + 1) * 2 > d->nslots && grow(d) < 0)) {
		d->overflow++;
		return 0;
	}
	j = probe(d, key);
	memcpy(d->names[d->count], key, TL_COMM_LEN);
	d->slots[j] = ++d->count;
	return d->count;
}

const char *tl_comm_name(const struct tl_comm_dict *d, uint32_t id)
{
	return id >= 1 && id <= d->count ? d->names[id - 1] : "";
}

void tl_comm_free(struct tl_comm_dict *d)
{
	free(d->names);
	free(d->slots);
	memset(d, 0, sizeof(*d));
}
