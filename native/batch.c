#include <stddef.h>
#include "batch.h"
#include "tcp_info.h"

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

/* tcp_info members are found by name in struct tl_tcp_info; the bit-field
 * bytes are special-cased (both nibbles/bits live in byte 6 or 7). */
static int tcpi_end(const char *name)
{
#define TL_TCPI_END(n, t) \
	if (__builtin_strcmp(name, #n) == 0) \
		return (int)(offsetof(struct tl_tcp_info, n) + sizeof(((struct tl_tcp_info *)0)->n));
	TL_TCPI_U64(TL_TCPI_END)
	TL_TCPI_U32(TL_TCPI_END)
	TL_TCPI_U16(TL_TCPI_END)
	TL_TCPI_U8(TL_TCPI_END)
#undef TL_TCPI_END
	if (__builtin_strcmp(name, "tcpi_snd_wscale") == 0 || __builtin_strcmp(name, "tcpi_rcv_wscale") == 0)
		return 7;
	if (__builtin_strcmp(name, "tcpi_delivery_rate_app_limited") == 0 ||
	    __builtin_strcmp(name, "tcpi_fastopen_client_fail") == 0)
		return 8;
	return 0;
}

size_t tl_layout_place(const struct tl_coldef *defs, size_t n, uint32_t capacity, struct tl_column_desc *desc)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		desc[i].name = defs[i].name;
		desc[i].type = defs[i].type;
		desc[i].offset = off;
		desc[i].tcpi_end = 0;
		off += ALIGN8((size_t)capacity * defs[i].type);
	}
	return off;
}

static const struct tl_coldef poll_defs[] = {
#define TL_DEF_COL(n, t) { #n, TL_##t },
	TL_POLL_COLUMNS(TL_DEF_COL)
#undef TL_DEF_COL
};

size_t tl_poll_layout(uint32_t capacity, struct tl_column_desc *desc)
{
	size_t off = tl_layout_place(poll_defs, TL_POLL_NCOLS, capacity, desc);

	for (size_t i = 0; i < TL_POLL_NCOLS; i++)
		desc[i].tcpi_end = tcpi_end(desc[i].name);
	return off;
}

int tl_batch_bind(struct tl_batch *b, void *buf, size_t bytes, uint32_t capacity)
{
	struct tl_column_desc desc[TL_POLL_NCOLS];
	/* offsets only: tl_poll_layout's tcpi_end lookups are strcmp per column, per batch */
	size_t need = tl_layout_place(poll_defs, TL_POLL_NCOLS, capacity, desc), i = 0;
	uint8_t *base = (uint8_t *)buf;

	if (bytes < need || ((uintptr_t)buf & 7u))
		return -1;
#define TL_BIND_COL(n, t) b->c.n = (TL_CTYPE_##t *)(base + desc[i++].offset);
	TL_POLL_COLUMNS(TL_BIND_COL)
#undef TL_BIND_COL
	b->capacity = capacity;
	b->rows = 0;
	return 0;
}
