/* Parsing inet_diag netlink messages straight into a column batch. */
#ifndef TCPLENS_DIAG_PARSE_H
#define TCPLENS_DIAG_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "batch.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Dictionary of congestion-control names: column value = id, 0 = none.
 * Ids are stable for the life of the dictionary; names [reported, count)
 * are new since the caller last took them (the glue's TakeNewNames). */
#define TL_DICT_MAX 64
#define TL_DICT_STRLEN 16
#define TL_DICT_OVERFLOW 0xFFFFu

struct tl_dict {
	uint32_t count;
	uint32_t reported; /* names [reported, count) are new since last take */
	char names[TL_DICT_MAX][TL_DICT_STRLEN];
};

uint16_t tl_dict_intern(struct tl_dict *d, const char *s, size_t len);

/* Counters of everything seen; never reset by the parser. */
struct tl_parse_stats {
	uint64_t messages;	/* netlink messages looked at */
	uint64_t rows;		/* sockets written to batches */
	uint64_t parse_errors;	/* malformed messages or attributes (counted, skipped) */
	uint64_t short_info;	/* tcp_info shorter than ours (older kernel; zero-filled) */
	uint64_t dump_intr;	/* NLM_F_DUMP_INTR: the table changed during the dump */
	uint64_t dict_overflow; /* cong names past TL_DICT_MAX */
	uint64_t foreign;	/* messages of another sequence (a stale dump), skipped */
};

enum tl_parse_result {
	TL_PARSE_MORE = 0,  /* consumed the whole buffer; read more */
	TL_PARSE_DONE = 1,  /* NLMSG_DONE seen (consumed up to and including it) */
	TL_PARSE_FULL = 2,  /* batch full; *consumed stops before the next socket */
	TL_PARSE_ERROR = 3, /* NLMSG_ERROR from the kernel; *nl_errno is set */
};

struct tl_parse_ctx {
	struct tl_batch *batch;
	struct tl_dict *dict;
	struct tl_parse_stats *st;
	uint64_t ts_ns;
	uint64_t netns_inode;
	uint32_t seq; /* expected nlmsg_seq; 0 = accept any (replay) */
};

enum tl_parse_result tl_parse_diag(struct tl_parse_ctx *ctx, const uint8_t *buf, size_t len, size_t *consumed,
				   int *nl_errno);

#ifdef __cplusplus
}
#endif
#endif
