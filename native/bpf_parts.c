/* Part-by-part loading of an eBPF view (see bpf_parts.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "bpf_parts.h"
#include "fd.h"

/* ---- what libbpf said ---------------------------------------------------- */

/* The warnings of one load attempt: the first program named ("prog 'x': ..."),
 * the first and last warning, and the tail of the verifier's log (its last
 * lines are the reason). Per thread: views load on the JS thread, but nothing
 * here depends on it. */
static __thread struct {
	char culprit[64];
	char first[256]; /* the first warning: the cause, when one failure leads to others */
	char last[256];
	char log[2048]; /* the tail of the verifier's log (one message, however long) */
} cap;

static void capture_reset(void)
{
	cap.culprit[0] = '\0';
	cap.first[0] = '\0';
	cap.last[0] = '\0';
	cap.log[0] = '\0';
}

/* The verifier's log of a refused program: libbpf prints it in one message
 * between BEGIN and END markers; keep the lines before END. */
static void keep_log(const char *msg)
{
	const char *b = strstr(msg, "-- BEGIN PROG LOAD LOG --");
	const char *e = b ? strstr(b, "-- END PROG LOAD LOG --") : NULL;
	size_t n;

	if (!b || !e)
		return;
	b += strlen("-- BEGIN PROG LOAD LOG --");
	n = (size_t)(e - b);
	if (n >= sizeof(cap.log)) {
		b = e - (sizeof(cap.log) - 1);
		n = sizeof(cap.log) - 1;
	}
	memcpy(cap.log, b, n);
	cap.log[n] = '\0';
}

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;
	const char *p;
	va_list copy;

	if (level == LIBBPF_DEBUG)
		return 0;
	va_copy(copy, ap);
	if (getenv("TCPLENS_LIBBPF_DEBUG"))
		vfprintf(stderr, fmt, copy);
	va_end(copy);
	if (vasprintf(&msg, fmt, ap) < 0) /* whole: a verifier log runs to megabytes */
		return 0;
	keep_log(msg);
	/* libbpf names the program it was working on: "prog 'name': ..." */
	if (!cap.culprit[0] && (p = strstr(msg, "prog '")) != NULL) {
		const char *e = strchr(p + 6, '\'');
		size_t n = e ? (size_t)(e - (p + 6)) : 0;
		if (n > 0 && n < sizeof(cap.culprit)) {
			memcpy(cap.culprit, p + 6, n);
			cap.culprit[n] = '\0';
		}
	}
	for (p = msg; *p == ' ' || *p == '\n'; p++)
		;
	if (*p) {
		snprintf(cap.last, sizeof(cap.last), "%.*s", (int)sizeof(cap.last) - 1,
			 strncmp(p, "libbpf: ", 8) == 0 ? p + 8 : p);
		cap.last[strcspn(cap.last, "\n")] = '\0';
		/* (libbpf warns of the memlock limit before every load without
		 * CAP_SYS_RESOURCE, whatever fails next) */
		if (!cap.first[0] && strncmp(cap.last, "Failed to bump RLIMIT_MEMLOCK", 29) != 0)
			memcpy(cap.first, cap.last, sizeof(cap.first));
	}
	free(msg);
	return 0;
}

/* libbpf's warnings are kept, not printed (TCPLENS_LIBBPF_DEBUG=1 prints
 * them too): they are the reasons a part is off. */
static void quiet_libbpf(void)
{
	libbpf_set_print(capture_print);
}

/* Why a program was refused: the verifier's last lines (without its
 * "processed N insns" summary), or libbpf's last line when the kernel never
 * saw the program (no such attach target, a CO-RE relocation). */
static void reason(char *out, size_t len)
{
	const char *begin = cap.log, *end = cap.log + strlen(cap.log);
	const char *lines[2] = { 0 };
	size_t lens[2] = { 0 };
	int k = 0;

	if (!cap.log[0]) {
		snprintf(out, len, "%s", cap.last[0] ? cap.last : "refused (no message)");
		return;
	}
	/* walk the log backwards, keeping the last two meaningful lines: the
	 * instruction refused and the verifier's complaint (not the source
	 * lines, "; ...", that BTF line info interleaves) */
	for (const char *p = end; p > begin && k < 2;) {
		const char *q = p - 1;
		while (q > begin && *(q - 1) != '\n')
			q--;
		size_t n = (size_t)(p - q);
		while (n && (q[n - 1] == '\n' || q[n - 1] == ' '))
			n--;
		if (n && strncmp(q, "processed ", 10) != 0 && strncmp(q, "verification time", 17) != 0 &&
		    strncmp(q, "stack depth", 11) != 0 && strncmp(q, "; ", 2) != 0) {
			lines[k] = q;
			lens[k] = n;
			k++;
		}
		p = q;
	}
	out[0] = '\0';
	for (int i = k - 1; i >= 0; i--) {
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%.*s", used ? " | " : "", (int)lens[i], lines[i]);
	}
	if (!out[0])
		snprintf(out, len, "%s", cap.last);
}

/* ---- the test hook ---------------------------------------------------------- */

static int test_refused(const char *part, const char *prog)
{
	const char *list = getenv("TCPLENS_TEST_REFUSE");
	char buf[512], *save = NULL;

	if (!list || !*list)
		return 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
		if (strcmp(t, part) == 0 || strcmp(t, prog) == 0)
			return 1;
	return 0;
}

/* ---- loading --------------------------------------------------------------- */

static void note(struct tl_part_state *s, const char *prog, const char *why)
{
	size_t used = strlen(s->why);
	snprintf(s->why + used, sizeof(s->why) - used, "%s%s: %s", used ? "; " : "", prog, why);
}

static int kfunc_in_kernel(const char *name)
{
	static __thread struct btf *vmlinux;
	static __thread int tried;

	if (!tried) {
		tried = 1;
		vmlinux = btf__load_vmlinux_btf();
		if (libbpf_get_error(vmlinux))
			vmlinux = NULL;
	}
	/* without BTF nothing BTF-typed loads anyway; let the kernel say so */
	return !vmlinux || btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
}

/* Moves each part's cursor past the variants that cannot load here. */
static void skip_unusable(const struct tl_part *parts, int n, struct tl_part_state *st)
{
	for (int i = 0; i < n; i++) {
		while (st[i].next < parts[i].n) {
			const struct tl_variant *v = &parts[i].variants[st[i].next];
			if (st[i].skip & (1u << st[i].next)) {
				st[i].next++;
				continue;
			}
			if (v->kfunc && !kfunc_in_kernel(v->kfunc)) {
				char why[160];
				snprintf(why, sizeof(why), "the kernel has no kfunc %s (needs %s)", v->kfunc, v->needs);
				note(&st[i], v->prog, why);
				st[i].next++;
				continue;
			}
			break;
		}
	}
}

static uint32_t refuse_mask(const struct tl_part *parts, int n, const struct tl_part_state *st)
{
	uint32_t m = 0;

	for (int i = 0; i < n; i++)
		if (st[i].next < parts[i].n) {
			const struct tl_variant *v = &parts[i].variants[st[i].next];
			if (test_refused(parts[i].name, v->prog))
				m |= 1u << v->bit;
		}
	return m;
}

/* The part whose current variant is program `name`, or -1. */
static int part_of(const struct tl_part *parts, int n, const struct tl_part_state *st, const char *name)
{
	for (int i = 0; i < n; i++)
		if (st[i].next < parts[i].n && strcmp(parts[i].variants[st[i].next].prog, name) == 0)
			return i;
	return -1;
}

/* The verifier gives up with EAGAIN when a signal is pending for the loading
 * thread (do_check() checks signal_pending() as it goes): a profiler's
 * SIGPROF every millisecond (node --cpu-prof), or any signal under load,
 * made parts fall back or turn off. libbpf retries BPF_PROG_LOAD five times
 * at once, which a periodic signal defeats; so the asynchronous signals are
 * held back during the load (they are delivered right after it), and a load
 * that still answers EAGAIN is tried again, a few times, each counted. */
#define TL_LOAD_EAGAIN_TRIES 4
static uint64_t eagain_retries; /* every view's loads, since the process started */

uint64_t tl_parts_eagain_retries(void)
{
	return __atomic_load_n(&eagain_retries, __ATOMIC_RELAXED);
}

static int load_quietly(const struct tl_parts_ops *ops, void *view)
{
	sigset_t all, old;
	int rc, e;

	sigfillset(&all);
	/* faults are synchronous: holding them back would kill the process */
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGTRAP);
	sigdelset(&all, SIGABRT);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = ops->load(view);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return rc;
}

/* One attempt: open, choose the programs, load. 0, or the failing part's
 * index + 1 (its variant refused), or -errno for the object itself. */
static int attempt(const struct tl_part *parts, int n, struct tl_part_state *st, const struct tl_parts_ops *ops,
		   void *view, struct bpf_object **objp, char *err, size_t errlen)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	int rc, culprit;

	capture_reset();
	obj = *objp = ops->open(view, refuse_mask(parts, n, st));
	if (!obj) {
		rc = errno ? -errno : -EINVAL;
		snprintf(err, errlen, "open: %s%s%s", strerror(-rc), cap.first[0] ? ": " : "", cap.first);
		return rc;
	}
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, part_of(parts, n, st, bpf_program__name(p)) >= 0);
	rc = load_quietly(ops, view);
	if (rc == 0)
		return 0;
	rc = rc < -1 ? rc : (errno ? -errno : -EINVAL);
	if (rc == -EAGAIN)
		return rc; /* interrupted, not refused: the caller tries again */
	culprit = cap.culprit[0] ? part_of(parts, n, st, cap.culprit) : -1;
	if (culprit < 0) {
		snprintf(err, errlen, "load: %s%s%s", strerror(-rc), cap.first[0] ? ": " : "", cap.first);
		return rc;
	}
	{
		char why[TL_PART_WHY / 2], line[TL_PART_WHY / 2 + 64];
		reason(why, sizeof(why));
		snprintf(line, sizeof(line), "refused (%s): %s", strerror(-rc), why);
		note(&st[culprit], parts[culprit].variants[st[culprit].next].prog, line);
	}
	return culprit + 1;
}

void tl_parts_detach(struct tl_part_state *st, int n)
{
	for (int i = 0; i < n; i++) {
		bpf_link__destroy(st[i].link);
		st[i].link = NULL;
	}
}

int tl_parts_load(const struct tl_part *parts, int n, struct tl_part_state *st, const struct tl_parts_ops *ops,
		  void *view, char *err, size_t errlen)
{
	int tries = 0, up = 0, rc = 0, eagain = 0;

	quiet_libbpf();

	for (int i = 0; i < n; i++) {
		st[i].variant = -1;
		st[i].next = 0;
		st[i].link = NULL;
	}
	for (;;) {
		struct bpf_object *obj = NULL;
		int todo = 0, again = 0;

		skip_unusable(parts, n, st);
		for (int i = 0; i < n; i++)
			todo += st[i].next < parts[i].n;
		if (!todo)
			break; /* every part off: nothing to load */
		/* each refusal removes one variant: bounded by their number */
		if (++tries > 64) {
			rc = -ELOOP;
			snprintf(err, errlen, "load: gave up after %d attempts", tries - 1);
			break;
		}
		rc = attempt(parts, n, st, ops, view, &obj, err, errlen);
		if (rc == -EAGAIN && ++eagain <= TL_LOAD_EAGAIN_TRIES) {
			__atomic_add_fetch(&eagain_retries, 1, __ATOMIC_RELAXED);
			ops->destroy(view);
			tries--; /* not a refusal: does not use up the attempts */
			rc = 0;
			continue;
		}
		if (rc == -EAGAIN) {
			/* still interrupted: the part whose program it was falls back, saying why */
			int culprit = cap.culprit[0] ? part_of(parts, n, st, cap.culprit) : -1;
			if (culprit >= 0) {
				note(&st[culprit], parts[culprit].variants[st[culprit].next].prog,
				     "refused (Resource temporarily unavailable): the verifier was interrupted on "
				     "every try");
				st[culprit].next++;
				ops->destroy(view);
				rc = 0;
				continue;
			}
			snprintf(err, errlen, "load: %s%s%s", strerror(EAGAIN), cap.first[0] ? ": " : "", cap.first);
		}
		if (rc < 0)
			break;
		if (rc > 0) {
			st[rc - 1].next++;
			ops->destroy(view);
			rc = 0;
			continue;
		}
		/* loaded: attach each part on its own */
		for (int i = 0; i < n && !again; i++) {
			const struct tl_variant *v;
			struct bpf_program *p;

			if (st[i].next >= parts[i].n)
				continue;
			v = &parts[i].variants[st[i].next];
			capture_reset();
			p = bpf_object__find_program_by_name(obj, v->prog);
			st[i].link = p ? bpf_program__attach(p) : NULL;
			if (!st[i].link) {
				int e = p ? errno : ENOENT;
				char line[TL_PART_WHY / 2];
				snprintf(line, sizeof(line), "attach failed: %s%s%s", strerror(e),
					 cap.last[0] ? ": " : "", cap.last);
				note(&st[i], v->prog, line);
				st[i].next++;
				/* a later variant exists: load again without this one */
				if (st[i].next < parts[i].n)
					again = 1;
			}
		}
		if (again) {
			tl_parts_detach(st, n);
			ops->destroy(view);
			continue;
		}
		break;
	}
	if (rc < 0) {
		tl_parts_detach(st, n);
		ops->destroy(view);
		return rc;
	}
	for (int i = 0; i < n; i++) {
		st[i].variant = st[i].link ? st[i].next : -1;
		up += st[i].link != NULL;
	}
	if (!up)
		ops->destroy(view);
	return up;
}

void tl_parts_info(const struct tl_part *parts, const struct tl_part_state *st, int n, struct tl_part_info *out)
{
	for (int i = 0; i < n; i++) {
		out[i].part = parts[i].name;
		out[i].up = st[i].variant >= 0;
		out[i].prog = out[i].up ? parts[i].variants[st[i].variant].prog : "";
		snprintf(out[i].why, sizeof(out[i].why), "%s", st[i].why);
	}
}


int tl_parts_opened(const struct tl_part *parts, const struct tl_part_state *st, int n, int rc, const char *err,
		    struct tl_part_info *out)
{
	if (out) {
		tl_parts_info(parts, st, n, out);
		if (rc < 0)
			tl_parts_fail_all(out, n, err);
	}
	return rc;
}

int tl_part_runs(const struct tl_part *part, const struct tl_part_state *st, struct bpf_object *obj, uint64_t *run_ns,
		 uint64_t *runs)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	const struct bpf_program *p;

	if (st->variant < 0)
		return -1;
	p = bpf_object__find_program_by_name(obj, part->variants[st->variant].prog);
	memset(&info, 0, sizeof(info));
	if (!p || bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) != 0)
		return -1;
	*run_ns = info.run_time_ns;
	*runs = info.run_cnt;
	return 0;
}

void tl_parts_unload(struct tl_part_state *st, int n, const struct tl_parts_ops *ops, void *view, int *stats_fd)
{
	tl_parts_detach(st, n);
	ops->destroy(view);
	tl_close_fd(stats_fd);
}
