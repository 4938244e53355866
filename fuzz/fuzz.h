/* Shared by the libFuzzer targets in fuzz/ (see fuzz/README.md): column
 * batches in exact-size heap blocks, so AddressSanitizer reports a write
 * past the last column, and a hard stop for broken invariants. */
#ifndef TCPLENS_FUZZ_H
#define TCPLENS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"

/* An invariant the decoder promises; a violation is a crash to libFuzzer. */
#define FUZZ_EXPECT(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* A block of exactly `bytes` (>= 1), 8-byte aligned as the views need. */
static inline void *fuzz_block(size_t bytes)
{
	void *p = aligned_alloc(8, bytes ? (bytes + 7) & ~(size_t)7 : 8);
	FUZZ_EXPECT(p != NULL);
	return p;
}

/* A private copy of data[n] in a block of exactly n bytes: a read past the
 * end of the input is a read past the block (libFuzzer's own buffer is
 * exact too, but the decoders get copies they may keep). */
static inline uint8_t *fuzz_copy(const uint8_t *data, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	FUZZ_EXPECT(p != NULL);
	if (n)
		memcpy(p, data, n);
	return p;
}

/* A poll-layout batch of `cap` rows (1..64), rows = 0. The block is made
 * and bound once per capacity and kept (reachable, not leaked): the layout
 * finds tcp_info members by name, and a few thousand strcmp calls per input
 * would be most of the run (and noise in libFuzzer's comparison hooks). */
static inline struct tl_batch fuzz_poll_batch(uint32_t cap)
{
	static struct tl_batch bound[65];
	static void *blocks[65];

	FUZZ_EXPECT(cap >= 1 && cap <= 64);
	if (!blocks[cap]) {
		struct tl_column_desc desc[TL_POLL_NCOLS];
		size_t bytes = tl_poll_layout(cap, desc);
		blocks[cap] = fuzz_block(bytes);
		FUZZ_EXPECT(tl_batch_bind(&bound[cap], blocks[cap], bytes, cap) == 0);
	}
	bound[cap].rows = 0;
	return bound[cap];
}

#endif
