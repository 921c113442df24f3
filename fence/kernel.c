/* SPDX-License-Identifier: MIT */
#include "fence/fence-kernel.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <linux/dma-buf.h>

#ifndef DMA_BUF_IOCTL_EXPORT_SYNC_FILE
/* Linux 6.0; spelled out so we build against older headers too. */
struct dma_buf_export_sync_file {
	__u32 flags;
	__s32 fd;
};
#define DMA_BUF_IOCTL_EXPORT_SYNC_FILE _IOWR(DMA_BUF_BASE, 2, struct dma_buf_export_sync_file)
#endif

_Static_assert(DMA_BUF_IOCTL_EXPORT_SYNC_FILE == 0xC0086202, "EXPORT_SYNC_FILE number");

int lf_fence_export_sync_file(int dmabuf_fd)
{
	/* READ: we only read the buffer, so only the writers' fences matter. */
	struct dma_buf_export_sync_file arg = { .flags = DMA_BUF_SYNC_READ, .fd = -1 };
	int r;

	if (dmabuf_fd < 0)
		return -EBADF;
	do {
		r = ioctl(dmabuf_fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	/* The kernel allocates the fd with O_CLOEXEC. */
	return arg.fd;
}
