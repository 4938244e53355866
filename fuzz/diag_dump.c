/* libFuzzer target: one received chunk through tl_dump_fill (the live poll
 * path, native/diag_dump.c): batches of any capacity, a sequence that
 * matches or not, and the drain of an abandoned dump.
 * Input: [u8 capacity - 1 (low 6 bits)][u8 mode][chunk]; mode bit 0: expect the chunk's
 * own sequence number (else the messages are another dump's), bit 1: one
 * family only, bit 2: abandon the dump after the first batch. */
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include "fuzz.h"
#include "diag_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_dump d;
	uint32_t cap, seq;
	uint8_t mode;
	size_t n;
	int done = 0, rounds = 0;
	/* A descriptor every send and receive fails on (not a socket): the
	 * dump ends at the chunk's end, as when the kernel has no more. */
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	FUZZ_EXPECT(fd >= 0);
	if (size < 2 || size - 2 > TL_RBUF_SIZE) {
		close(fd);
		return 0;
	}
	cap = 1u + (data[0] & 63);
	mode = data[1];
	n = size - 2;
	FUZZ_EXPECT(tl_dump_init(&d, fd, 4026531840u) == 0);
	free(d.rbuf);
	d.rbuf = fuzz_copy(data + 2, n); /* exact size: reads past the chunk are caught */
	d.rlen = n;
	d.roff = 0;
	d.families[0] = AF_INET;
	d.families[1] = (mode & 2) ? 0 : AF_INET6;
	d.fam_idx = 0;
	d.active = 1;
	seq = 0x5eed;
	if ((mode & 1) && n >= sizeof(struct nlmsghdr))
		memcpy(&seq, data + 2 + offsetof(struct nlmsghdr, nlmsg_seq), 4);
	d.seq = seq;
	while (!done && rounds++ < 1 << 16) {
		struct tl_batch b = fuzz_poll_batch(cap);
		uint64_t rows0 = d.st.parse.rows;
		int rc;

		rc = tl_dump_fill(&d, &b, &done);
		FUZZ_EXPECT(b.rows <= cap && d.st.parse.rows - rows0 == b.rows);
		FUZZ_EXPECT(d.roff <= d.rlen);
		FUZZ_EXPECT(rc <= 0 && (rc == 0 || done));
		if (!done)
			FUZZ_EXPECT(b.rows == cap); /* only a full batch leaves the dump running */
		if (!done && (mode & 4)) {
			/* a new request drains the rest first (zero-capacity parse) */
			tl_dump_begin(&d, 1, 0xfff, 0xff);
			break;
		}
	}
	FUZZ_EXPECT(rounds < 1 << 16);
	tl_dump_close(&d);
	return 0;
}
