// The bench workload: N threads, R of them blocked in recv() on their own
// loopback connection, the rest asleep on a condition variable (futex).
// Prints "ready <pid> <threads>" once every thread is in place; exits when
// stdin reaches EOF (the runner's fifo closes, or the runner dies).
//   threadfarm THREADS RECV
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static pthread_cond_t started_cv = PTHREAD_COND_INITIALIZER;
static int started;

static void mark_started(void)
{
	pthread_mutex_lock(&mu);
	started++;
	pthread_cond_signal(&started_cv);
	pthread_mutex_unlock(&mu);
}

static void *sleeper(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "farm-sleep");
	pthread_mutex_lock(&mu);
	started++;
	pthread_cond_signal(&started_cv);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return NULL;
}

static void *receiver(void *arg)
{
	int fd = (int)(long)arg;
	char c;
	pthread_setname_np(pthread_self(), "farm-recv");
	mark_started();
	for (;;)
		if (recv(fd, &c, 1, 0) <= 0)
			break; // the peer never writes
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000, r = argc > 2 ? atoi(argv[2]) : n / 2;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int lst = socket(AF_INET, SOCK_STREAM, 0);
	pthread_attr_t attr;
	pthread_t t;
	if (lst < 0 || bind(lst, (struct sockaddr *)&a, sizeof(a)) || listen(lst, 4096) ||
	    getsockname(lst, (struct sockaddr *)&a, &al)) {
		perror("listen");
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10); // 2,000 default 8 MiB stacks are only virtual, but keep it small
	for (int i = 0; i < n; i++) {
		if (i < r) {
			int c = socket(AF_INET, SOCK_STREAM, 0), s;
			if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) ||
			    (s = accept(lst, NULL, NULL)) < 0) {
				perror("pair");
				return 1;
			}
			if (pthread_create(&t, &attr, receiver, (void *)(long)s)) {
				perror("thread");
				return 1;
			}
		} else if (pthread_create(&t, &attr, sleeper, NULL)) {
			perror("thread");
			return 1;
		}
	}
	pthread_mutex_lock(&mu);
	while (started < n)
		pthread_cond_wait(&started_cv, &mu);
	pthread_mutex_unlock(&mu);
	usleep(100000); // let the receivers get into recv()
	printf("ready %d %d\n", getpid(), n);
	fflush(stdout);
	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0) {
	}
	return 0;
}
