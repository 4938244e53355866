/* Column batches in caller-owned memory (see poll_columns.h). */
#ifndef TCPLENS_BATCH_H
#define TCPLENS_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include "poll_columns.h"

#ifdef __cplusplus
extern "C" {
#endif

enum tl_coltype { TL_U8 = 1, TL_U16 = 2, TL_U32 = 4, TL_U64 = 8, TL_B16 = 16 };

typedef uint8_t tl_b16[16];
#define TL_CTYPE_B16 tl_b16
#define TL_CTYPE_U64 uint64_t
#define TL_CTYPE_U32 uint32_t
#define TL_CTYPE_U16 uint16_t
#define TL_CTYPE_U8 uint8_t

/* Typed pointers to each column's first row. */
struct tl_poll_cols {
#define TL_DECL_COL(name, type) TL_CTYPE_##type *name;
	TL_POLL_COLUMNS(TL_DECL_COL)
#undef TL_DECL_COL
};

struct tl_column_desc {
	const char *name;
	enum tl_coltype type;
	size_t offset; /* byte offset in the buffer for the given capacity */
	int tcpi_end;  /* tcp_info members: offset+size in struct tcp_info; else 0 */
};

#define TL_POLL_NCOLS (sizeof(struct tl_poll_cols) / sizeof(void *))

/* One column of any view's table (X-macro rows turned into an array). */
struct tl_coldef {
	const char *name;
	enum tl_coltype type;
};

/* Places n columns for `capacity` rows, in order, each 8-byte aligned:
 * fills desc[n] (tcpi_end = 0) and returns the buffer size needed. Shared
 * by every view's layout so JS's placeColumns() mirrors one rule. */
size_t tl_layout_place(const struct tl_coldef *defs, size_t n, uint32_t capacity, struct tl_column_desc *desc);

/* Fills desc[TL_POLL_NCOLS] for a batch of `capacity` rows; returns the
 * buffer size needed. */
size_t tl_poll_layout(uint32_t capacity, struct tl_column_desc *desc);

struct tl_batch {
	uint32_t capacity;
	uint32_t rows;
	struct tl_poll_cols c;
};

/* Points b's columns into buf; returns -1 when buf is too small or
 * misaligned. Does not clear the memory: every row written is fully set. */
int tl_batch_bind(struct tl_batch *b, void *buf, size_t bytes, uint32_t capacity);

#ifdef __cplusplus
}
#endif
#endif
