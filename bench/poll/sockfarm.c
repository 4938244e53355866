// Holds many established loopback TCP sockets for the poll benchmark.
//   sockfarm PAIRS BASEPORT LISTENERS [V6PAIRS]
// Opens LISTENERS listeners on 127.0.0.1:BASEPORT.. (and on [::1] with the
// same ports when V6PAIRS > 0), connects PAIRS pairs over them round-robin
// (V6PAIRS of them over IPv6), accepts each, prints "ready N" (N = sockets
// held, listeners included) and waits until stdin reaches EOF or a signal.
// One process holds at most RLIMIT_NOFILE's hard limit of fds, so the runner
// starts several farms with disjoint port ranges.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "sockfarm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int listener(int family, int port)
{
	int fd = socket(family, SOCK_STREAM, 0), one = 1;
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET, a->sin_port = htons(port), a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		a->sin6_family = AF_INET6, a->sin6_port = htons(port), a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die("bind");
	if (listen(fd, 4096) < 0)
		die("listen");
	return fd;
}

// Connects to a listener's address and accepts the other end right away, so
// the accept queue never overflows.
static void pair(int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(lfd, (struct sockaddr *)&ss, &len) < 0)
		die("getsockname");
	int c = socket(ss.ss_family, SOCK_STREAM, 0);
	if (c < 0)
		die("socket (raise RLIMIT_NOFILE or lower PAIRS)");
	if (connect(c, (struct sockaddr *)&ss, len) < 0)
		die("connect");
	if (accept(lfd, NULL, NULL) < 0)
		die("accept");
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: sockfarm PAIRS BASEPORT LISTENERS [V6PAIRS]\n");
		return 2;
	}
	long pairs = atol(argv[1]), base = atol(argv[2]), nl = atol(argv[3]);
	long v6 = argc > 4 ? atol(argv[4]) : 0;
	if (pairs < 0 || nl < 1 || v6 < 0 || v6 > pairs || base < 1 || base + nl > 65536) {
		fprintf(stderr, "sockfarm: bad arguments\n");
		return 2;
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM); // never outlive the runner
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max; // the hard limit cannot be raised here (no CAP_SYS_RESOURCE)
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit");
	long need = 2 * pairs + nl * (v6 ? 2 : 1) + 8;
	if ((rlim_t)need > rl.rlim_cur) {
		fprintf(stderr, "sockfarm: %ld fds needed, RLIMIT_NOFILE is %lu: use more farms\n", need,
			(unsigned long)rl.rlim_cur);
		return 1;
	}
	int *l4 = calloc(nl, sizeof(int)), *l6 = calloc(nl, sizeof(int));
	for (long i = 0; i < nl; i++) {
		l4[i] = listener(AF_INET, base + i);
		if (v6)
			l6[i] = listener(AF_INET6, base + i);
	}
	for (long i = 0; i < pairs; i++)
		pair(i < v6 ? l6[i % nl] : l4[i % nl]);
	printf("ready %ld\n", 2 * pairs + nl * (v6 ? 2 : 1));
	fflush(stdout);

	// Wait for EOF on stdin (the runner holds the other end) or a signal.
	char b[256];
	for (;;) {
		ssize_t n = read(0, b, sizeof(b));
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	return 0;
}
