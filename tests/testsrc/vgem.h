/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Real dmabufs with real implicit fences, from the vgem driver (inside the
 * test VM: the host has no /dev/dri). A dumb buffer exported with PRIME is a
 * dmabuf; a vgem write fence attached to it keeps DMA_BUF_IOCTL_EXPORT_SYNC_FILE
 * readers waiting until we signal it (or vgem's own 10 s timeout).
 */
#include <stddef.h>
#include <stdint.h>

struct ts_vgem;

struct ts_vgem_bo {
	uint32_t handle;  /* GEM handle on the vgem fd */
	int fd;           /* dmabuf, owned */
	uint8_t *map;     /* mmap of the dmabuf */
	size_t size;
	uint32_t pitch;
};

/* Opens /dev/dri/card0 (or $LF_TESTSRC_VGEM_NODE) and checks it is vgem. */
int ts_vgem_open(struct ts_vgem **out, const char **why);
void ts_vgem_close(struct ts_vgem *v);
/* width x height pixels of bpp bits (8 or 32). */
int ts_vgem_bo_create(struct ts_vgem *v, uint32_t width, uint32_t height, uint32_t bpp,
		      struct ts_vgem_bo *bo);
void ts_vgem_bo_destroy(struct ts_vgem *v, struct ts_vgem_bo *bo);
/* Attach an unsignalled write fence; -EBUSY while an earlier one is pending. */
int ts_vgem_fence_attach(struct ts_vgem *v, const struct ts_vgem_bo *bo, uint32_t *fence);
int ts_vgem_fence_signal(struct ts_vgem *v, uint32_t fence);
