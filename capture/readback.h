/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * GPU readback: turn a dmabuf the CPU cannot read linearly (tiled, or an
 * implicit layout) into linear pixels in memory the caller owns (a slot of
 * the daemon's memfd pool). EGL imports the dmabuf on the same device the
 * modifier query and the import probe use, a shader copies it into an FBO
 * (swizzling to the buffer's byte order) and glReadPixels writes the rows
 * with the destination's stride.
 *
 * All GL work runs on a worker thread that owns only the GL context; the
 * caller's pw_loop learns of a finished job through an eventfd (the one
 * exception the daemon's one-loop design allows). One job at a time:
 * the daemon only ever wants the newest frame read back.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pipewire/pipewire.h>

#include "base/frame.h"

struct lf_readback;

struct lf_readback_options {
	const char *render_node; /* NULL: the first hardware EGL device */
	/* Texture-fed use (tests, benchmarks): any device with a GL ES 3
	 * context will do, llvmpipe included, and dmabuf import is optional. */
	bool texture_only;
	/* With texture_only: a hardware device or nothing (GPU checks). A
	 * hardware device is always tried before a software one. */
	bool require_hardware;
};

/* What to read: a dmabuf (fds borrowed until the job is done), or for
 * texture-fed use a texture made with lf_readback_test_texture(). */
struct lf_readback_src {
	uint32_t fourcc, width, height;
	uint64_t modifier;           /* DRM_FORMAT_MOD_INVALID: implicit layout */
	uint32_t n_planes;
	struct lf_plane planes[LF_MAX_PLANES];
	uint32_t texture;            /* nonzero: read this texture instead of importing */
};

/* Where the linear rows go: stride bytes apart, size bytes in all. */
struct lf_readback_dst {
	uint8_t *map;
	uint32_t stride;
	size_t size;
};

struct lf_readback_timing {
	uint64_t import_ns;   /* EGLImage + texture (0 when texture-fed) */
	uint64_t read_ns;     /* draw + glReadPixels into dst, on the worker */
	uint64_t total_ns;    /* submit → done callback, as the loop sees it */
};

struct lf_readback_events {
	/* On the caller's loop: the job with this cookie finished. result 0,
	 * or -ENOTSUP (format), -EINVAL (planes/strides do not fit the
	 * format), -EIO (import or GL failed; why says more). */
	void (*done)(void *data, uint64_t cookie, int result, const char *why,
		     const struct lf_readback_timing *t);
};

/* Start the worker and its EGL context (blocks until it is up: call it
 * before the loop runs). -ENODEV with *why filled when no usable device
 * exists; why may be NULL. loop NULL: only to ask whether it would work
 * (submit then fails with -ENOTCONN). */
int lf_readback_new(struct pw_loop *loop, const struct lf_readback_options *opts,
		    const struct lf_readback_events *events, void *data,
		    struct lf_readback **out, char *why, size_t why_len);
/* Joins the worker (waits for a job in flight to end). NULL is fine. */
void lf_readback_destroy(struct lf_readback *rb);

/* Whether the engine reads this DRM fourcc back. */
bool lf_readback_supports(uint32_t fourcc);
/* Bytes per pixel of a supported format (all are one plane, 4 bytes). */
uint32_t lf_readback_bpp(uint32_t fourcc);
/* Checks a source against its format (planes, strides, sizes): 0 or
 * -EINVAL/-ENOTSUP with *why. Pure; the worker runs it too. */
int lf_readback_check_src(const struct lf_readback_src *src, const struct lf_readback_dst *dst,
			  const char **why);

/* Queue a job; never blocks on GL. -EBUSY while one is in flight. */
int lf_readback_submit(struct lf_readback *rb, const struct lf_readback_src *src,
		       const struct lf_readback_dst *dst, uint64_t cookie);
bool lf_readback_busy(struct lf_readback *rb);
/* The EGL device in use, for logs and --list-formats. */
const char *lf_readback_device(const struct lf_readback *rb);
/* Whether the device imports dmabufs (EGL_EXT_image_dma_buf_import). */
bool lf_readback_can_import(const struct lf_readback *rb);

/* Texture-fed use only (tests, benchmarks; blocks until the worker did it):
 * a texture holding pixels given in fourcc's memory layout, as an import
 * of such a buffer would show them to GL. */
int lf_readback_test_texture(struct lf_readback *rb, uint32_t fourcc, uint32_t width,
			     uint32_t height, const void *pixels, uint32_t stride,
			     uint32_t *tex);
void lf_readback_test_texture_free(struct lf_readback *rb, uint32_t tex);
