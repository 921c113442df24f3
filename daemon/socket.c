/* SPDX-License-Identifier: MIT */
/* Where the daemon listens: a socket systemd hands over, or its own path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <systemd/sd-daemon.h>

#include "base/log.h"
#include "daemon/socket.h"

/* systemd socket activation: exactly one listening AF_UNIX SOCK_SEQPACKET
 * socket, or none (then the server makes its own). */
int lf_daemon_socket_from_systemd(int *out_fd)
{
	int n, fd = SD_LISTEN_FDS_START, r;

	*out_fd = -1;
	n = sd_listen_fds(1);
	if (n < 0) {
		lf_err("invalid socket activation variables (LISTEN_FDS/LISTEN_PID): %s", strerror(-n));
		return n;
	}
	if (n == 0)
		return 0;
	if (n > 1) {
		lf_err("systemd passed %d sockets; lastframed.socket must have exactly one ListenSequentialPacket=", n);
		return -EINVAL;
	}
	r = sd_is_socket(fd, AF_UNIX, SOCK_SEQPACKET, 1);
	if (r <= 0) {
		lf_err("the socket systemd passed is not a listening AF_UNIX SOCK_SEQPACKET socket%s%s",
		       r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
		return r < 0 ? r : -EINVAL;
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		r = -errno;
		lf_err("cannot set FD_CLOEXEC on the activation socket: %s", strerror(-r));
		return r;
	}
	*out_fd = fd;
	return 0;
}

int lf_daemon_socket_path(struct lf_config *c)
{
	const char *env = getenv("LASTFRAME_SOCKET");
	const char *rt = getenv("XDG_RUNTIME_DIR");
	int n;

	if (c->socket_path[0])
		return 0;
	if (env && *env)
		n = snprintf(c->socket_path, sizeof(c->socket_path), "%s", env);
	else if (rt && *rt == '/')
		n = snprintf(c->socket_path, sizeof(c->socket_path), "%s/lastframe/socket", rt);
	else {
		lf_err("XDG_RUNTIME_DIR is not set and neither --socket nor $LASTFRAME_SOCKET given");
		return -EINVAL;
	}
	if (n < 0 || (size_t)n >= sizeof(c->socket_path)) {
		lf_err("socket path too long");
		return -ENAMETOOLONG;
	}
	return 0;
}
