/* The test hook every eBPF view shares (TCPLENS_TEST_REFUSE, see
 * native/bpf_parts.h): a program whose bit is set in `refuse` reads 32 KiB
 * past its context, which the verifier refuses for every kind of program, as
 * a kernel that cannot run it would. With the bit clear (always, in
 * production) the branch is dead code on a known constant, which the
 * verifier never walks. Include once, in the program's .bpf.c. */
#ifndef TCPLENS_REFUSE_BPF_H
#define TCPLENS_REFUSE_BPF_H

const volatile __u32 refuse = 0;

#define TL_REFUSE_IF(bit, ctx) \
	do { \
		if (refuse & (1u << (bit))) \
			return (int)((volatile __u64 *)(ctx))[4096]; \
	} while (0)

/* A variant that is its part's body with settings of its own: program `name`
 * in section `sec` (context ctx_t *ctx), refused under `bit`, returns `call`. */
#define TL_VARIANT(sec, ctx_t, name, bit, call) \
	SEC(sec) \
	int name(ctx_t *ctx) \
	{ \
		TL_REFUSE_IF(bit, ctx); \
		return call; \
	}

#endif
