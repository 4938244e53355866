/* libFuzzer target: one destroy-multicast datagram through
 * tl_destroy_drain (native/destroy.c), into batches of any capacity until
 * the datagram is used up. Input: [u8 capacity - 1 (low 6 bits)][datagram]. */
#include <fcntl.h>
#include <unistd.h>
#include "fuzz.h"
#include "destroy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_destroy d;
	uint32_t cap;
	int more = 1, rounds = 0;

	if (size < 1)
		return 0;
	cap = 1u + (data[0] & 63);
	/* as tl_destroy_init leaves it, on a descriptor that is not a socket:
	 * the receive after the datagram fails and the drain returns */
	memset(&d, 0, sizeof(d));
	d.fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	FUZZ_EXPECT(d.fd >= 0);
	d.netns_inode = 4026531840u;
	d.rbuf = fuzz_copy(data + 1, size - 1);
	d.rlen = size - 1;
	while (more && rounds++ < 1 << 16) {
		struct tl_batch b = fuzz_poll_batch(cap);
		uint64_t rows0 = d.st.parse.rows;

		tl_destroy_drain(&d, &b, &more);
		FUZZ_EXPECT(b.rows <= cap && d.st.parse.rows - rows0 == b.rows);
		FUZZ_EXPECT(d.roff <= d.rlen);
		FUZZ_EXPECT(!more || b.rows == cap);
	}
	FUZZ_EXPECT(rounds < 1 << 16);
	tl_destroy_close(&d);
	return 0;
}
