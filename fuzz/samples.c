/* libFuzzer target: iterator output through the samples reader
 * (tl_sampler_begin_fd + tl_sampler_fill, native/sampler.c), read from a
 * memfd as from an iterator's fd, into batches of any capacity.
 * Input: [u8 pass: bit 0 = owners][u8 capacity][bytes]; capacity 0 is
 * allowed (a fill that takes nothing). */
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "sampler.h"

static struct tl_sampler *s;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_column_desc desc[TL_SAMPLE_NCOLS > TL_OWNER_NCOLS ? TL_SAMPLE_NCOLS : TL_OWNER_NCOLS];
	enum tl_sample_pass pass;
	struct tl_sampler_stats st0, st1;
	uint32_t cap;
	size_t bytes;
	int fd, done = 0, rounds = 0;
	void *buf;

	if (size < 2)
		return 0;
	if (!s) /* one sampler for the run, as the view keeps one (its comm dictionary grows) */
		s = tl_sampler_new_replay();
	FUZZ_EXPECT(s != NULL);
	pass = (data[0] & 1) ? TL_PASS_OWNERS : TL_PASS_TASKS;
	cap = data[1];
	fd = memfd_create("fuzz-samples", MFD_CLOEXEC);
	FUZZ_EXPECT(fd >= 0);
	FUZZ_EXPECT(write(fd, data + 2, size - 2) == (ssize_t)(size - 2));
	FUZZ_EXPECT(lseek(fd, 0, SEEK_SET) == 0);
	tl_sampler_stats(s, &st0);
	FUZZ_EXPECT(tl_sampler_begin_fd(s, pass, fd) == 0);
	bytes = tl_sample_layout(pass, cap, desc);
	buf = fuzz_block(bytes);
	while (!done && rounds++ < 1 << 16) {
		struct tl_sample_batch b;
		FUZZ_EXPECT(tl_sample_batch_bind(&b, pass, buf, bytes, cap) == 0);
		FUZZ_EXPECT(tl_sampler_fill(s, &b, &done) == 0);
		FUZZ_EXPECT(b.rows <= cap);
		if (cap == 0 && !done)
			FUZZ_EXPECT(0); /* an empty batch must not stall the pass */
	}
	FUZZ_EXPECT(done);
	tl_sampler_stats(s, &st1);
	/* whole records only: every row came from a well-formed record */
	FUZZ_EXPECT(st1.pass.rows - st0.pass.rows == st1.pass.records - st0.pass.records);
	FUZZ_EXPECT(st1.pass.bytes - st0.pass.bytes == size - 2);
	free(buf);
	return 0;
}
