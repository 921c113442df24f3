/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * fence/ internal seam: the one kernel call the waiter makes, behind a tiny
 * ops table so unit tests can stand in fake sync_files (eventfds, pipes) and
 * fake errors (ENOTTY, EBADF) without a DRM device. Not a shared interface.
 */
#include "fence/fence.h"

struct lf_fence_kernel_ops {
	/* Export the implicit fences a reader of dmabuf_fd must wait for, as a
	 * new O_CLOEXEC sync_file fd owned by the caller; -errno on failure. */
	int (*export_sync_file)(void *data, int dmabuf_fd);
};

/* DMA_BUF_IOCTL_EXPORT_SYNC_FILE(DMA_BUF_SYNC_READ). */
int lf_fence_export_sync_file(int dmabuf_fd);

/* Replace the kernel ops (NULL restores the real ioctl). */
void lf_fence_waiter_set_kernel_ops(struct lf_fence_waiter *w,
				    const struct lf_fence_kernel_ops *ops, void *data);
