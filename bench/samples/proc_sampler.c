// The anchor: an xcapture-v1/psn style /proc sampler over the same threads.
// Per iteration it reads /proc/PID/task/TID/stat of every thread and
// /proc/PID/task/TID/syscall; it reports what tcplens sample reports: with
// -a every thread, else the active ones (state R or D, or blocked in a
// socket syscall: the syscall's first argument is an fd whose
// /proc/PID/fd/N link says "socket:"). Prints one JSON line per iteration:
// CPU (getrusage, user + sys) and rows.
//   proc_sampler [-a] ITERATIONS
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static long read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

/* x86-64: read, write, readv, writev, connect, accept, sendto, recvfrom,
 * sendmsg, recvmsg, accept4, recvmmsg, sendmmsg (as task_sampler.bpf.h) */
static int fd_syscall(long nr)
{
	static const long nrs[] = { 0, 1, 19, 20, 42, 43, 44, 45, 46, 47, 288, 299, 307 };
	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		if (nrs[i] == nr)
			return 1;
	return 0;
}

/* "NR ARG0 ..." from a syscall file: is ARG0 a socket fd of process pid? */
static int on_socket(const char *pid, const char *sys, char *link, size_t len)
{
	char *end, path[300];
	long nr = strtol(sys, &end, 10);
	if (end == sys || !fd_syscall(nr))
		return 0;
	unsigned long fd = strtoul(end, NULL, 16);
	snprintf(path, sizeof(path), "/proc/%s/fd/%lu", pid, fd);
	ssize_t n = readlink(path, link, len - 1);
	return n > 7 && strncmp(link, "socket:", 7) == 0;
}

static double cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv)
{
	int all = argc > 2 && strcmp(argv[1], "-a") == 0;
	int iters = atoi(argv[argc - 1]);
	char path[600], buf[1024], link[64];
	for (int it = 0; it < iters; it++) {
		double c0 = cpu_ms();
		long rows = 0, tasks = 0, sum = 0;
		DIR *proc = opendir("/proc");
		struct dirent *p;
		while (proc && (p = readdir(proc))) {
			if (p->d_name[0] < '1' || p->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task", p->d_name);
			DIR *td = opendir(path);
			struct dirent *t;
			while (td && (t = readdir(td))) {
				if (t->d_name[0] < '1' || t->d_name[0] > '9')
					continue;
				snprintf(path, sizeof(path), "/proc/%s/task/%s/stat", p->d_name, t->d_name);
				if (read_file(path, buf, sizeof(buf)) < 0)
					continue;
				tasks++;
				char *rp = strrchr(buf, ')'); // comm may hold spaces and parens
				char st = rp && rp[1] ? rp[2] : '?';
				snprintf(path, sizeof(path), "/proc/%s/task/%s/syscall", p->d_name, t->d_name);
				if (read_file(path, buf, sizeof(buf)) <= 0)
					continue;
				sum += buf[0];
				if (all || st == 'R' || st == 'D' || on_socket(p->d_name, buf, link, sizeof(link)))
					rows++;
			}
			if (td)
				closedir(td);
		}
		if (proc)
			closedir(proc);
		printf("{\"iter\":%d,\"cpuMs\":%.4f,\"tasks\":%ld,\"rows\":%ld,\"check\":%ld}\n", it, cpu_ms() - c0,
		       tasks, rows, sum);
	}
	return 0;
}
