/* SPDX-License-Identifier: MIT */
/* The listening socket: directory 0700, socket 0600, stale socket cleanup. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
#include "ipc/server-priv.h"

static int make_parent_dir(const char *path)
{
	char *dir = strdup(path);
	char *slash;
	int r = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		/* Only the last component: XDG_RUNTIME_DIR itself must exist. An
		 * existing directory keeps its mode (the admin may have chosen it). */
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			r = -errno;
	}
	free(dir);
	return r;
}

/* Is somebody listening on path? Then it is not stale. */
static int probe_stale(const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, r;

	if (lstat(addr->sun_path, &st) < 0)
		return errno == ENOENT ? 1 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	if (r == 0 || errno == EAGAIN)
		r = -EADDRINUSE; /* a live daemon */
	else if (errno == ECONNREFUSED)
		r = 1;
	else
		r = -errno;
	close(fd);
	return r;
}

int lf_ipc_socket_listen(const char *path, int *out_fd, struct stat *st)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	mode_t old_mask;
	int fd = -1, r;

	if (!path || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);

	r = make_parent_dir(path);
	if (r < 0)
		goto fail;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	for (int attempt = 0;; attempt++) {
		/* umask gives the socket 0600 from the start: no window. */
		old_mask = umask(0177);
		r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
		r = r < 0 ? -errno : 0;
		umask(old_mask);
		if (r != -EADDRINUSE || attempt > 0)
			break;
		r = probe_stale(&addr);
		if (r < 0)
			goto fail;
		lf_info("removing stale socket %s", path);
		if (unlink(path) < 0 && errno != ENOENT) {
			r = -errno;
			goto fail;
		}
	}
	if (r < 0)
		goto fail;
	if (listen(fd, 128) < 0 || stat(path, st) < 0) {
		r = -errno;
		unlink(path);
		goto fail;
	}
	*out_fd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return r;
}

void lf_ipc_socket_remove(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;

	/* Only our own inode: a newer daemon may have replaced it. */
	if (stat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
		unlink(path);
}
