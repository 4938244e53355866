#include <string.h>
#include "diag_replay.h"

void tl_diag_replay(struct tl_parse_ctx *x, const uint8_t *p, size_t left, struct tl_replay_result *out)
{
	memset(out, 0, sizeof(*out));
	while (left >= 4) {
		uint32_t n;
		size_t used = 0;
		int err = 0;
		enum tl_parse_result r;

		memcpy(&n, p, 4);
		p += 4;
		left -= 4;
		if (n > left) { /* a truncated recording */
			out->framing++;
			n = (uint32_t)left;
		}
		r = tl_parse_diag(x, p, n, &used, &err);
		if (r == TL_PARSE_FULL) {
			out->full = 1;
			return;
		}
		if (r == TL_PARSE_ERROR) {
			/* as a live dump: the error ends it, rows so far stand */
			out->error = 1;
			out->nl_errno = err;
			return;
		}
		/* A DONE ends its family's dump: the next request's answer starts
		 * in a new chunk, and the rest of this one is not a socket. */
		if (r == TL_PARSE_DONE)
			out->dones++;
		p += n;
		left -= n;
	}
	if (left > 0)
		out->framing++;
}
