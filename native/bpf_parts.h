/* Loading an eBPF view part by part. A view (events, samples) is made of
 * parts (state changes, retransmits, ...; tasks, owners), each written as
 * programs in variants ordered by preference (the fastest or most exact
 * first, the one older kernels accept last). tl_parts_load() loads, per
 * part, the first variant the running kernel accepts, and attaches each part
 * on its own: a part the kernel refuses in every variant is off with the
 * verifier's last words, and the other parts run.
 *
 * The tables and reports here need no libbpf; bpf_parts.c does.
 */
#ifndef TCPLENS_BPF_PARTS_H
#define TCPLENS_BPF_PARTS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bpf_object;
struct bpf_link;

/* One way of doing a part's job. */
struct tl_variant {
	const char *prog;  /* the program's name in the object */
	int bit;	   /* its bit in the object's `refuse` setting (the test hook) */
	const char *kfunc; /* a kfunc it calls that the kernel's BTF must have, or NULL */
	const char *needs; /* what the kernel must have, for people: "tp_btf, bpf_get_socket_cookie (5.12+)" */
};

struct tl_part {
	const char *name; /* "state", "tasks", ... */
	const struct tl_variant *variants;
	int n;
};

#define TL_PART_WHY 768

/* What became of one part. */
struct tl_part_state {
	int variant;   /* the variant loaded and attached; -1: off */
	int next;      /* the next variant to try (the loader's cursor) */
	uint32_t skip; /* variants the caller rules out (bit i: variant i), saying why in `why` */
	struct bpf_link *link;
	char why[TL_PART_WHY]; /* why each variant before `variant` (or every one, when off) failed */
};

/* The view's skeleton, behind three calls. */
struct tl_parts_ops {
	/* Opens the skeleton and applies the view's settings, `refuse` among
	 * them; returns its object, or NULL with errno set. */
	struct bpf_object *(*open)(void *view, uint32_t refuse);
	/* Loads the opened skeleton (maps, data sections, autoload programs). */
	int (*load)(void *view);
	/* Destroys the skeleton; safe on one never opened. */
	void (*destroy)(void *view);
};

/* Loads and attaches the parts (st zeroed, or with the caller's `skip`). After a refusal the object is opened again
 * without the refused program, so maps are shared by every part that runs.
 * Returns the number of parts up (0 is possible: every part refused), or
 * -errno when the object itself could not be opened or loaded (a map the
 * kernel would not create, no permission), with err filled. On success the
 * object stays loaded (destroy it through ops); on failure it is destroyed. */
int tl_parts_load(const struct tl_part *parts, int n, struct tl_part_state *st, const struct tl_parts_ops *ops,
		  void *view, char *err, size_t errlen);

/* BPF_PROG_LOAD answers that were EAGAIN (the verifier interrupted by a
 * signal) and were tried again, over every load of the process. */
uint64_t tl_parts_eagain_retries(void);

/* A part as reported to people (preflight, logs, metrics). */
struct tl_part_info {
	const char *part; /* "state" */
	const char *prog; /* the variant running; "" when off */
	int up;
	char why[TL_PART_WHY]; /* off: why every variant failed; up: why earlier ones did ("" if none) */
};

void tl_parts_info(const struct tl_part *parts, const struct tl_part_state *st, int n, struct tl_part_info *out);
/* The view failed as a whole (err): every part off without a reason of its own gets it. */
void tl_parts_fail_all(struct tl_part_info *out, int n, const char *err);

/* Destroys the parts' links (before the object). Idempotent. */
void tl_parts_detach(struct tl_part_state *st, int n);

/* TCPLENS_TEST_REFUSE (comma-separated program or part names) is a test hook:
 * the listed programs get their `refuse` bit set, and the verifier refuses
 * them, as a kernel that cannot run them would. */

#ifdef __cplusplus
}
#endif
#endif
