/* Preflight probes for the BTF-typed program kinds the eBPF views use:
 * each loads a two-instruction program of that kind and attaches it for a
 * moment, as the views will (a loaded program proves less than an attach). */
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probe.h"

static const struct bpf_insn ret0[2] = {
	{ .code = 0xb7, .dst_reg = 0, .imm = 0 },  /* r0 = 0 */
	{ .code = 0x95 },                           /* exit */
};

static int load_tracing(const char *name, enum bpf_attach_type type)
{
	int id = libbpf_find_vmlinux_btf_id(name, type);
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = type);
	int fd;

	if (id < 0)
		return id;
	o.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "tl_probe", "GPL", ret0, 2, &o);
	return fd < 0 ? (fd < -1 ? fd : -errno) : fd;
}

/* The result of attaching program fd (link: the attach call's return):
 * 0 or -errno; closes both. */
static int attached(int fd, int link)
{
	int rc = link < 0 ? (link < -1 ? link : -errno) : 0;

	if (link >= 0)
		close(link);
	close(fd);
	return rc;
}

int tl_probe_tp_btf(const char *tracepoint)
{
	int fd = load_tracing(tracepoint, BPF_TRACE_RAW_TP);

	if (fd < 0)
		return fd;
	return attached(fd, bpf_raw_tracepoint_open(NULL, fd));
}

int tl_probe_iter_task(void)
{
	int fd = load_tracing("task", BPF_TRACE_ITER);

	if (fd < 0)
		return fd;
	return attached(fd, bpf_link_create(fd, 0, BPF_TRACE_ITER, NULL));
}
