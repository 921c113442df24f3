/* SPDX-License-Identifier: MIT */
#pragma once
#include "daemon/options.h"

/* systemd socket activation: *out_fd is the one listening AF_UNIX
 * SOCK_SEQPACKET socket systemd passed, or -1 when it passed none. */
int lf_daemon_socket_from_systemd(int *out_fd);
/* Fill c->socket_path unless given: $LASTFRAME_SOCKET, else
 * $XDG_RUNTIME_DIR/lastframe/socket. */
int lf_daemon_socket_path(struct lf_config *c);
