// Runs one command and prints its resource usage as one JSON line on stdout:
// wait4() gives the rusage of exactly that child (and any descendants it
// waited for), so the wrapper's own cost is excluded.
//   rusage [-n NETNS] [-o OUT] [-e ERR] -- CMD ARGS...
// -n enters /run/netns/NETNS in the child before exec (no `ip` process, no
// mount-namespace work counted); -o/-e redirect the child's stdout/stderr.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void redirect(const char *path, int target)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dup2(fd, target) < 0) {
		perror(path);
		_exit(126);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	const char *ns = NULL, *out = NULL, *err = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "+n:o:e:")) != -1) {
		if (opt == 'n')
			ns = optarg;
		else if (opt == 'o')
			out = optarg;
		else if (opt == 'e')
			err = optarg;
		else
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: rusage [-n NETNS] [-o OUT] [-e ERR] -- CMD ARGS...\n");
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		if (ns) {
			char path[512];
			snprintf(path, sizeof(path), "/run/netns/%s", ns);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
				perror(path);
				_exit(126);
			}
			close(fd);
		}
		if (out)
			redirect(out, 1);
		if (err)
			redirect(err, 2);
		execvp(argv[optind], argv + optind);
		perror(argv[optind]);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long wall = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("{\"user_us\":%lld,\"sys_us\":%lld,\"wall_us\":%lld,\"maxrss_kb\":%ld,\"exit\":%d}\n",
	       (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
	       (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec, wall, ru.ru_maxrss, code);
	return 0;
}
