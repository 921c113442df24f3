/* SPDX-License-Identifier: MIT */
#include "capture/formats.h"

#include <string.h>

#include <drm_fourcc.h>
#include <spa/param/video/raw.h>

#include "base/util.h"

static const struct lf_format_info formats[] = {
	{ "BGRx", SPA_VIDEO_FORMAT_BGRx, DRM_FORMAT_XRGB8888, 1, { 4 }, { 1 } },
	{ "BGRA", SPA_VIDEO_FORMAT_BGRA, DRM_FORMAT_ARGB8888, 1, { 4 }, { 1 } },
	{ "RGBx", SPA_VIDEO_FORMAT_RGBx, DRM_FORMAT_XBGR8888, 1, { 4 }, { 1 } },
	{ "RGBA", SPA_VIDEO_FORMAT_RGBA, DRM_FORMAT_ABGR8888, 1, { 4 }, { 1 } },
	{ "xRGB2101010", SPA_VIDEO_FORMAT_xRGB_210LE, DRM_FORMAT_XRGB2101010, 1, { 4 }, { 1 } },
	{ "xBGR2101010", SPA_VIDEO_FORMAT_xBGR_210LE, DRM_FORMAT_XBGR2101010, 1, { 4 }, { 1 } },
	/* NV12: full-size Y plane, then interleaved CbCr at half height. */
	{ "NV12", SPA_VIDEO_FORMAT_NV12, DRM_FORMAT_NV12, 2, { 1, 2 }, { 1, 2 } },
};

size_t lf_format_count(void)
{
	return LF_ARRAY_SIZE(formats);
}

const struct lf_format_info *lf_format_at(size_t i)
{
	return i < LF_ARRAY_SIZE(formats) ? &formats[i] : NULL;
}

const struct lf_format_info *lf_format_from_spa(uint32_t spa_format)
{
	for (size_t i = 0; i < LF_ARRAY_SIZE(formats); i++)
		if (formats[i].spa_format == spa_format)
			return &formats[i];
	return NULL;
}

const struct lf_format_info *lf_format_from_drm(uint32_t drm_format)
{
	for (size_t i = 0; i < LF_ARRAY_SIZE(formats); i++)
		if (formats[i].drm_format == drm_format)
			return &formats[i];
	return NULL;
}

const struct lf_format_info *lf_format_from_name(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < LF_ARRAY_SIZE(formats); i++)
		if (strcasecmp(formats[i].name, name) == 0)
			return &formats[i];
	return NULL;
}

bool lf_format_plane_layout(const struct lf_format_info *fi, uint32_t width, uint32_t height,
			    uint32_t stride0, uint32_t plane, uint32_t *offset,
			    uint32_t *stride, uint32_t *size)
{
	uint64_t off = 0, s0, st = 0, sz = 0;

	if (!fi || plane >= fi->n_planes || width == 0 || height == 0)
		return false;
	s0 = stride0 ? stride0 : (uint64_t)width * fi->bpp[0];
	if (s0 < (uint64_t)width * fi->bpp[0])
		return false;
	for (uint32_t p = 0; p <= plane; p++) {
		/* Later planes scale the first plane's stride by their bpp
		 * ratio and horizontal subsampling (NV12: same bytes per row). */
		uint32_t hsub = fi->vsub[p];
		st = p == 0 ? s0 : s0 * fi->bpp[p] / (fi->bpp[0] * hsub);
		off += sz;
		sz = st * ((height + fi->vsub[p] - 1) / fi->vsub[p]);
	}
	if (off + sz > UINT32_MAX)
		return false;
	*offset = (uint32_t)off;
	*stride = (uint32_t)st;
	*size = (uint32_t)sz;
	return true;
}

uint64_t lf_format_frame_size(const struct lf_format_info *fi, uint32_t width, uint32_t height,
			      uint32_t stride0)
{
	uint32_t off, st, sz;

	if (!fi || !lf_format_plane_layout(fi, width, height, stride0, fi->n_planes - 1,
					   &off, &st, &sz))
		return 0;
	return (uint64_t)off + sz;
}
