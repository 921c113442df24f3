/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The one table of video formats capture/ understands: SPA format ↔ DRM
 * fourcc ↔ bytes per pixel ↔ planes. Everything else (pods, buffers, the
 * formats listing) looks formats up here, so adding a format is one line.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lf_format_info {
	const char *name;      /* as the CLI and the test producer spell it */
	uint32_t spa_format;   /* enum spa_video_format */
	uint32_t drm_format;   /* DRM fourcc */
	uint32_t n_planes;
	uint32_t bpp[4];       /* bytes per pixel of each plane (NV12: 1, 2) */
	uint32_t vsub[4];      /* vertical subsampling of each plane */
};

/* In offer order (most preferred first). */
size_t lf_format_count(void);
const struct lf_format_info *lf_format_at(size_t i);
const struct lf_format_info *lf_format_from_spa(uint32_t spa_format);
const struct lf_format_info *lf_format_from_drm(uint32_t drm_format);
const struct lf_format_info *lf_format_from_name(const char *name);

/* Packed layout of plane `plane` for a width x height image whose first plane
 * has stride `stride0` (0 = tightly packed). Returns false for a bad plane or
 * an overflow. */
bool lf_format_plane_layout(const struct lf_format_info *fi, uint32_t width, uint32_t height,
			    uint32_t stride0, uint32_t plane, uint32_t *offset,
			    uint32_t *stride, uint32_t *size);
/* Bytes of all planes, packed, or 0 on overflow. */
uint64_t lf_format_frame_size(const struct lf_format_info *fi, uint32_t width, uint32_t height,
			      uint32_t stride0);
