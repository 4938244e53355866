#include "bpf_stats.h"
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

int tl_bpf_enable_stats(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

int tl_bpf_prog_stats(int fd, struct tl_bpf_prog_stats *out)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	out->run_time_ns = info.run_time_ns;
	out->run_cnt = info.run_cnt;
	out->id = info.id;
	memcpy(out->name, info.name, sizeof(out->name));
	out->name[sizeof(out->name) - 1] = '\0';
	return 0;
}

int tl_bpf_selftest_load(void)
{
	/* r0 = 0; exit */
	struct bpf_insn prog[2] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* BPF_ALU64 | BPF_MOV | BPF_K */
		{ .code = 0x95 },			  /* BPF_JMP | BPF_EXIT */
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "tl_selftest", "GPL", prog, 2, NULL);

	return fd < 0 ? -errno : fd;
}

int tl_bpf_selftest_run(int fd, uint32_t repeat)
{
	/* an Ethernet-sized frame of zeros: the filter ignores it */
	unsigned char pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = repeat);

	return bpf_prog_test_run_opts(fd, &opts) < 0 ? -errno : 0;
}
