
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>
#include "netns.h"

#define SELF_NS "/proc/thread-self/ns/net"

int64_t tl_netns_inode(const char *path)
{
	struct stat st;
	if (stat(path ? path : SELF_NS, &st) < 0)
		return -errno;
	return (int64_t)st.st_ino;
}

static int open_netlink(int protocol)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	int one = 1, rcvbuf = 1 << 20;

	if (fd < 0)
		return -errno;
	/* Bigger queue for multicast bursts; dumps need only 32 KiB. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* Extended acks make kernel errors carry a reason; harmless if absent. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return fd;
}

struct ns_job {
	int target; /* fd of the namespace to enter */
	int (*fn)(void *);
	void *arg;
	int result; /* fn's result, or -errno */
};

static void *ns_thread(void *arg)
{
	struct ns_job *j = arg;
	int home = open(SELF_NS, O_RDONLY | O_CLOEXEC);
	int rc;

	if (home < 0) {
		j->result = -errno;
		return NULL;
	}
	if (setns(j->target, CLONE_NEWNET) < 0) {
		j->result = -errno;
		close(home);
		return NULL;
	}
	j->result = j->fn(j->arg);
	/* Restore, though the thread is about to end: it keeps the rule simple
	 * (a thread leaves a namespace as it found it). */
	if (setns(home, CLONE_NEWNET) < 0) {
		rc = -errno;
		if (j->result >= 0)
			close(j->result);
		j->result = rc;
	}
	close(home);
	return NULL;
}

int tl_netns_run(const char *path, int (*fn)(void *), void *arg, uint64_t *ns_inode)
{
	struct ns_job j = { -1, fn, arg, -EINVAL };
	struct stat st;
	pthread_t t;
	int rc;

	if (!path) {
		if (stat(SELF_NS, &st) < 0)
			return -errno;
		if (ns_inode)
			*ns_inode = st.st_ino;
		return fn(arg);
	}
	j.target = open(path, O_RDONLY | O_CLOEXEC);
	if (j.target < 0)
		return -errno;
	if (fstat(j.target, &st) < 0) {
		rc = -errno;
		close(j.target);
		return rc;
	}
	rc = pthread_create(&t, NULL, ns_thread, &j);
	if (rc != 0) {
		close(j.target);
		return -rc;
	}
	pthread_join(t, NULL);
	close(j.target);
	if (j.result >= 0 && ns_inode)
		*ns_inode = st.st_ino;
	return j.result;
}

static int netlink_job(void *arg)
{
	return open_netlink(*(int *)arg);
}

int tl_netns_socket(const char *path, int protocol, uint64_t *ns_inode)
{
	return tl_netns_run(path, netlink_job, &protocol, ns_inode);
}
