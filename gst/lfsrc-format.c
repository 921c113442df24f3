/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <drm_fourcc.h>
#include <gst/allocators/allocators.h>

#include "gst/lfsrc-format.h"

static const struct {
	uint32_t drm;
	GstVideoFormat gst;
} formats[] = {
	/* DRM names the bits of a little-endian word, GStreamer the bytes in memory. */
	{ DRM_FORMAT_XRGB8888, GST_VIDEO_FORMAT_BGRx },
	{ DRM_FORMAT_ARGB8888, GST_VIDEO_FORMAT_BGRA },
	{ DRM_FORMAT_XBGR8888, GST_VIDEO_FORMAT_RGBx },
	{ DRM_FORMAT_ABGR8888, GST_VIDEO_FORMAT_RGBA },
	{ DRM_FORMAT_BGRX8888, GST_VIDEO_FORMAT_xRGB },
	{ DRM_FORMAT_BGRA8888, GST_VIDEO_FORMAT_ARGB },
	{ DRM_FORMAT_RGBX8888, GST_VIDEO_FORMAT_xBGR },
	{ DRM_FORMAT_RGBA8888, GST_VIDEO_FORMAT_ABGR },
	/* GStreamer 1.22 has no x2RGB10 without alpha: the two padding bits
	 * read as alpha, which RGB conversions ignore. */
	{ DRM_FORMAT_XRGB2101010, GST_VIDEO_FORMAT_BGR10A2_LE },
	{ DRM_FORMAT_ARGB2101010, GST_VIDEO_FORMAT_BGR10A2_LE },
	{ DRM_FORMAT_XBGR2101010, GST_VIDEO_FORMAT_RGB10A2_LE },
	{ DRM_FORMAT_ABGR2101010, GST_VIDEO_FORMAT_RGB10A2_LE },
	{ DRM_FORMAT_NV12, GST_VIDEO_FORMAT_NV12 },
};

GstVideoFormat lfsrc_format_from_drm(uint32_t drm_format)
{
	for (size_t i = 0; i < G_N_ELEMENTS(formats); i++)
		if (formats[i].drm == drm_format)
			return formats[i].gst;
	return GST_VIDEO_FORMAT_UNKNOWN;
}

static GValue format_list(void)
{
	GValue list = G_VALUE_INIT, v = G_VALUE_INIT;

	g_value_init(&list, GST_TYPE_LIST);
	g_value_init(&v, G_TYPE_STRING);
	for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
		const char *name = gst_video_format_to_string(formats[i].gst);
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= formats[j].gst == formats[i].gst;
		if (seen)
			continue;
		g_value_set_string(&v, name);
		gst_value_list_append_value(&list, &v);
	}
	g_value_unset(&v);
	return list;
}

GstCaps *lfsrc_format_template_caps(void)
{
	GstCaps *caps = gst_caps_new_empty();
	const char *feats[] = { GST_CAPS_FEATURE_MEMORY_DMABUF, NULL };

	for (size_t k = 0; k < G_N_ELEMENTS(feats); k++) {
		GValue list = format_list();
		GstStructure *s = gst_structure_new("video/x-raw", "width", GST_TYPE_INT_RANGE, 1,
						    G_MAXINT, "height", GST_TYPE_INT_RANGE, 1,
						    G_MAXINT, "framerate", GST_TYPE_FRACTION_RANGE,
						    0, 1, G_MAXINT, 1, NULL);
		gst_structure_take_value(s, "format", &list);
		if (feats[k])
			gst_caps_append_structure_full(caps, s,
						       gst_caps_features_new(feats[k], NULL));
		else
			gst_caps_append_structure(caps, s);
	}
	return caps;
}

GstCaps *lfsrc_format_caps(GstVideoFormat fmt, uint32_t w, uint32_t h, uint32_t fps_n,
			   uint32_t fps_d, bool dmabuf)
{
	GstCaps *caps = gst_caps_new_empty();

	if (fps_d == 0 || fps_n == 0) {
		fps_n = 0;
		fps_d = 1;
	}
	for (int k = dmabuf ? 0 : 1; k < 2; k++) {
		GstStructure *s = gst_structure_new(
			"video/x-raw", "format", G_TYPE_STRING, gst_video_format_to_string(fmt),
			"width", G_TYPE_INT, (int)w, "height", G_TYPE_INT, (int)h, "framerate",
			GST_TYPE_FRACTION, (int)fps_n, (int)fps_d, "pixel-aspect-ratio",
			GST_TYPE_FRACTION, 1, 1, NULL);
		if (k == 0)
			gst_caps_append_structure_full(
				caps, s, gst_caps_features_new(GST_CAPS_FEATURE_MEMORY_DMABUF, NULL));
		else
			gst_caps_append_structure(caps, s);
	}
	return caps;
}

/* Bytes one row of plane p really needs (the default stride may round up). */
static size_t row_bytes(const GstVideoInfo *vinfo, unsigned p)
{
	const GstVideoFormatInfo *fi = vinfo->finfo;
	gint comp[GST_VIDEO_MAX_COMPONENTS];

	gst_video_format_info_component(fi, p, comp);
	return (size_t)GST_VIDEO_FORMAT_INFO_PSTRIDE(fi, comp[0]) *
	       GST_VIDEO_FORMAT_INFO_SCALE_WIDTH(fi, comp[0], GST_VIDEO_INFO_WIDTH(vinfo));
}

int lfsrc_format_check_frame(const struct lastframe_frame *f, const GstVideoInfo *vinfo,
			     const char **why)
{
	unsigned n = GST_VIDEO_INFO_N_PLANES(vinfo);

	if (lfsrc_format_from_drm(f->drm_format) != GST_VIDEO_INFO_FORMAT(vinfo) ||
	    f->width != (uint32_t)GST_VIDEO_INFO_WIDTH(vinfo) ||
	    f->height != (uint32_t)GST_VIDEO_INFO_HEIGHT(vinfo)) {
		*why = "frame size or format differs from the caps";
		return -EBADMSG;
	}
	if (f->n_planes != n) {
		*why = "wrong number of planes for the format";
		return -EBADMSG;
	}
	for (unsigned p = 0; p < n; p++) {
		const struct lastframe_plane *pl = &f->planes[p];
		gint comp[GST_VIDEO_MAX_COMPONENTS];
		gst_video_format_info_component(vinfo->finfo, p, comp);
		uint64_t rows = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT(vinfo->finfo, comp[0],
								   GST_VIDEO_INFO_HEIGHT(vinfo));
		uint64_t need = (uint64_t)pl->stride * (rows - 1) + row_bytes(vinfo, p);

		if (pl->stride < row_bytes(vinfo, p)) {
			*why = "plane stride shorter than a row";
			return -EBADMSG;
		}
		if (pl->size < need) {
			*why = "plane smaller than its picture";
			return -EBADMSG;
		}
	}
	return 0;
}

bool lfsrc_format_is_default_layout(const struct lastframe_frame *f, const GstVideoInfo *vinfo)
{
	size_t at = 0;

	for (unsigned p = 0; p < f->n_planes; p++) {
		if (f->planes[p].stride != (uint32_t)GST_VIDEO_INFO_PLANE_STRIDE(vinfo, p) ||
		    at != GST_VIDEO_INFO_PLANE_OFFSET(vinfo, p))
			return false;
		at += f->planes[p].size;
	}
	return at >= GST_VIDEO_INFO_SIZE(vinfo);
}
