#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "events.h"
#include "comm_dict.h"


static const struct tl_coldef event_defs[] = {
#define TL_DEF_EVCOL(n, t) { #n, TL_##t },
	TL_EVENT_COLUMNS(TL_DEF_EVCOL)
#undef TL_DEF_EVCOL
};

size_t tl_event_layout(uint32_t capacity, struct tl_column_desc *desc)
{
	return tl_layout_place(event_defs, TL_EVENT_NCOLS, capacity, desc);
}

int tl_event_batch_bind(struct tl_event_batch *b, void *buf, size_t bytes, uint32_t capacity)
{
	struct tl_column_desc desc[TL_EVENT_NCOLS];
	size_t need = tl_event_layout(capacity, desc), i = 0;
	uint8_t *base = (uint8_t *)buf;

	if (bytes < need || ((uintptr_t)buf & 7u))
		return -1;
#define TL_BIND_EVCOL(n, t) b->c.n = (TL_CTYPE_##t *)(base + desc[i++].offset);
	TL_EVENT_COLUMNS(TL_BIND_EVCOL)
#undef TL_BIND_EVCOL
	b->capacity = capacity;
	b->rows = 0;
	return 0;
}

#if __has_include("tcp_events.skel.h")
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "../bpf/tcp_events.h"  /* the wire struct, shared with the BPF side */
#include "tcp_events.skel.h"

_Static_assert(TL_EVK_ACTIVE_OPEN == TL_EV_ACTIVE_OPEN && TL_EVK_RESET_RECEIVED == TL_EV_RESET_RECEIVED,
	       "bpf/tcp_events.h kinds follow native/event_columns.h");
_Static_assert(TL_EVFL_FINAL == TL_EVF_FINAL && TL_EVFL_PROC == TL_EVF_PROC && TL_EVFL_NOCOOKIE == TL_EVF_NOCOOKIE,
	       "bpf/tcp_events.h flags follow native/event_columns.h");
_Static_assert(TL_EV_MAX_NETNS == TL_EVCFG_MAX_NETNS && TL_EV_MAX_PORTS == TL_EVCFG_MAX_PORTS, "filter sizes");

struct tl_events {
	struct tcp_events *skel;
	struct ring_buffer *rb;
	enum tl_events_mode mode;
	uint32_t ring_bytes;
	struct tl_events_stats st;
	struct tl_comm_dict comms;
	/* the drain in progress (ring_buffer's callback context) */
	struct tl_event_batch *b;
	int64_t offset_ns;
	int full;
};

int tl_events_built(const char **why)
{
	*why = NULL;
	return 1;
}

static int64_t wall_minus_mono(void)
{
	struct timespec w, m;

	clock_gettime(CLOCK_REALTIME, &w);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return ((int64_t)w.tv_sec - m.tv_sec) * 1000000000ll + ((int64_t)w.tv_nsec - m.tv_nsec);
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct tl_events *e = ctx;
	struct tl_event_batch *b = e->b;
	const struct tl_event *ev = data;
	uint32_t r = b->rows;

	e->st.bytes += len;
	if (len < sizeof(*ev) || ev->kind < TL_EV_ACTIVE_OPEN || ev->kind > TL_EV_RESET_RECEIVED ||
	    (ev->family != 2 && ev->family != 10) || ev->oldstate > 15 || ev->newstate > 15) {
		e->st.malformed++;
		return 0;
	}
	memcpy(b->c.src[r], ev->saddr, 16);
	memcpy(b->c.dst[r], ev->daddr, 16);
	b->c.ts_ns[r] = ev->ts_ns + e->offset_ns;
	b->c.idiag_cookie[r] = ev->cookie;
	b->c.netns_inode[r] = ev->netns_inode;
	b->c.cgroup_id[r] = ev->cgroup_id;
	b->c.duration_ns[r] = ev->duration_ns;
	b->c.tcpi_bytes_acked[r] = ev->bytes_acked;
	b->c.tcpi_bytes_received[r] = ev->bytes_received;
	b->c.pid[r] = ev->pid;
	b->c.tgid[r] = ev->tgid;
	b->c.comm[r] = (ev->flags & TL_EVF_PROC) ? tl_comm_intern(&e->comms, ev->comm) : 0;
	b->c.tcpi_segs_in[r] = ev->segs_in;
	b->c.tcpi_segs_out[r] = ev->segs_out;
	b->c.tcpi_total_retrans[r] = ev->total_retrans;
	b->c.tcpi_rtt[r] = ev->srtt_us;
	b->c.tcpi_rttvar[r] = ev->rttvar_us;
	b->c.tcpi_delivered[r] = ev->delivered;
	b->c.tcpi_lost[r] = ev->lost;
	b->c.sport[r] = ev->sport;
	b->c.dport[r] = ev->dport;
	b->c.kind[r] = ev->kind;
	b->c.idiag_family[r] = ev->family;
	b->c.oldstate[r] = ev->oldstate;
	b->c.newstate[r] = ev->newstate;
	b->c.flags[r] = ev->flags;
	b->rows = r + 1;
	e->st.events++;
	/* libbpf 1.1 has no consume_n: a negative return stops the walk after
	 * this record is consumed, and the rest waits for the next drain */
	if (b->rows == b->capacity) {
		e->full = 1;
		return -1;
	}
	return 0;
}

static void set_progs(struct tcp_events *s, enum tl_events_mode m)
{
	bool btf = m == TL_EVMODE_TP_BTF;
	bpf_program__set_autoload(s->progs.btf_set_state, btf);
	bpf_program__set_autoload(s->progs.btf_retransmit, btf);
	bpf_program__set_autoload(s->progs.btf_send_reset, btf);
	bpf_program__set_autoload(s->progs.btf_receive_reset, btf);
	bpf_program__set_autoload(s->progs.tp_set_state, !btf);
	bpf_program__set_autoload(s->progs.tp_retransmit, !btf);
	bpf_program__set_autoload(s->progs.tp_send_reset, !btf);
	bpf_program__set_autoload(s->progs.tp_receive_reset, !btf);
}

/* libbpf logs only warnings and errors, to our stderr (the CLI's) */
static int quiet_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN && getenv("TCPLENS_LIBBPF_DEBUG") ? vfprintf(stderr, fmt, ap) : 0;
}

static int open_mode(const struct tl_events_config *cfg, enum tl_events_mode mode, struct tl_events *e,
		     char *err, size_t errlen)
{
	struct tcp_events *s = tcp_events__open();
	int rc;

	if (!s) {
		rc = -errno;
		snprintf(err, errlen, "open tcp_events: %s", strerror(-rc));
		return rc;
	}
	e->skel = s;
	e->mode = mode;
	set_progs(s, mode);
	for (uint32_t i = 0; i < cfg->n_netns && i < TL_EV_MAX_NETNS; i++)
		s->rodata->netns_filter[i] = cfg->netns[i];
	s->rodata->n_netns = cfg->n_netns < TL_EV_MAX_NETNS ? cfg->n_netns : TL_EV_MAX_NETNS;
	for (uint32_t i = 0; i < cfg->n_ports && i < TL_EV_MAX_PORTS; i++)
		s->rodata->port_filter[i] = cfg->ports[i];
	s->rodata->n_ports = cfg->n_ports < TL_EV_MAX_PORTS ? cfg->n_ports : TL_EV_MAX_PORTS;
	if (cfg->kinds)
		s->rodata->keep_kinds = cfg->kinds;
	if (cfg->states)
		s->rodata->keep_states = cfg->states;
	rc = bpf_map__set_max_entries(s->maps.events, e->ring_bytes);
	if (rc < 0) {
		snprintf(err, errlen, "ring buffer size %u: %s", e->ring_bytes, strerror(-rc));
		return rc;
	}
	rc = tcp_events__load(s);
	if (rc < 0) {
		rc = rc < -1 ? rc : -errno;
		snprintf(err, errlen, "load tcp_events (%s): %s", mode == TL_EVMODE_TP_BTF ? "tp_btf" : "tracepoint", strerror(-rc));
		return rc;
	}
	rc = tcp_events__attach(s);
	if (rc < 0) {
		rc = rc < -1 ? rc : -errno;
		snprintf(err, errlen, "attach tcp_events (%s): %s%s", mode == TL_EVMODE_TP_BTF ? "tp_btf" : "tracepoint",
			 strerror(-rc), mode == TL_EVMODE_TRACEPOINT && rc == -ENOENT
			 ? " (is tracefs mounted? mount -t tracefs nodev /sys/kernel/tracing)" : "");
		return rc;
	}
	return 0;
}

static void unload(struct tl_events *e)
{
	ring_buffer__free(e->rb);
	e->rb = NULL;
	tcp_events__destroy(e->skel);
	e->skel = NULL;
}

int tl_events_open(const struct tl_events_config *cfg, struct tl_events **out, char *err, size_t errlen)
{
	struct tl_events *e;
	uint32_t rb = cfg->ring_bytes ? cfg->ring_bytes : 8u << 20;
	long page = sysconf(_SC_PAGESIZE);
	int rc;

	*out = NULL;
	if ((rb & (rb - 1)) || rb < (uint32_t)page) {
		snprintf(err, errlen, "ring buffer size %u: must be a power of two of at least %ld bytes", rb, page);
		return -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	e->ring_bytes = rb;
	libbpf_set_print(quiet_log);
	rc = open_mode(cfg, cfg->mode > 0 ? TL_EVMODE_TRACEPOINT : TL_EVMODE_TP_BTF, e, err, errlen);
	if (rc < 0 && cfg->mode < 0 && rc != -EPERM) {
		/* tp_btf unusable (no BTF for these tracepoints?): classic tracepoints */
		char first[256];
		snprintf(first, sizeof(first), "%s", err);
		unload(e);
		rc = open_mode(cfg, TL_EVMODE_TRACEPOINT, e, err, errlen);
		if (rc < 0) {
			size_t n = strlen(err);
			snprintf(err + n, errlen - n, "; before that %s", first);
		}
	}
	if (rc == 0) {
		e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.events), on_record, e, NULL);
		if (!e->rb) {
			rc = -errno;
			snprintf(err, errlen, "ring buffer: %s", strerror(-rc));
		}
	}
	if (rc < 0) {
		tl_events_close(e);
		return rc;
	}
	*out = e;
	return 0;
}

enum tl_events_mode tl_events_mode(const struct tl_events *e) { return e->mode; }
uint32_t tl_events_ring_bytes(const struct tl_events *e) { return e->ring_bytes; }

int tl_events_drain(struct tl_events *e, struct tl_event_batch *b, int *more, int64_t *offset_ns)
{
	int rc;

	b->rows = 0;
	*more = 0;
	if (b->capacity == 0)
		return -EINVAL;
	e->b = b;
	e->full = 0;
	e->offset_ns = wall_minus_mono();
	*offset_ns = e->offset_ns;
	rc = ring_buffer__consume(e->rb);
	e->b = NULL;
	if (rc < 0 && !e->full)
		return rc < -1 ? rc : -errno;
	*more = e->full;
	if (b->rows)
		e->st.batches++;
	return (int)b->rows;
}

int tl_events_lost(struct tl_events *e, uint64_t *lost, int max)
{
	return tl_events_drops(e, 0, lost, max);
}

uint64_t tl_events_table_full(struct tl_events *e)
{
	uint64_t v[1024] = { 0 }, sum = 0;
	int n = tl_events_drops(e, 1, v, 1024);

	for (int i = 0; i < n && i < 1024; i++)
		sum += v[i];
	return sum;
}

int tl_events_drops(struct tl_events *e, uint32_t which, uint64_t *lost, int max)
{
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu < 0)
		return ncpu;
	uint64_t *v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.drops), &which, v) < 0) {
		int rc = -errno;
		free(v);
		return rc;
	}
	for (int i = 0; i < ncpu && i < max; i++)
		lost[i] = v[i];
	free(v);
	return ncpu;
}

const struct tl_events_stats *tl_events_stats(const struct tl_events *e) { return &e->st; }

uint32_t tl_events_comm_count(const struct tl_events *e) { return e->comms.count; }

const char *tl_events_comm(const struct tl_events *e, uint32_t id) { return e->comms.names[id - 1]; }

uint32_t tl_events_comm_take(struct tl_events *e, uint32_t *from)
{
	*from = e->comms.reported;
	e->comms.reported = e->comms.count;
	return e->comms.count;
}

void tl_events_close(struct tl_events *e)
{
	if (!e)
		return;
	unload(e);
	tl_comm_free(&e->comms);
	free(e);
}

#else /* built without the eBPF object */

#if __has_include("bpf_skipped.h")
#include "bpf_skipped.h"
#else
#define TL_BPF_SKIPPED "bpf/.output/tcp_events.skel.h missing (run npm run build)"
#endif

struct tl_events { int unused; };

int tl_events_built(const char **why)
{
	*why = TL_BPF_SKIPPED;
	return 0;
}

int tl_events_open(const struct tl_events_config *cfg, struct tl_events **out, char *err, size_t errlen)
{
	*out = NULL;
	snprintf(err, errlen, "not built: %s", TL_BPF_SKIPPED);
	return -ENOSYS;
}

enum tl_events_mode tl_events_mode(const struct tl_events *e) { return TL_EVMODE_TP_BTF; }
uint32_t tl_events_ring_bytes(const struct tl_events *e) { return 0; }
int tl_events_drain(struct tl_events *e, struct tl_event_batch *b, int *more, int64_t *offset_ns) { return -ENOSYS; }
int tl_events_lost(struct tl_events *e, uint64_t *lost, int max) { return -ENOSYS; }
int tl_events_drops(struct tl_events *e, uint32_t which, uint64_t *lost, int max) { return -ENOSYS; }
uint64_t tl_events_table_full(struct tl_events *e) { return 0; }
const struct tl_events_stats *tl_events_stats(const struct tl_events *e) { static struct tl_events_stats z; return &z; }
uint32_t tl_events_comm_count(const struct tl_events *e) { return 0; }
const char *tl_events_comm(const struct tl_events *e, uint32_t id) { return ""; }
uint32_t tl_events_comm_take(struct tl_events *e, uint32_t *from) { *from = 0; return 0; }
void tl_events_close(struct tl_events *e) {}

#endif
