/* The events view's C core: loads bpf/tcp_events.bpf.c (open -> set the
 * const volatile settings -> load -> attach), drains its ring buffer into
 * event-layout column batches (event_columns.h), and counts everything it
 * reads, skips and loses. One idempotent cleanup path: tl_events_close(). */
#ifndef TCPLENS_EVENTS_H
#define TCPLENS_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include "batch.h"
#include "event_columns.h"
#include "bpf_parts.h"
#include "comm_dict.h"
#include "sock_table.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tl_event_cols {
#define TL_DECL_EVCOL(name, type) TL_CTYPE_##type *name;
	TL_EVENT_COLUMNS(TL_DECL_EVCOL)
#undef TL_DECL_EVCOL
};

#define TL_EVENT_NCOLS (sizeof(struct tl_event_cols) / sizeof(void *))

struct tl_event_batch {
	uint32_t capacity;
	uint32_t rows;
	struct tl_event_cols c;
};

/* Fills desc[TL_EVENT_NCOLS] for `capacity` rows; returns the bytes needed. */
size_t tl_event_layout(uint32_t capacity, struct tl_column_desc *desc);

/* Points b's columns into buf; -1 when buf is too small or misaligned. */
int tl_event_batch_bind(struct tl_event_batch *b, void *buf, size_t bytes, uint32_t capacity);

#define TL_EVCFG_MAX_NETNS 8
#define TL_EVCFG_MAX_PORTS 8

struct tl_events_config {
	uint64_t netns[TL_EVCFG_MAX_NETNS];
	uint32_t n_netns; /* 0: every namespace */
	uint16_t ports[TL_EVCFG_MAX_PORTS];
	uint32_t n_ports;    /* 0: every port */
	uint32_t kinds;	     /* bit k keeps kind k; 0: all */
	uint32_t states;     /* kind STATE: bit s keeps new state s; 0: all */
	uint32_t ring_bytes; /* power of two, >= page size; 0: 8 MiB */
	/* the programs wake a waiting reader at the first record into an
	 * empty ring and once it holds this much; 0: never */
	uint32_t wake_bytes;
	int mode; /* 0: tp_btf only, 1: classic tracepoints only; -1: per part, the first that loads */
};

enum tl_events_mode { TL_EVMODE_TP_BTF = 0, TL_EVMODE_TRACEPOINT = 1 };

struct tl_events_stats {
	uint64_t events;	/* rows written to batches */
	uint64_t bytes;		/* ring-buffer bytes read */
	uint64_t batches;	/* drains that returned rows */
	uint64_t malformed;	/* records too short or with impossible values: skipped */
	uint64_t comm_overflow; /* comms not interned (dictionary full): comm = 0 */
};

struct tl_events;

/* 1 when the eBPF object was built into this addon; else 0 and *why says
 * why not (the build's reason). */
int tl_events_built(const char **why);

/* The view's parts: state (opens, closes, state changes), retransmit,
 * reset_sent, reset_received; each loads in the first variant the kernel
 * accepts (see events.c), or is off with the reason. */
#define TL_EVENTS_NPARTS 4
extern const struct tl_part tl_event_parts[TL_EVENTS_NPARTS];

/* Opens, configures, loads and attaches each part it can. 0, or -errno with
 * err filled with what failed (-EOPNOTSUPP: every part refused). parts
 * (TL_EVENTS_NPARTS entries, may be NULL) says what became of each part,
 * on failure too. */
int tl_events_open(const struct tl_events_config *cfg, struct tl_events **out, struct tl_part_info *parts, char *err,
		   size_t errlen);

/* What became of each part (TL_EVENTS_NPARTS entries). */
void tl_events_parts_info(const struct tl_events *e, struct tl_part_info *parts);

/* The state part's kind of program (classic tracepoints carry no BTF). */
enum tl_events_mode tl_events_mode(const struct tl_events *e);
uint32_t tl_events_ring_bytes(const struct tl_events *e);

/* Moves what the ring holds now into b (b->rows = 0 first), converting
 * monotonic to wall time with one offset taken at the call (*offset_ns).
 * Stops when the batch is full (*more = 1; the rest stays in the ring).
 * Returns rows written or -errno. Never blocks. */
int tl_events_drain(struct tl_events *e, struct tl_event_batch *b, int *more, int64_t *offset_ns);

/* 1 when the ring holds records now: reads its two positions from a
 * read-only mapping, no syscall (an empty drain costs nothing). */
int tl_events_pending(const struct tl_events *e);

/* Bytes the ring holds now (record headers included), read the same way;
 * UINT64_MAX when it cannot tell. */
uint64_t tl_events_avail(const struct tl_events *e);

/* Config wake_bytes: the programs wake a waiting reader when a record goes
 * into an empty ring and once it holds this much; 0: never. */
uint32_t tl_events_wake_bytes(const struct tl_events *e);

/* Appends what the ring holds now to b, from row b->rows on, until b is
 * full (*full = 1; the rest stays in the ring). Rows added, or -errno.
 * One caller at a time (tl_events_drain and the pump share it). */
int tl_events_consume(struct tl_events *e, struct tl_event_batch *b, int *full);

/* CLOCK_REALTIME - CLOCK_MONOTONIC of the latest read (ts_ns has it added). */
int64_t tl_events_offset(const struct tl_events *e);

/* The ring's fd: readable (poll, epoll) once a program asked for a wakeup
 * (config wake_bytes) and until the ring is empty. */
int tl_events_ring_fd(const struct tl_events *e);

/* Decodes one ring-buffer record (data[len]) into row b->rows: a struct
 * tl_event is joined with its socket's birth in socks (owner, lifetime at
 * close, a released local port) and written; a struct tl_birth or tl_gone
 * updates socks. 1 when a row was written, 0 when none (a birth, a close
 * filtered by port, or malformed: counted in st), -1 when b is full. The
 * drain's callback, and the fuzz target's entry (fuzz/). */
int tl_event_put(struct tl_event_batch *b, struct tl_comm_dict *comms, struct tl_sock_table *socks,
		 struct tl_events_stats *st, int64_t offset_ns, const void *data, size_t len);

/* Ring-buffer writes that failed (ring full), per possible CPU, into
 * lost[max]; returns the number of CPUs or -errno. */
int tl_events_lost(struct tl_events *e, uint64_t *lost, int max);

/* Counter `which` of the per-CPU drops map (ring full: 0 events, 1 births
 * and forgets) per CPU, as tl_events_lost. */
int tl_events_drops(struct tl_events *e, uint32_t which, uint64_t *lost, int max);

/* Births not kept: the reader's socket table full, or the ring full when
 * the programs wrote them (those sockets' events come without owner and
 * lifetime). */
uint64_t tl_events_table_full(struct tl_events *e);

const struct tl_events_stats *tl_events_stats(const struct tl_events *e);

/* The comm dictionary of the comm column (ids 1-based). */
struct tl_comm_dict *tl_events_comms(struct tl_events *e);

/* Detaches, unloads and frees; NULL is fine. */
void tl_events_close(struct tl_events *e);

#ifdef __cplusplus
}
#endif
#endif
