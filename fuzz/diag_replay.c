/* libFuzzer target: a recorded inet_diag dump through tl_diag_replay (the
 * addon's replay(), native/diag_replay.c) and so tl_parse_diag.
 * Input: [u8 capacity - 1 (low 6 bits)][u32 length][chunk]... */
#include "fuzz.h"
#include "diag_replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_batch b;
	struct tl_dict dict;
	struct tl_parse_stats st;
	struct tl_replay_result res;
	uint32_t cap;

	if (size < 1)
		return 0;
	cap = 1u + (data[0] & 63);
	b = fuzz_poll_batch(cap);
	memset(&dict, 0, sizeof(dict));
	memset(&st, 0, sizeof(st));
	{
		struct tl_parse_ctx x = { &b, &dict, &st, 1, 4026531840u, 0 };
		tl_diag_replay(&x, data + 1, size - 1, &res);
	}
	FUZZ_EXPECT(b.rows <= cap && st.rows == b.rows);
	FUZZ_EXPECT(!res.full || b.rows == cap);
	FUZZ_EXPECT(dict.count <= TL_DICT_MAX && dict.reported == 0);
	FUZZ_EXPECT(!res.error || res.nl_errno >= 0);
	return 0;
}
