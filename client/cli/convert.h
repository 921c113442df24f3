/* SPDX-License-Identifier: MIT */
#pragma once
/* Pixel conversion of a frame (or a crop of it) to 8-bit RGB or RGBA. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lf_src_plane {
	const uint8_t *data;
	size_t size;     /* readable bytes from data */
	uint32_t stride;
};

struct lf_region {
	uint32_t x, y, width, height;
};

/* Whether the format is supported, and whether it carries alpha. */
bool lf_convert_supported(uint32_t drm_format);
bool lf_convert_has_alpha(uint32_t drm_format);

/* Converts region of the width x height picture into out (out_channels 3 =
 * RGB, 4 = RGBA; rows of out_stride bytes). NV12 with one plane: the UV
 * plane follows the Y plane at stride * height. -EINVAL: bad region or
 * channels, -ENOTSUP: unknown format, -EBADMSG: planes smaller than the
 * picture needs. */
int lf_convert(uint32_t drm_format, uint32_t width, uint32_t height,
	       const struct lf_src_plane *planes, unsigned n_planes,
	       const struct lf_region *region, unsigned out_channels,
	       uint8_t *out, size_t out_stride);
