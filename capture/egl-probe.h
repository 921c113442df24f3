/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The daemon's own dmabuf import probe: one EGL display on the device the
 * modifiers came from; a buffer is imported with eglCreateImageKHR
 * (EGL_LINUX_DMA_BUF_EXT) and the image destroyed at once. A (format,
 * modifier) pair the GPU offered but cannot import is then dropped before
 * any client trips over it. Creating and destroying an image does not wait
 * for the GPU, so this is safe on the PipeWire loop.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/frame.h"

struct lf_egl_probe;

struct lf_dmabuf_desc {
	uint32_t fourcc;
	uint32_t width, height;
	uint64_t modifier;        /* DRM_FORMAT_MOD_INVALID: implicit, not passed to EGL */
	uint32_t n_planes;
	struct {
		int fd;
		uint32_t offset, stride;
	} planes[LF_MAX_PLANES];
};

/* Worst case: 6 fixed attributes, 5 per plane, and EGL_NONE. */
#define LF_EGL_PROBE_MAX_ATTRIBS (6 + 5 * 2 * LF_MAX_PLANES + 1)

/* Pure: the EGL_LINUX_DMA_BUF_EXT attribute list for d into attr (EGLint
 * values as int32_t, EGL_NONE-terminated). Returns the number of entries
 * written including EGL_NONE, -EINVAL for a bad description, -ENOSPC when
 * cap is too small. */
int lf_egl_probe_attribs(const struct lf_dmabuf_desc *d, int32_t *attr, size_t cap);

/* Open the probe on the hardware EGL device for render_node (NULL = the
 * first one): -ENODEV when there is none or it cannot import dmabufs. */
int lf_egl_probe_new(const char *render_node, struct lf_egl_probe **out);
void lf_egl_probe_destroy(struct lf_egl_probe *p);
/* The device's DRM node, or "EGL device" when EGL does not say. */
const char *lf_egl_probe_device(const struct lf_egl_probe *p);

/* Import d and destroy the image again. 0 when the GPU took it; -EINVAL
 * (bad attributes or buffer: EGL_BAD_ATTRIBUTE, EGL_BAD_PARAMETER),
 * -ENOTSUP (format or modifier refused: EGL_BAD_MATCH), -ENOMEM, or -EIO
 * for any other EGL error. The EGL error is logged, once per call. */
int lf_egl_probe_import(struct lf_egl_probe *p, const struct lf_dmabuf_desc *d);

/* "Probe once per pair" bookkeeping (pure): which negotiated pair still
 * waits for its first buffer, and which pairs were probed already. */
#define LF_PROBE_BOOK_MAX 128

struct lf_probe_book {
	bool pending;
	uint32_t fourcc;
	uint64_t modifier;
	struct {
		uint32_t fourcc;
		uint64_t modifier;
	} done[LF_PROBE_BOOK_MAX];
	size_t n_done;
};

/* A format was negotiated: a dmabuf pair not probed yet waits for its first
 * buffer; anything else (shared memory, a pair probed before) does not. */
void lf_probe_book_negotiated(struct lf_probe_book *b, bool dmabuf, uint32_t fourcc,
			      uint64_t modifier);
/* A buffer of this pair arrived: true exactly once per pending pair (the
 * caller probes it now); the pair is then remembered as probed. */
bool lf_probe_book_take(struct lf_probe_book *b, uint32_t fourcc, uint64_t modifier);
