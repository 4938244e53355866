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

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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
static inline void tl_parts_fail_all(struct tl_part_info *out, int n, const char *err)
{
	for (int i = 0; i < n; i++)
		if (!out[i].up && !out[i].why[0])
			snprintf(out[i].why, sizeof(out[i].why), "%s", err);
}
/* The end of a view's open: each part's outcome into out (may be NULL) and,
 * when rc (the open's result) is < 0, err for every part without a reason of
 * its own. Returns rc. */
int tl_parts_opened(const struct tl_part *parts, const struct tl_part_state *st, int n, int rc, const char *err,
		    struct tl_part_info *out);

/* Kernel run time and runs of the variant a part runs: 0, or -1 when the part
 * is off or the kernel did not say. */
int tl_part_runs(const struct tl_part *part, const struct tl_part_state *st, struct bpf_object *obj, uint64_t *run_ns,
		 uint64_t *runs);

/* Why a view is not built: its skeleton (bpf/.output/NAME.skel.h) was missing. */
#define TL_SKEL_MISSING(name) \
	"not built: bpf/.output/" name ".skel.h was missing when the addon was built " \
	"(needs clang, bpftool, libbpf-dev and kernel BTF; run npm run build)"

/* The open of a view built without its skeleton: every part off with `why`
 * (out may be NULL), err says it too. Returns -ENOSYS. */
static inline int tl_parts_unbuilt(const struct tl_part *parts, int n, struct tl_part_info *out, const char *why,
				   char *err, size_t errlen)
{
	if (out) {
		memset(out, 0, (size_t)n * sizeof(*out));
		for (int i = 0; i < n; i++) {
			out[i].part = parts[i].name;
			out[i].prog = "";
		}
		tl_parts_fail_all(out, n, why);
	}
	snprintf(err, errlen, "%s", why);
	return -ENOSYS;
}

/* Destroys the parts' links (before the object). Idempotent. */
void tl_parts_detach(struct tl_part_state *st, int n);
/* A view's kernel objects go: the parts' links, the object (ops->destroy),
 * then run-time accounting (*stats_fd closed when >= 0, and set to -1).
 * Idempotent. */
void tl_parts_unload(struct tl_part_state *st, int n, const struct tl_parts_ops *ops, void *view, int *stats_fd);

/* TCPLENS_TEST_REFUSE (comma-separated program or part names) is a test hook:
 * the listed programs get their `refuse` bit set, and the verifier refuses
 * them, as a kernel that cannot run them would. */

#ifdef __cplusplus
}
#endif
#endif
