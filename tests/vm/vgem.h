/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The few vgem/DRM calls the VM tests need: dumb buffers exported as dmabufs
 * and vgem fences attached to them. Debian's libdrm-dev has no vgem_drm.h,
 * so the two vgem ioctls are spelled out here (include/uapi/drm/vgem_drm.h).
 */
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <drm.h>
#include <drm_mode.h>

struct vgem_fence_attach {
	uint32_t handle;
	uint32_t flags;     /* VGEM_FENCE_WRITE: a writer's (exclusive) fence */
	uint32_t out_fence;
	uint32_t pad;
};
struct vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};
#define VGEM_FENCE_WRITE 0x1
#define VGEM_IOCTL_FENCE_ATTACH DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vgem_fence_attach)
#define VGEM_IOCTL_FENCE_SIGNAL DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vgem_fence_signal)

static inline int vgem_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

/* A width x height x 32 bpp dumb buffer; handle, pitch and size out. */
static inline int vgem_dumb_create(int drm, uint32_t width, uint32_t height,
				   uint32_t *handle, uint32_t *pitch, uint64_t *size)
{
	struct drm_mode_create_dumb c = { .width = width, .height = height, .bpp = 32 };
	int r = vgem_ioctl(drm, DRM_IOCTL_MODE_CREATE_DUMB, &c);

	if (r < 0)
		return r;
	*handle = c.handle;
	*pitch = c.pitch;
	*size = c.size;
	return 0;
}

/* A dmabuf fd (O_CLOEXEC, read-write so it can be mmapped for writing). */
static inline int vgem_export(int drm, uint32_t handle)
{
	struct drm_prime_handle p = { .handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR, .fd = -1 };
	int r = vgem_ioctl(drm, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);

	return r < 0 ? r : p.fd;
}

/* Attach an unsignalled fence; returns its id for vgem_fence_signal. */
static inline int vgem_fence_attach(int drm, uint32_t handle, uint32_t flags, uint32_t *fence)
{
	struct vgem_fence_attach a = { .handle = handle, .flags = flags };
	int r = vgem_ioctl(drm, VGEM_IOCTL_FENCE_ATTACH, &a);

	if (r < 0)
		return r;
	*fence = a.out_fence;
	return 0;
}

static inline int vgem_fence_signal(int drm, uint32_t fence)
{
	struct vgem_fence_signal s = { .fence = fence };
	return vgem_ioctl(drm, VGEM_IOCTL_FENCE_SIGNAL, &s);
}
