/* See privdrop.h. */
#include "privdrop.h"

#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>

#define MAX_TIDS 4096

static struct {
	uint64_t keep;
	int64_t uid, gid;
	int last_cap;
	int setpcap;
	atomic_int phase;
	atomic_int done;
	atomic_int first_errno;
} g;

static void note(int err)
{
	int zero = 0;
	if (err)
		atomic_compare_exchange_strong(&g.first_errno, &zero, err);
}

/* Phase 1: the bounding and ambient sets; with a uid switch ahead, keep the
 * permitted set across it (KEEPCAPS), else set the kept capabilities now.
 * Phase 2 (after the switch): the kept capabilities as permitted and
 * effective. In the calling thread only: raw syscalls, no allocation. */
static void set_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	d[0].effective = d[0].permitted = (uint32_t)g.keep;
	d[1].effective = d[1].permitted = (uint32_t)(g.keep >> 32);
	if (syscall(SYS_capset, &h, d) != 0)
		note(errno);
}

static void apply(void)
{
	int saved = errno;
	if (atomic_load(&g.phase) == 1) {
		/* the bounding set needs CAP_SETPCAP (root has it; a service given
		 * only its ambient set has not, and cannot gain anything by exec anyway) */
		for (int c = 0; c <= g.last_cap && g.setpcap; c++) {
			if (g.keep & (1ULL << c))
				continue;
			if (syscall(SYS_prctl, PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
				note(errno);
		}
		if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
			note(errno);
		if (g.uid >= 0) {
			if (syscall(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
				note(errno);
		} else {
			set_caps();
		}
	} else {
		set_caps();
		if (syscall(SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
			note(errno);
	}
	atomic_fetch_add(&g.done, 1);
	errno = saved;
}

static void on_signal(int sig)
{
	(void)sig;
	apply();
}

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int n = 40;
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = 40;
		fclose(f);
	}
	return n > 63 ? 63 : n;
}

static int seen(const pid_t *tids, uint32_t n, pid_t t)
{
	for (uint32_t i = 0; i < n; i++)
		if (tids[i] == t)
			return 1;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs apply() for `phase` in every thread that takes the signal (waiting up
 * to timeout_ms for them), then in the caller. Returns the threads signalled. */
static int broadcast(int sig, int phase, int timeout_ms)
{
	static pid_t tids[MAX_TIDS];
	uint32_t n = 0;
	pid_t self = (pid_t)syscall(SYS_gettid), pid = getpid();
	int64_t deadline = now_ms() + timeout_ms;
	atomic_store(&g.phase, phase);
	atomic_store(&g.done, 0);
	/* rescan until a pass finds no thread not yet signalled (threads may start meanwhile) */
	for (int fresh = 1; fresh && n < MAX_TIDS;) {
		fresh = 0;
		DIR *d = opendir("/proc/self/task");
		if (!d)
			return -errno;
		struct dirent *e;
		while ((e = readdir(d)) && n < MAX_TIDS) {
			pid_t t = (pid_t)atoi(e->d_name);
			if (t <= 0 || t == self || seen(tids, n, t))
				continue;
			if (syscall(SYS_tgkill, pid, t, sig) != 0)
				continue; /* exited meanwhile */
			tids[n++] = t;
			fresh = 1;
		}
		closedir(d);
		while (atomic_load(&g.done) < (int)n && now_ms() < deadline) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	apply();
	return (int)n;
}

/* Threads whose effective set still holds more than `keep`, or whose uid is
 * not the target: counted into r, one tid kept. */
static void verify(tl_privdrop_result *r)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[64], line[160];
		snprintf(path, sizeof path, "/proc/self/task/%.20s/status", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		unsigned long long eff = 0;
		long uid = -1;
		while (fgets(line, sizeof line, f)) {
			if (sscanf(line, "Uid: %*d %ld", &uid) == 1)
				continue;
			if (sscanf(line, "CapEff: %llx", &eff) == 1)
				break;
		}
		fclose(f);
		r->threads++;
		if ((eff & ~g.keep) || (g.uid >= 0 && uid != g.uid)) {
			r->unreached++;
			r->unreached_tid = (uint32_t)atoi(e->d_name);
		}
	}
	closedir(d);
}

int tl_privdrop(uint64_t keep, int64_t uid, int64_t gid, int timeout_ms, tl_privdrop_result *r)
{
	memset(r, 0, sizeof *r);
	g.keep = keep;
	g.uid = uid;
	g.gid = gid;
	g.last_cap = last_cap();
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	if (syscall(SYS_capget, &h, d) != 0)
		return -errno;
	g.setpcap = (d[0].effective >> CAP_SETPCAP) & 1;
	atomic_store(&g.first_errno, 0);
	/* installed for good: a thread with the signal blocked gets it when it
	 * unblocks, and the default action of a real-time signal is to exit */
	int sig = SIGRTMAX - 2;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		return -errno;
	int n = broadcast(sig, 1, timeout_ms);
	if (n < 0)
		return n;
	r->reached = (uint32_t)atomic_load(&g.done);
	if (uid >= 0 && !atomic_load(&g.first_errno)) {
		/* glibc's wrappers change every thread (their signal cannot be
		 * blocked): a thread our signal did not reach still switches user,
		 * and without KEEPCAPS loses every capability */
		if (setgroups(0, NULL) != 0 || setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0 ||
		    setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0)
			note(errno);
		else if (broadcast(sig, 2, timeout_ms) < 0)
			note(errno);
	}
	verify(r);
	r->first_errno = atomic_load(&g.first_errno);
	return r->first_errno ? -r->first_errno : 0;
}
