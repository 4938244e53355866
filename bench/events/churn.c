// Loopback connection churn at the top rate one process can drive: for each
// connection, connect, accept, a 64-byte request and a 64-byte reply, close.
// The server closes first, so TIME_WAIT lands on the listener's side and the
// client's ephemeral ports never run out.
//   churn N [PORT]  -> one JSON line: conns, wall_s, user_s, sys_s, conn_per_s
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void full(int fd, char *buf, size_t n, int rd)
{
	for (size_t k = 0; k < n;) {
		ssize_t r = rd ? read(fd, buf + k, n - k) : write(fd, buf + k, n - k);
		if (r <= 0)
			die(rd ? "read" : "write");
		k += (size_t)r;
	}
}

static double secs(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;
	int port = argc > 2 ? atoi(argv[2]) : 0, one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	char buf[64];
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 128) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &alen) < 0)
		die("listen");
	memset(buf, 'x', sizeof(buf));
	struct timespec t0, t1;
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0)
			die("socket");
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
			die("connect");
		int s = accept(ls, NULL, NULL);
		if (s < 0)
			die("accept");
		full(c, buf, sizeof(buf), 0);
		full(s, buf, sizeof(buf), 1);
		full(s, buf, sizeof(buf), 0);
		full(c, buf, sizeof(buf), 1);
		close(s);
		if (read(c, buf, 1) != 0)
			die("expected EOF");
		close(c);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &r1);
	double wall = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("{\"conns\":%ld,\"wall_s\":%.6f,\"user_s\":%.6f,\"sys_s\":%.6f,\"conn_per_s\":%.1f}\n", n, wall,
	       secs(r1.ru_utime) - secs(r0.ru_utime), secs(r1.ru_stime) - secs(r0.ru_stime), n / wall);
	return 0;
}
