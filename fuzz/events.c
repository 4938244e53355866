/* libFuzzer target: ring-buffer records through tl_event_put (the events
 * drain's callback, native/events.c), each in an exact-size block as the
 * ring hands them over. Input: [u8 capacity - 1]([u16 length][record])... */
#include "fuzz.h"
#include "events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_column_desc desc[TL_EVENT_NCOLS];
	struct tl_event_batch b;
	struct tl_comm_dict comms;
	struct tl_sock_table socks;
	struct tl_events_stats st;
	uint32_t cap;
	size_t bytes, off = 1;
	uint64_t records = 0, written = 0;
	void *buf;

	if (size < 1)
		return 0;
	cap = 1u + data[0];
	bytes = tl_event_layout(cap, desc);
	buf = fuzz_block(bytes);
	memset(&comms, 0, sizeof(comms));
	memset(&socks, 0, sizeof(socks));
	memset(&st, 0, sizeof(st));
	FUZZ_EXPECT(tl_event_batch_bind(&b, buf, bytes, cap) == 0);
	while (size - off >= 2) {
		uint16_t len;
		uint8_t *rec;
		int r;

		memcpy(&len, data + off, 2);
		off += 2;
		if (len > size - off)
			len = (uint16_t)(size - off);
		rec = fuzz_copy(data + off, len);
		r = tl_event_put(&b, &comms, &socks, &st, -1000, rec, len);
		free(rec);
		off += len;
		records++;
		FUZZ_EXPECT(r >= -1 && r <= 1 && b.rows <= cap);
		if (r == 1) {
			uint32_t i = b.rows - 1;
			written++;
			FUZZ_EXPECT(b.c.idiag_family[i] == 2 || b.c.idiag_family[i] == 10);
			FUZZ_EXPECT(b.c.comm[i] <= comms.count);
		}
		if (r == -1) /* full: the next drain starts a fresh batch */
			b.rows = 0;
	}
	FUZZ_EXPECT(st.events == written && st.events + st.malformed <= records);
	free(buf);
	tl_comm_free(&comms);
	tl_socks_free(&socks);
	return 0;
}
