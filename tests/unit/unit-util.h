/* SPDX-License-Identifier: MIT */
#pragma once
/* Small helpers shared by the unit tests (linked into every unit test
 * binary, so everything is tu_ prefixed). */
#include <stddef.h>
#include <sys/types.h>

/* Entries in /proc/self/fd (the directory's own fd included): compare two
 * counts to find a leak. */
int tu_count_fds(void);
/* One SOCK_SEQPACKET message with up to 4 fds as SCM_RIGHTS; sendmsg's
 * result, for the caller to assert in its own way (ck_assert in the test,
 * _exit in a forked peer). */
ssize_t tu_send_fds(int sock, const void *msg, size_t len, const int *fds, unsigned n_fds);
