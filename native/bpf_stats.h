/* BPF program run statistics: switch on the kernel's run-time accounting
 * for as long as we hold an fd, and read run_time_ns/run_cnt of a program. */
#pragma once
#include <stdint.h>

struct tl_bpf_prog_stats {
	uint64_t run_time_ns;
	uint64_t run_cnt;
	uint32_t id;
	char name[16]; /* BPF_OBJ_NAME_LEN */
};

/* BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): returns an fd (stats stay on until
 * every such fd is closed, and kernel.bpf_stats_enabled is left alone) or -errno. */
int tl_bpf_enable_stats(void);

/* 0 or -errno (EINVAL: fd is not a BPF program). */
int tl_bpf_prog_stats(int fd, struct tl_bpf_prog_stats *out);

/* A two-instruction socket filter named "tl_selftest" (returns fd or -errno)
 * and BPF_PROG_TEST_RUN of it `repeat` times: lets a test and an operator
 * check that run-time accounting works on this kernel. */
int tl_bpf_selftest_load(void);
int tl_bpf_selftest_run(int fd, uint32_t repeat);
