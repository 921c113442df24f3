/* SPDX-License-Identifier: MIT */
#include "tests/testsrc/vgem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>

/* Debian's libdrm-dev has no vgem_drm.h; these are the kernel's UAPI
 * (include/uapi/drm/vgem_drm.h). */
struct ts_vgem_fence_attach {
	uint32_t handle;
	uint32_t flags;
	uint32_t out_fence;
	uint32_t pad;
};
struct ts_vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};
#define TS_VGEM_FENCE_WRITE 0x1
#define TS_IOCTL_VGEM_FENCE_ATTACH DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct ts_vgem_fence_attach)
#define TS_IOCTL_VGEM_FENCE_SIGNAL DRM_IOWR(DRM_COMMAND_BASE + 0x2, struct ts_vgem_fence_signal)

struct ts_vgem {
	int fd;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && (errno == EINTR || errno == EAGAIN));
	return r < 0 ? -errno : 0;
}

static int check_driver(int fd)
{
	struct drm_version ver;
	char name[32] = "";
	int r;

	memset(&ver, 0, sizeof(ver));
	ver.name = name;
	ver.name_len = sizeof(name) - 1;
	r = xioctl(fd, DRM_IOCTL_VERSION, &ver);
	if (r < 0)
		return r;
	return strcmp(name, "vgem") == 0 ? 0 : -ENODEV;
}

int ts_vgem_open(struct ts_vgem **out, const char **why)
{
	const char *node = getenv("LF_TESTSRC_VGEM_NODE");
	struct ts_vgem *v;
	int fd, r;

	if (!node || !*node)
		node = "/dev/dri/card0";
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		*why = "cannot open the vgem node (/dev/dri/card0; --vgem runs inside the test VM)";
		return r;
	}
	r = check_driver(fd);
	if (r < 0) {
		*why = "the DRM node is not driven by vgem";
		goto fail;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		r = -ENOMEM;
		*why = "out of memory";
		goto fail;
	}
	v->fd = fd;
	*out = v;
	return 0;
fail:
	close(fd);
	return r;
}

void ts_vgem_close(struct ts_vgem *v)
{
	if (!v)
		return;
	close(v->fd);
	free(v);
}

int ts_vgem_bo_create(struct ts_vgem *v, uint32_t width, uint32_t height, uint32_t bpp,
		      struct ts_vgem_bo *bo)
{
	struct drm_mode_create_dumb create = { .width = width, .height = height, .bpp = bpp };
	struct drm_prime_handle prime;
	struct drm_gem_close gclose;
	void *map;
	int r;

	memset(bo, 0, sizeof(*bo));
	bo->fd = -1;
	r = xioctl(v->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create);
	if (r < 0)
		return r;
	memset(&prime, 0, sizeof(prime));
	prime.handle = create.handle;
	prime.flags = DRM_CLOEXEC | DRM_RDWR;
	r = xioctl(v->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime);
	if (r < 0)
		goto fail_handle;
	map = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED, prime.fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		close(prime.fd);
		goto fail_handle;
	}
	bo->handle = create.handle;
	bo->fd = prime.fd;
	bo->map = map;
	bo->size = create.size;
	bo->pitch = create.pitch;
	return 0;

fail_handle:
	memset(&gclose, 0, sizeof(gclose));
	gclose.handle = create.handle;
	xioctl(v->fd, DRM_IOCTL_GEM_CLOSE, &gclose);
	return r;
}

void ts_vgem_bo_destroy(struct ts_vgem *v, struct ts_vgem_bo *bo)
{
	struct drm_gem_close gclose;

	if (bo->map)
		munmap(bo->map, bo->size);
	if (bo->fd >= 0)
		close(bo->fd);
	if (bo->handle) {
		memset(&gclose, 0, sizeof(gclose));
		gclose.handle = bo->handle;
		xioctl(v->fd, DRM_IOCTL_GEM_CLOSE, &gclose);
	}
	memset(bo, 0, sizeof(*bo));
	bo->fd = -1;
}

int ts_vgem_fence_attach(struct ts_vgem *v, const struct ts_vgem_bo *bo, uint32_t *fence)
{
	struct ts_vgem_fence_attach a = { .handle = bo->handle, .flags = TS_VGEM_FENCE_WRITE };
	int r = xioctl(v->fd, TS_IOCTL_VGEM_FENCE_ATTACH, &a);

	if (r < 0)
		return r;
	*fence = a.out_fence;
	return 0;
}

int ts_vgem_fence_signal(struct ts_vgem *v, uint32_t fence)
{
	struct ts_vgem_fence_signal s = { .fence = fence };

	return xioctl(v->fd, TS_IOCTL_VGEM_FENCE_SIGNAL, &s);
}
