/* A recorded inet_diag dump ([u32 length][chunk]..., as DiagSocket.tap()
 * records it) parsed exactly as tl_dump_fill parses a live one: chunk by
 * chunk, a DONE ends a family's dump, an NLMSG_ERROR ends the whole dump. */
#ifndef TCPLENS_DIAG_REPLAY_H
#define TCPLENS_DIAG_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include "diag_parse.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tl_replay_result {
	int full;	  /* the batch filled up; the rest was not parsed */
	int error;	  /* an NLMSG_ERROR ended the dump */
	int nl_errno;	  /* its errno (0: an ack where a dump was expected) */
	uint32_t dones;	  /* NLMSG_DONE messages seen (one per family) */
	uint64_t framing; /* chunk lengths past the recording's end, trailing bytes */
};

/* Parses rec[len] into b (rows appended) with ctx's dictionary and stats. */
void tl_diag_replay(struct tl_parse_ctx *ctx, const uint8_t *rec, size_t len, struct tl_replay_result *out);

#ifdef __cplusplus
}
#endif
#endif
