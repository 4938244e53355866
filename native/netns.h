/* Sockets inside other network namespaces. */
#ifndef TCPLENS_NETNS_H
#define TCPLENS_NETNS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opens socket(AF_NETLINK, SOCK_RAW, protocol) inside the network namespace
 * at `path` (a /proc/PID/ns/net or /run/netns/NAME file; NULL = our own).
 * A dedicated short-lived thread enters the namespace, creates the socket
 * and restores its namespace before it exits, so no other thread ever
 * changes namespace. The socket stays bound to that namespace for its
 * life. On success returns the fd and sets *ns_inode; else -errno. */
int tl_netns_socket(const char *path, int protocol, uint64_t *ns_inode);

/* Runs fn(arg) inside the network namespace at `path` (NULL = our own, on
 * this thread) on a dedicated short-lived thread, as tl_netns_socket does:
 * fn returns an fd (kept bound to that namespace: a socket, an iterator) or
 * -errno. Returns fn's result; sets *ns_inode (may be NULL) on success. */
int tl_netns_run(const char *path, int (*fn)(void *), void *arg, uint64_t *ns_inode);

/* Inode of the namespace at path (NULL = our own), or -errno. */
int64_t tl_netns_inode(const char *path);

#ifdef __cplusplus
}
#endif
#endif
