/* The inet_diag parser (native/diag_parse.c) under AddressSanitizer and
 * UBSan: replays a recorded dump, then thousands of damaged copies of it
 * (byte flips, cuts, length-field hits), each in its own exact-size heap
 * block and each into a batch buffer of exactly the size tl_poll_layout()
 * asks for, so any read or write past either is reported. Built and run by
 * test/native/replay.test.ts:
 *   cc -fsanitize=address,undefined -Inative parse_fuzz.c native/diag_parse.c native/batch.c
 *   ./a.out FIXTURE.bin ITERATIONS SEED
 * Prints "rows=N errors=N" for the good replay and for the totals; exit 0. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"
#include "diag_parse.h"

static uint64_t rng_state;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

/* The replay loop of native/napi_poll.cc: [u32 len][chunk]... */
static uint32_t replay(const uint8_t *rec, size_t len, uint32_t cap, uint64_t *errors)
{
	struct tl_column_desc desc[TL_POLL_NCOLS];
	size_t bytes = tl_poll_layout(cap, desc);
	void *buf = aligned_alloc(8, bytes ? (bytes + 7) & ~(size_t)7 : 8);
	struct tl_batch b;
	struct tl_dict dict;
	struct tl_parse_stats st;
	const uint8_t *p = rec;
	size_t left = len;
	uint32_t rows;

	memset(&dict, 0, sizeof(dict));
	memset(&st, 0, sizeof(st));
	if (tl_batch_bind(&b, buf, bytes, cap) < 0) {
		fprintf(stderr, "bind failed\n");
		exit(2);
	}
	while (left >= 4) {
		uint32_t n;
		struct tl_parse_ctx x = { &b, &dict, &st, 0, 0, 0 };
		size_t used = 0;
		int err = 0;
		memcpy(&n, p, 4);
		p += 4;
		left -= 4;
		if (n > left) {
			(*errors)++;
			n = (uint32_t)left;
		}
		if (tl_parse_diag(&x, p, n, &used, &err) == TL_PARSE_FULL)
			break;
		if (used > n) {
			fprintf(stderr, "consumed %zu of %u\n", used, n);
			exit(3);
		}
		p += n;
		left -= n;
	}
	*errors += st.parse_errors;
	rows = b.rows;
	if (rows > cap || st.rows != rows) {
		fprintf(stderr, "rows %u cap %u stats %llu\n", rows, cap, (unsigned long long)st.rows);
		exit(4);
	}
	free(buf);
	return rows;
}

int main(int argc, char **argv)
{
	FILE *f;
	uint8_t *rec;
	long len;
	long iters;
	uint64_t errors = 0, total_err = 0, total_rows = 0;
	uint32_t good;

	if (argc < 4) {
		fprintf(stderr, "usage: %s FIXTURE.bin ITERATIONS SEED\n", argv[0]);
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	rec = malloc((size_t)len);
	if (fread(rec, 1, (size_t)len, f) != (size_t)len) {
		perror("read");
		return 2;
	}
	fclose(f);
	iters = atol(argv[2]);
	rng_state = strtoull(argv[3], NULL, 0) | 1;

	good = replay(rec, (size_t)len, 4096, &errors);
	printf("good rows=%u errors=%llu\n", good, (unsigned long long)errors);

	for (long it = 0; it < iters; it++) {
		size_t n = (size_t)len;
		uint8_t *bad;
		int kind = (int)(rnd() % 4);
		if (kind == 0) /* cut anywhere */
			n = rnd() % (size_t)len;
		else if (kind == 2) /* flips and a cut near the end */
			n -= rnd() % 8;
		bad = malloc(n ? n : 1); /* exact size: a read past n is reported */
		memcpy(bad, rec, n);
		if (kind >= 1 && n > 0) { /* flips: random bytes, or bytes set to 0xff/0x00 */
			int flips = 1 + (int)(rnd() % 8);
			for (int k = 0; k < flips; k++) {
				size_t off = rnd() % n;
				if (kind == 3)
					bad[off] = (rnd() & 1) ? 0xff : 0x00;
				else
					bad[off] ^= (uint8_t)(1 + rnd() % 255);
			}
		}
		errors = 0;
		total_rows += replay(bad, n, 1 + rnd() % (good + 8), &errors);
		total_err += errors;
		free(bad);
	}
	printf("fuzz iterations=%ld rows=%llu errors=%llu\n", iters, (unsigned long long)total_rows,
	       (unsigned long long)total_err);
	free(rec);
	return 0;
}
