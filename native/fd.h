/* A file descriptor we own, closed once and marked closed (-1). */
#ifndef TCPLENS_FD_H
#define TCPLENS_FD_H

#include <unistd.h>

static inline void tl_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

#endif
