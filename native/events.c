#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include "events.h"
#include "comm_dict.h"

/* The view's parts, each in the variants bpf/tcp_events.bpf.c writes, best
 * first; the loader runs per part the first one the kernel accepts. */
#define TL_EV_VARIANTS(part, needs_tp) \
	{ "btf_" #part, TL_EVP_btf_##part, NULL, \
	  "tp_btf (5.5+) and bpf_get_socket_cookie in tracing programs (5.12+)" }, \
		{ "btfrd_" #part, TL_EVP_btfrd_##part, NULL, "tp_btf (5.5+); cookies read, not generated" }, \
	{ \
		"tp_" #part, TL_EVP_tp_##part, NULL, "tracefs mounted and the " needs_tp " tracepoint; cookies read" \
	}
static const struct tl_variant v_state[] = { TL_EV_VARIANTS(set_state, "sock:inet_sock_set_state (4.16+)") };
static const struct tl_variant v_retrans[] = { TL_EV_VARIANTS(retransmit, "tcp:tcp_retransmit_skb") };
static const struct tl_variant v_rst_sent[] = { TL_EV_VARIANTS(send_reset, "tcp:tcp_send_reset") };
static const struct tl_variant v_rst_recv[] = { TL_EV_VARIANTS(receive_reset, "tcp:tcp_receive_reset") };
#define TL_NV(v) (int)(sizeof(v) / sizeof((v)[0]))
const struct tl_part tl_event_parts[TL_EVENTS_NPARTS] = {
	{ "state", v_state, TL_NV(v_state) },
	{ "retransmit", v_retrans, TL_NV(v_retrans) },
	{ "reset_sent", v_rst_sent, TL_NV(v_rst_sent) },
	{ "reset_received", v_rst_recv, TL_NV(v_rst_recv) },
};

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

/* A birth: the socket's entry, made or (a reused address) written over. */
static void put_birth(struct tl_sock_table *socks, const void *data)
{
	struct tl_birth bi;
	struct tl_sock_entry *s;

	memcpy(&bi, data, sizeof(bi));
	s = tl_socks_put(socks, bi.sk);
	if (!s)
		return;
	s->birth_ns = bi.ts_ns;
	s->sport = bi.sport;
	s->has_owner = (bi.flags & TL_EVFL_PROC) != 0;
	s->pid = bi.pid;
	s->tgid = bi.tgid;
	s->cgroup_id = bi.cgroup_id;
	memcpy(s->comm, bi.comm, sizeof(s->comm));
}

static int port_kept(const struct tl_sock_table *socks, uint16_t sport, uint16_t dport)
{
	for (uint32_t i = 0; i < socks->n_ports && i < 8; i++)
		if (socks->ports[i] == sport || socks->ports[i] == dport)
			return 1;
	return socks->n_ports == 0;
}

/* The socket's birth onto ev (what the programs leave to the reader), as
 * the programs did when they kept the table: the owner, the local port it
 * had while established (0 once the kernel released it at the close) and
 * the lifetime at close. 0: a close the port filter drops. */
static int join_birth(struct tl_sock_table *socks, struct tl_event *ev)
{
	struct tl_sock_entry *s = tl_socks_get(socks, ev->sk);
	int keep;

	if (s && ev->sport == 0)
		ev->sport = s->sport;
	else if (s && ev->newstate == 1) /* ESTABLISHED: a client's port is chosen after its birth */
		s->sport = ev->sport;
	if (s && s->has_owner) {
		ev->pid = s->pid;
		ev->tgid = s->tgid;
		ev->cgroup_id = s->cgroup_id;
		memcpy(ev->comm, s->comm, sizeof(ev->comm));
		ev->flags |= TL_EVFL_PROC;
	}
	if (ev->kind != TL_EVK_CLOSE)
		return 1;
	keep = port_kept(socks, ev->sport, ev->dport);
	if (s && s->birth_ns && ev->ts_ns > s->birth_ns)
		ev->duration_ns = ev->ts_ns - s->birth_ns;
	if (s)
		tl_socks_del(socks, ev->sk);
	return keep;
}

int tl_event_put(struct tl_event_batch *b, struct tl_comm_dict *comms, struct tl_sock_table *socks,
		 struct tl_events_stats *st, int64_t offset_ns, const void *data, size_t len)
{
	struct tl_event ev;
	uint32_t r = b->rows;

	st->bytes += len;
	if (len == sizeof(struct tl_birth)) {
		put_birth(socks, data);
		return 0;
	}
	if (len == sizeof(struct tl_gone)) {
		struct tl_gone g;
		memcpy(&g, data, sizeof(g));
		tl_socks_del(socks, g.sk);
		return 0;
	}
	if (r >= b->capacity)
		return -1;
	/* copied out: nothing is read through a cast pointer into the ring */
	if (len >= sizeof(ev))
		memcpy(&ev, data, sizeof(ev));
	if (len < sizeof(ev) || ev.kind < TL_EVK_ACTIVE_OPEN || ev.kind > TL_EVK_RESET_RECEIVED ||
	    (ev.family != 2 && ev.family != 10) || ev.oldstate > 15 || ev.newstate > 15) {
		st->malformed++;
		return 0;
	}
	if (ev.sk && !join_birth(socks, &ev))
		return 0;
	memcpy(b->c.src[r], ev.saddr, 16);
	memcpy(b->c.dst[r], ev.daddr, 16);
	b->c.ts_ns[r] = ev.ts_ns + (uint64_t)offset_ns;
	b->c.idiag_cookie[r] = ev.cookie;
	b->c.netns_inode[r] = ev.netns_inode;
	b->c.cgroup_id[r] = ev.cgroup_id;
	b->c.duration_ns[r] = ev.duration_ns;
	b->c.tcpi_bytes_acked[r] = ev.bytes_acked;
	b->c.tcpi_bytes_received[r] = ev.bytes_received;
	b->c.pid[r] = ev.pid;
	b->c.tgid[r] = ev.tgid;
	b->c.comm[r] = 0;
	if (ev.flags & TL_EVFL_PROC) {
		b->c.comm[r] = tl_comm_intern(comms, ev.comm);
		if (!b->c.comm[r])
			st->comm_overflow++;
	}
	b->c.tcpi_segs_in[r] = ev.segs_in;
	b->c.tcpi_segs_out[r] = ev.segs_out;
	b->c.tcpi_total_retrans[r] = ev.total_retrans;
	b->c.tcpi_rtt[r] = ev.srtt_us;
	b->c.tcpi_rttvar[r] = ev.rttvar_us;
	b->c.tcpi_delivered[r] = ev.delivered;
	b->c.tcpi_lost[r] = ev.lost;
	b->c.sport[r] = ev.sport;
	b->c.dport[r] = ev.dport;
	b->c.kind[r] = ev.kind;
	b->c.idiag_family[r] = ev.family;
	b->c.oldstate[r] = ev.oldstate;
	b->c.newstate[r] = ev.newstate;
	b->c.flags[r] = ev.flags;
	b->rows = r + 1;
	st->events++;
	return 1;
}

#if __has_include("tcp_events.skel.h")
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "tcp_events.skel.h"
#include "bpf_parts.h"

_Static_assert(TL_EV_MAX_NETNS == TL_EVCFG_MAX_NETNS && TL_EV_MAX_PORTS == TL_EVCFG_MAX_PORTS, "filter sizes");

struct tl_events {
	struct tcp_events *skel;
	struct tl_part_state parts[TL_EVENTS_NPARTS];
	struct ring_buffer *rb;
	/* the ring's consumer and producer pages, read-only: is it empty? */
	void *pos;
	size_t pos_len;
	enum tl_events_mode mode;
	uint32_t ring_bytes, wake_bytes;
	struct tl_events_stats st;
	struct tl_comm_dict comms;
	struct tl_sock_table socks; /* births, joined onto events */
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

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000ll + t->tv_nsec;
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC. A thread preempted between the two reads
 * would skew every stamp of the batch by the preemption (milliseconds on a
 * loaded or emulated host): read the wall clock between two monotonic reads,
 * a few times, and keep the tightest bracket. */
static int64_t wall_minus_mono(void)
{
	int64_t best = 0, window = INT64_MAX;

	for (int i = 0; i < 4; i++) {
		struct timespec m1, w, m2;
		clock_gettime(CLOCK_MONOTONIC, &m1);
		clock_gettime(CLOCK_REALTIME, &w);
		clock_gettime(CLOCK_MONOTONIC, &m2);
		if (ts_ns(&m2) - ts_ns(&m1) < window) {
			window = ts_ns(&m2) - ts_ns(&m1);
			best = ts_ns(&w) - (ts_ns(&m1) + (ts_ns(&m2) - ts_ns(&m1)) / 2);
		}
	}
	return best;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct tl_events *e = ctx;

	tl_event_put(e->b, &e->comms, &e->socks, &e->st, e->offset_ns, data, len);
	/* libbpf 1.1 has no consume_n: a negative return stops the walk after
	 * this record is consumed, and the rest waits for the next drain */
	if (e->b->rows == e->b->capacity) {
		e->full = 1;
		return -1;
	}
	return 0;
}

/* variants 0 and 1 are tp_btf, 2 the classic tracepoint */
#define TL_EV_BTF_VARIANTS 0x3u
#define TL_EV_TP_VARIANTS 0x4u

struct open_ctx {
	struct tl_events *e;
	const struct tl_events_config *cfg;
};

static struct bpf_object *ev_open(void *view, uint32_t refuse)
{
	struct open_ctx *c = view;
	const struct tl_events_config *cfg = c->cfg;
	struct tcp_events *s = tcp_events__open();

	c->e->skel = s;
	if (!s)
		return NULL;
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
	s->rodata->refuse = refuse;
	s->rodata->wake_bytes = cfg->wake_bytes;
	if (bpf_map__set_max_entries(s->maps.events, c->e->ring_bytes) < 0)
		return NULL;
	return s->obj;
}

static int ev_load(void *view)
{
	return tcp_events__load(((struct open_ctx *)view)->e->skel);
}

static void ev_destroy(void *view)
{
	struct tl_events *e = ((struct open_ctx *)view)->e;
	tcp_events__destroy(e->skel);
	e->skel = NULL;
}

static const struct tl_parts_ops ev_ops = { ev_open, ev_load, ev_destroy };

static void unload(struct tl_events *e)
{
	if (e->pos)
		munmap(e->pos, e->pos_len);
	e->pos = NULL;
	ring_buffer__free(e->rb);
	e->rb = NULL;
	tl_parts_detach(e->parts, TL_EVENTS_NPARTS);
	tcp_events__destroy(e->skel);
	e->skel = NULL;
}

/* Every part off: one line that says why, part by part. */
static void all_off(const struct tl_events *e, char *err, size_t errlen)
{
	size_t n = (size_t)snprintf(err, errlen, "no part of the events view loads on this kernel:");
	for (int i = 0; i < TL_EVENTS_NPARTS && n < errlen; i++)
		n += (size_t)snprintf(err + n, errlen - n, " %s: %s.", tl_event_parts[i].name, e->parts[i].why);
}

int tl_events_open(const struct tl_events_config *cfg, struct tl_events **out, struct tl_part_info *parts, char *err,
		   size_t errlen)
{
	struct tl_events *e;
	uint32_t rb = cfg->ring_bytes ? cfg->ring_bytes : 8u << 20;
	long page = sysconf(_SC_PAGESIZE);
	struct open_ctx ctx;
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
	e->wake_bytes = cfg->wake_bytes;
	for (uint32_t i = 0; i < cfg->n_ports && i < TL_EV_MAX_PORTS; i++)
		e->socks.ports[e->socks.n_ports++] = cfg->ports[i];
	if (cfg->mode >= 0) {
		/* a forced mode rules out the other kind of program */
		uint32_t skip = cfg->mode == TL_EVMODE_TP_BTF ? TL_EV_TP_VARIANTS : TL_EV_BTF_VARIANTS;
		for (int i = 0; i < TL_EVENTS_NPARTS; i++) {
			e->parts[i].skip = skip;
			snprintf(e->parts[i].why, sizeof(e->parts[i].why), "%s only (mode)",
				 cfg->mode == TL_EVMODE_TP_BTF ? "tp_btf" : "classic tracepoints");
		}
	}
	ctx.e = e;
	ctx.cfg = cfg;
	rc = tl_parts_load(tl_event_parts, TL_EVENTS_NPARTS, e->parts, &ev_ops, &ctx, err, errlen);
	if (parts)
		tl_parts_info(tl_event_parts, e->parts, TL_EVENTS_NPARTS, parts);
	if (rc == 0) {
		all_off(e, err, errlen);
		rc = -EOPNOTSUPP;
	} else if (rc > 0) {
		const char *p = e->parts[0].variant >= 0 ? tl_event_parts[0].variants[e->parts[0].variant].prog : "";
		e->mode = strncmp(p, "tp_", 3) == 0 ? TL_EVMODE_TRACEPOINT : TL_EVMODE_TP_BTF;
		e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.events), on_record, e, NULL);
		rc = 0;
		if (!e->rb) {
			rc = -errno;
			snprintf(err, errlen, "ring buffer: %s", strerror(-rc));
		} else {
			/* page 0 holds the consumer position, page 1 the producer's */
			e->pos_len = 2 * (size_t)page;
			e->pos = mmap(NULL, e->pos_len, PROT_READ, MAP_SHARED, bpf_map__fd(e->skel->maps.events), 0);
			if (e->pos == MAP_FAILED) {
				e->pos = NULL;
				rc = -errno;
				snprintf(err, errlen, "ring buffer positions: %s", strerror(-rc));
			}
		}
	}
	if (rc < 0) {
		if (parts)
			tl_parts_fail_all(parts, TL_EVENTS_NPARTS, err);
		tl_events_close(e);
		return rc;
	}
	*out = e;
	return 0;
}

void tl_events_parts_info(const struct tl_events *e, struct tl_part_info *parts)
{
	tl_parts_info(tl_event_parts, e->parts, TL_EVENTS_NPARTS, parts);
}

enum tl_events_mode tl_events_mode(const struct tl_events *e)
{
	return e->mode;
}
uint32_t tl_events_ring_bytes(const struct tl_events *e)
{
	return e->ring_bytes;
}

int tl_events_pending(const struct tl_events *e)
{
	return tl_events_avail(e) != 0;
}

uint64_t tl_events_avail(const struct tl_events *e)
{
	const uint8_t *p = e->pos;
	long page = sysconf(_SC_PAGESIZE);

	if (!p)
		return UINT64_MAX; /* cannot tell: look */
	/* consumer first: the producer only grows past it */
	uint64_t cons = __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
	return __atomic_load_n((const uint64_t *)(p + page), __ATOMIC_ACQUIRE) - cons;
}

uint32_t tl_events_wake_bytes(const struct tl_events *e)
{
	return e->wake_bytes;
}

int64_t tl_events_offset(const struct tl_events *e)
{
	return e->offset_ns;
}

int tl_events_ring_fd(const struct tl_events *e)
{
	return bpf_map__fd(e->skel->maps.events);
}

int tl_events_consume(struct tl_events *e, struct tl_event_batch *b, int *full)
{
	uint32_t before = b->rows;
	int rc;

	*full = 0;
	if (b->capacity == 0)
		return -EINVAL;
	if (b->rows >= b->capacity) {
		*full = 1;
		return 0;
	}
	if (!tl_events_pending(e))
		return 0;
	e->b = b;
	e->full = 0;
	e->offset_ns = wall_minus_mono();
	rc = ring_buffer__consume(e->rb);
	e->b = NULL;
	if (rc < 0 && !e->full)
		return rc < -1 ? rc : -errno;
	*full = e->full;
	return (int)(b->rows - before);
}

int tl_events_drain(struct tl_events *e, struct tl_event_batch *b, int *more, int64_t *offset_ns)
{
	int rc;

	b->rows = 0;
	*more = 0;
	rc = tl_events_consume(e, b, more);
	*offset_ns = e->offset_ns ? e->offset_ns : wall_minus_mono();
	if (rc < 0)
		return rc;
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
	uint64_t v[1024] = { 0 }, sum = e->socks.full;
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

const struct tl_events_stats *tl_events_stats(const struct tl_events *e)
{
	return &e->st;
}

struct tl_comm_dict *tl_events_comms(struct tl_events *e)
{
	return &e->comms;
}

void tl_events_close(struct tl_events *e)
{
	if (!e)
		return;
	unload(e);
	tl_comm_free(&e->comms);
	tl_socks_free(&e->socks);
	free(e);
}

#else /* built without the eBPF object */

#if __has_include("bpf_skipped.h")
#include "bpf_skipped.h"
#else
#define TL_BPF_SKIPPED "bpf/.output/tcp_events.skel.h missing (run npm run build)"
#endif

struct tl_events {
	int unused;
};

int tl_events_built(const char **why)
{
	*why = TL_BPF_SKIPPED;
	return 0;
}

int tl_events_open(const struct tl_events_config *cfg, struct tl_events **out, struct tl_part_info *parts, char *err,
		   size_t errlen)
{
	*out = NULL;
	if (parts)
		for (int i = 0; i < TL_EVENTS_NPARTS; i++) {
			memset(&parts[i], 0, sizeof(parts[i]));
			parts[i].part = tl_event_parts[i].name;
			parts[i].prog = "";
			snprintf(parts[i].why, sizeof(parts[i].why), "not built: %s", TL_BPF_SKIPPED);
		}
	snprintf(err, errlen, "not built: %s", TL_BPF_SKIPPED);
	return -ENOSYS;
}

void tl_events_parts_info(const struct tl_events *e, struct tl_part_info *parts)
{
}
enum tl_events_mode tl_events_mode(const struct tl_events *e)
{
	return TL_EVMODE_TP_BTF;
}
uint32_t tl_events_ring_bytes(const struct tl_events *e)
{
	return 0;
}
int tl_events_drain(struct tl_events *e, struct tl_event_batch *b, int *more, int64_t *offset_ns)
{
	return -ENOSYS;
}
int tl_events_pending(const struct tl_events *e)
{
	return 0;
}
uint64_t tl_events_avail(const struct tl_events *e)
{
	return 0;
}
uint32_t tl_events_wake_bytes(const struct tl_events *e)
{
	return 0;
}
int tl_events_consume(struct tl_events *e, struct tl_event_batch *b, int *full)
{
	return -ENOSYS;
}
int tl_events_ring_fd(const struct tl_events *e)
{
	return -1;
}
int64_t tl_events_offset(const struct tl_events *e)
{
	return 0;
}
int tl_events_lost(struct tl_events *e, uint64_t *lost, int max)
{
	return -ENOSYS;
}
int tl_events_drops(struct tl_events *e, uint32_t which, uint64_t *lost, int max)
{
	return -ENOSYS;
}
uint64_t tl_events_table_full(struct tl_events *e)
{
	return 0;
}
const struct tl_events_stats *tl_events_stats(const struct tl_events *e)
{
	static struct tl_events_stats z;
	return &z;
}
struct tl_comm_dict *tl_events_comms(struct tl_events *e)
{
	static struct tl_comm_dict none;
	return &none;
}
void tl_events_close(struct tl_events *e)
{
}

#endif
