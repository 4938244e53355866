// Holds PAIRS loopback TCP connections that keep talking, so that their
// tcp_info counters move between two polls as on a busy host (idle sockets
// compress to almost nothing in ClickHouse and would flatter the sizing).
//   chatter PAIRS PORT [PERIOD_MS]
// Listens on 127.0.0.1:PORT, connects PAIRS pairs, prints "ready N" (sockets
// held, listener included), then every PERIOD_MS (default 1000) each client
// sends 64 bytes and its peer reads them, spread over the period in ten
// slices. Exits when stdin reaches EOF or on a signal.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <signal.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "chatter: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: chatter PAIRS PORT [PERIOD_MS]\n");
		return 2;
	}
	int pairs = atoi(argv[1]), port = atoi(argv[2]), period = argc > 3 ? atoi(argv[3]) : 1000;
	if (pairs < 1 || port < 1 || port > 65535 || period < 10) {
		fprintf(stderr, "chatter: PAIRS >= 1, PORT 1-65535, PERIOD_MS >= 10\n");
		return 2;
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(lfd, 4096) < 0)
		die("listen");

	int *cli = calloc(pairs, sizeof(int)), *srv = calloc(pairs, sizeof(int));
	if (!cli || !srv)
		die("calloc");
	for (int i = 0; i < pairs; i++) {
		cli[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (cli[i] < 0)
			die("socket");
		if (connect(cli[i], (struct sockaddr *)&a, sizeof(a)) < 0)
			die("connect");
		srv[i] = accept(lfd, NULL, NULL);
		if (srv[i] < 0)
			die("accept");
	}
	printf("ready %d\n", 2 * pairs + 1);
	fflush(stdout);

	char msg[64], buf[4096];
	memset(msg, 'x', sizeof(msg));
	struct pollfd in = { .fd = 0, .events = POLLIN };
	for (unsigned slice = 0;; slice = (slice + 1) % 10) {
		for (int i = (int)slice; i < pairs; i += 10) {
			if (send(cli[i], msg, sizeof(msg), MSG_DONTWAIT) < 0 && errno != EAGAIN)
				die("send");
			while (recv(srv[i], buf, sizeof(buf), MSG_DONTWAIT) > 0) {
			}
		}
		// stdin: EOF (or an error) ends the run; otherwise this is the slice's sleep
		int r = poll(&in, 1, period / 10);
		if (r > 0 && read(0, buf, sizeof(buf)) <= 0)
			return 0;
		if (r < 0 && errno != EINTR)
			die("poll");
	}
}
