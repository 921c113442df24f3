/* SPDX-License-Identifier: MIT */
#pragma once
/* Daemon formats (DRM fourcc) as GStreamer video formats, and the checks
 * that keep a frame smaller than its caps from ever reaching downstream. */
#include <stdbool.h>
#include <stdint.h>

#include <gst/video/video.h>

#include "client/lastframe.h"

GstVideoFormat lfsrc_format_from_drm(uint32_t drm_format);
/* Every format lfsrc_format_from_drm() knows, for the pad template. */
GstCaps *lfsrc_format_template_caps(void);
/* Caps for one frame size/format: with dmabuf, memory:DMABuf first, then
 * system memory. fps 0/1 for variable-rate producers. */
GstCaps *lfsrc_format_caps(GstVideoFormat fmt, uint32_t w, uint32_t h, uint32_t fps_n,
			   uint32_t fps_d, bool dmabuf);
/* 0 when every plane of f holds a full w×h picture of vinfo's format at its
 * stride; -EBADMSG (with a reason in *why) when not. */
int lfsrc_format_check_frame(const struct lastframe_frame *f, const GstVideoInfo *vinfo,
			     const char **why);
/* The frame's planes lie exactly as vinfo's default layout would put them
 * once concatenated (no GstVideoMeta needed). */
bool lfsrc_format_is_default_layout(const struct lastframe_frame *f, const GstVideoInfo *vinfo);
