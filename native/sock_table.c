#include <stdlib.h>
#include <string.h>
#include "sock_table.h"

static uint32_t slot_of(uint64_t sk, uint32_t nslots)
{
	/* slab addresses share their low bits: mix before masking */
	sk ^= sk >> 33;
	sk *= 0xff51afd7ed558ccdull;
	sk ^= sk >> 33;
	return (uint32_t)sk & (nslots - 1);
}

struct tl_sock_entry *tl_socks_get(const struct tl_sock_table *t, uint64_t sk)
{
	if (!t->nslots || !sk)
		return NULL;
	for (uint32_t i = slot_of(sk, t->nslots);; i = (i + 1) & (t->nslots - 1)) {
		if (t->slots[i].sk == sk)
			return &t->slots[i];
		if (!t->slots[i].sk)
			return NULL;
	}
}

/* Doubles the table (kept at most half full). */
static int grow(struct tl_sock_table *t)
{
	uint32_t n = t->nslots ? t->nslots * 2 : 1024;
	struct tl_sock_entry *s = calloc(n, sizeof(*s));

	if (!s)
		return -1;
	for (uint32_t i = 0; i < t->nslots; i++) {
		uint32_t j;
		if (!t->slots[i].sk)
			continue;
		for (j = slot_of(t->slots[i].sk, n); s[j].sk; j = (j + 1) & (n - 1))
			;
		s[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = s;
	t->nslots = n;
	return 0;
}

struct tl_sock_entry *tl_socks_put(struct tl_sock_table *t, uint64_t sk)
{
	struct tl_sock_entry *e = tl_socks_get(t, sk);
	uint32_t i;

	if (e || !sk)
		return e;
	if (t->count >= TL_SOCKS_MAX || ((t->count + 1) * 2 > t->nslots && grow(t) < 0)) {
		t->full++;
		return NULL;
	}
	for (i = slot_of(sk, t->nslots); t->slots[i].sk; i = (i + 1) & (t->nslots - 1))
		;
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->slots[i].sk = sk;
	t->count++;
	return &t->slots[i];
}

/* Backward-shift deletion: no tombstones, so lookups stay short under churn. */
void tl_socks_del(struct tl_sock_table *t, uint64_t sk)
{
	struct tl_sock_entry *e = tl_socks_get(t, sk);
	uint32_t mask = t->nslots - 1, i, j;

	if (!e)
		return;
	i = (uint32_t)(e - t->slots);
	for (j = (i + 1) & mask; t->slots[j].sk; j = (j + 1) & mask) {
		uint32_t home = slot_of(t->slots[j].sk, t->nslots);
		/* move j into the hole at i unless its home lies cyclically in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].sk = 0;
	t->count--;
}

void tl_socks_free(struct tl_sock_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
