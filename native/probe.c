
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <bpf/bpf.h>
#include "probe.h"

static int listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), mark = 1;

	if (fd < 0)
		return -errno;
	/* A mark makes INET_DIAG_MARK worth reporting; setting it needs
	 * CAP_NET_ADMIN too, and the kernel sends the attribute (even 0) only to
	 * readers with CAP_NET_ADMIN, which is what we probe. */
	setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*port = a.sin_port; /* network byte order */
	return fd;
}

int tl_probe_diag_one(uint32_t *attrs)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[8192];
	uint16_t port = 0;
	int lfd, nfd, rc = -ENOENT;
	ssize_t n;

	lfd = listener(&port);
	if (lfd < 0)
		return lfd;
	nfd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nfd < 0) {
		rc = -errno;
		close(lfd);
		return rc;
	}
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = 1;
	req.r.sdiag_family = AF_INET;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_ext = 0xff;
	req.r.idiag_states = ~0u;
	req.r.id.idiag_sport = port;
	req.r.id.idiag_src[0] = htonl(INADDR_LOOPBACK);
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

	if (sendto(nfd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(nfd, buf, sizeof(buf), 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	{
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		if (!NLMSG_OK(h, (size_t)n)) {
			rc = -EPROTO;
		} else if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);
			rc = e->error ? e->error : -ENOENT;
		} else if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
			   h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *a = (struct rtattr *)(m + 1);
			int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
			*attrs = 0;
			for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
				if (a->rta_type < 32)
					*attrs |= 1u << a->rta_type;
			rc = 0;
		} else {
			rc = -EPROTO;
		}
	}
out:
	close(nfd);
	close(lfd);
	return rc;
}

/* A TCP socket made and closed here: its destroy message proves delivery. */
static int close_a_tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int tl_probe_destroy_groups(void)
{
	int groups[2] = { SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG), i, rc = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };

	if (fd < 0)
		return -errno;
	/* bound (a port id of its own): the kernel's broadcasts carry port id 0 and
	 * skip an unbound socket, whose id is 0 too */
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		rc = -errno;
	for (i = 0; i < 2 && rc == 0; i++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(int)) < 0)
			rc = -errno;
	/* Joined is not yet delivered (an unbound socket joins and gets nothing;
	 * an LSM may filter): "ok" is a message received. The kernel sends from a
	 * workqueue; any socket's destroy message will do. */
	if (rc == 0)
		rc = close_a_tcp_socket();
	if (rc == 0) {
		do
			rc = poll(&p, 1, TL_DESTROY_PROBE_MS);
		while (rc < 0 && errno == EINTR);
		rc = rc > 0 ? 0 : rc < 0 ? -errno : -ENOMSG;
	}
	close(fd);
	return rc;
}

int tl_probe_bpf_load(void)
{
	/* r0 = 0; exit */
	struct bpf_insn prog[2] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* BPF_ALU64 | BPF_MOV | BPF_K */
		{ .code = 0x95 },			  /* BPF_JMP | BPF_EXIT */
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "tl_probe", "GPL", prog, 2, NULL);

	if (fd < 0)
		return fd < -1 ? fd : -errno;
	close(fd);
	return 0;
}

struct setns_job {
	const char *path;
	int rc;
};

static void *setns_thread(void *arg)
{
	struct setns_job *j = arg;
	int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(j->path, O_RDONLY | O_CLOEXEC);

	if (home < 0 || target < 0)
		j->rc = -errno;
	else if (setns(target, CLONE_NEWNET) < 0)
		j->rc = -errno;
	else
		j->rc = setns(home, CLONE_NEWNET) < 0 ? -errno : 0;
	if (home >= 0)
		close(home);
	if (target >= 0)
		close(target);
	return NULL;
}

int tl_probe_setns(const char *path)
{
	struct setns_job j = { path, -EINVAL };
	pthread_t t;
	int rc = pthread_create(&t, NULL, setns_thread, &j);

	if (rc != 0)
		return -rc;
	pthread_join(t, NULL);
	return j.rc;
}
