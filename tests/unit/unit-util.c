/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tests/unit/unit-util.h"

#define TU_MAX_FDS 4

int tu_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -errno;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

ssize_t tu_send_fds(int sock, const void *msg, size_t len, const int *fds, unsigned n_fds)
{
	union { char buf[CMSG_SPACE(sizeof(int) * TU_MAX_FDS)]; struct cmsghdr a; } ctl;
	struct iovec iov = { (void *)msg, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (n_fds > TU_MAX_FDS)
		return -E2BIG;
	memset(&ctl, 0, sizeof(ctl));
	if (n_fds) {
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL);
}
