/* SPDX-License-Identifier: MIT */
/*
 * The pods lastframe-testsrc announces. Modifier negotiation follows the
 * two-step scheme of PipeWire ≥ 0.3.33: the producer offers a modifier list
 * with MANDATORY|DONT_FIXATE, the consumer answers with the intersection
 * still unfixated, the producer picks one and re-announces the fixed format
 * first (then the list, then a format without modifier for shared memory).
 */
#include <errno.h>
#include <string.h>

#include <libdrm/drm_fourcc.h>
#include <spa/param/video/format-utils.h>
#include <spa/param/buffers.h>
#include <spa/buffer/buffer.h>
#include <spa/buffer/meta.h>
#include <spa/pod/builder.h>
#include <spa/utils/result.h>

#include "tests/testsrc/testsrc.h"

#define CURSOR_SIZE 64
#define CURSOR_META_SIZE \
	(sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + CURSOR_SIZE * CURSOR_SIZE * 4)

/* Default modifier lists per mode. */
static const uint64_t mods_fixate[] = { I915_FORMAT_MOD_X_TILED, DRM_FORMAT_MOD_LINEAR,
					DRM_FORMAT_MOD_INVALID };
static const uint64_t mods_mutter[] = { DRM_FORMAT_MOD_INVALID };
static const uint64_t mods_linear[] = { DRM_FORMAT_MOD_LINEAR };
/* No consumer here can know these: an AMD GFX9 tiling and a vendor code
 * nobody uses. */
static const uint64_t mods_foreign[] = { fourcc_mod_code(AMD, 0x1234567), fourcc_mod_code(VIVANTE, 0x77) };
static const uint64_t mods_nv12[] = { DRM_FORMAT_MOD_LINEAR, DRM_FORMAT_MOD_INVALID };

uint32_t ts_spa_format(enum lf_pattern_format f)
{
	switch (f) {
	case LF_PATTERN_BGRx: return SPA_VIDEO_FORMAT_BGRx;
	case LF_PATTERN_BGRA: return SPA_VIDEO_FORMAT_BGRA;
	case LF_PATTERN_RGBx: return SPA_VIDEO_FORMAT_RGBx;
	case LF_PATTERN_RGBA: return SPA_VIDEO_FORMAT_RGBA;
	case LF_PATTERN_xRGB2101010: return SPA_VIDEO_FORMAT_xRGB_210LE;
	case LF_PATTERN_xBGR2101010: return SPA_VIDEO_FORMAT_xBGR_210LE;
	case LF_PATTERN_NV12: return SPA_VIDEO_FORMAT_NV12;
	}
	return SPA_VIDEO_FORMAT_UNKNOWN;
}

size_t ts_params_modifiers(const struct ts_options *o, const uint64_t **mods)
{
	if (o->n_modifiers) {
		*mods = o->modifiers;
		return o->n_modifiers;
	}
	switch (o->dmabuf_mode) {
	case TS_DMABUF_FIXATE: *mods = mods_fixate; return SPA_N_ELEMENTS(mods_fixate);
	case TS_DMABUF_MUTTER: *mods = mods_mutter; return SPA_N_ELEMENTS(mods_mutter);
	case TS_DMABUF_LINEAR: *mods = mods_linear; return SPA_N_ELEMENTS(mods_linear);
	case TS_DMABUF_FOREIGN: *mods = mods_foreign; return SPA_N_ELEMENTS(mods_foreign);
	case TS_DMABUF_NV12: *mods = mods_nv12; return SPA_N_ELEMENTS(mods_nv12);
	}
	*mods = NULL;
	return 0;
}

/* One EnumFormat. n_mods == 0: no modifier property (shared memory).
 * choice: announce the list as an Enum with DONT_FIXATE; otherwise a single
 * fixed MANDATORY value (mods[0]). */
static struct spa_pod *build_format(struct spa_pod_builder *b, uint32_t spa_format,
				    uint32_t width, uint32_t height, uint32_t rate,
				    const uint64_t *mods, size_t n_mods, bool choice)
{
	struct spa_pod_frame f[2];

	spa_pod_builder_push_object(b, &f[0], SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat);
	spa_pod_builder_add(b,
		SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
		SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
		SPA_FORMAT_VIDEO_format, SPA_POD_Id(spa_format), 0);
	if (n_mods > 0 && choice) {
		spa_pod_builder_prop(b, SPA_FORMAT_VIDEO_modifier,
				     SPA_POD_PROP_FLAG_MANDATORY | SPA_POD_PROP_FLAG_DONT_FIXATE);
		spa_pod_builder_push_choice(b, &f[1], SPA_CHOICE_Enum, 0);
		/* An Enum choice starts with its default value. */
		spa_pod_builder_long(b, (int64_t)mods[0]);
		for (size_t i = 0; i < n_mods; i++)
			spa_pod_builder_long(b, (int64_t)mods[i]);
		spa_pod_builder_pop(b, &f[1]);
	} else if (n_mods > 0) {
		spa_pod_builder_prop(b, SPA_FORMAT_VIDEO_modifier, SPA_POD_PROP_FLAG_MANDATORY);
		spa_pod_builder_long(b, (int64_t)mods[0]);
	}
	spa_pod_builder_add(b,
		SPA_FORMAT_VIDEO_size, SPA_POD_Rectangle(&SPA_RECTANGLE(width, height)),
		SPA_FORMAT_VIDEO_framerate, SPA_POD_Fraction(&SPA_FRACTION(0, 1)),
		SPA_FORMAT_VIDEO_maxFramerate,
		SPA_POD_CHOICE_RANGE_Fraction(&SPA_FRACTION(rate, 1), &SPA_FRACTION(1, 1),
					      &SPA_FRACTION(rate, 1)),
		0);
	return spa_pod_builder_pop(b, &f[0]);
}

static bool mode_uses_choice(const struct ts_options *o, size_t n_mods)
{
	/* Mutter and LINEAR offer one fixed modifier; the others a list. A
	 * one-element override list keeps the mode's style. */
	if (o->dmabuf_mode == TS_DMABUF_MUTTER || o->dmabuf_mode == TS_DMABUF_LINEAR)
		return n_mods > 1;
	return true;
}

static uint32_t offer_format(const struct ts_options *o)
{
	if (o->buffer == TS_BUFFER_DMABUF && o->dmabuf_mode == TS_DMABUF_NV12)
		return SPA_VIDEO_FORMAT_NV12;
	return ts_spa_format(o->format);
}

int ts_params_enum_formats(struct spa_pod_builder *b, const struct ts_options *o,
			   uint32_t width, uint32_t height, const struct spa_pod **params,
			   uint32_t max)
{
	uint32_t n = 0, fmt = offer_format(o);
	const uint64_t *mods;
	size_t n_mods;

	if (max < 2)
		return -ENOSPC;
	if (o->buffer == TS_BUFFER_DMABUF) {
		n_mods = ts_params_modifiers(o, &mods);
		params[n++] = build_format(b, fmt, width, height, o->rate, mods, n_mods,
					   mode_uses_choice(o, n_mods));
	}
	/* Shared memory last: what a consumer without dmabuf support gets. */
	params[n++] = build_format(b, fmt, width, height, o->rate, NULL, 0, false);
	for (uint32_t i = 0; i < n; i++)
		if (!params[i])
			return -ENOSPC;
	return (int)n;
}

/* Pick our most preferred modifier that the consumer also has. */
static int pick_modifier(const struct ts_options *o, const uint64_t *theirs, uint32_t n_theirs,
			 uint64_t *out)
{
	const uint64_t *mods;
	size_t n_mods = ts_params_modifiers(o, &mods);

	for (size_t i = 0; i < n_mods; i++)
		for (uint32_t j = 0; j < n_theirs; j++)
			if (mods[i] == theirs[j]) {
				*out = mods[i];
				return 0;
			}
	return -ENOENT;
}

static void layout(struct ts_format *fmt)
{
	uint32_t w = fmt->width, h = fmt->height;

	/* Strides padded to 64 bytes: consumers must honour the stride. */
	if (fmt->pattern == LF_PATTERN_NV12) {
		fmt->n_planes = 2;
		fmt->strides[0] = fmt->strides[1] = SPA_ROUND_UP_N(w, 64);
		fmt->plane_sizes[0] = fmt->strides[0] * h;
		fmt->plane_sizes[1] = fmt->strides[1] * (h / 2);
		fmt->offsets[0] = 0;
		fmt->offsets[1] = fmt->plane_sizes[0];
	} else {
		fmt->n_planes = 1;
		fmt->strides[0] = SPA_ROUND_UP_N(w * 4, 64);
		fmt->plane_sizes[0] = fmt->strides[0] * h;
		fmt->offsets[0] = 0;
	}
	fmt->total_size = fmt->offsets[fmt->n_planes - 1] + fmt->plane_sizes[fmt->n_planes - 1];
}

static enum lf_pattern_format pattern_of(uint32_t spa_format)
{
	for (int f = 1; f <= LF_PATTERN_FORMAT_MAX; f++)
		if (ts_spa_format(f) == spa_format)
			return f;
	return 0;
}

int ts_params_on_format(struct spa_pod_builder *b, const struct ts_options *o,
			const struct spa_pod *format, struct ts_format *fmt,
			const struct spa_pod **params, uint32_t max, uint32_t *n_params)
{
	const struct spa_pod_prop *mod_prop;
	struct spa_rectangle size = { 0, 0 };
	uint32_t media_type, media_subtype, spa_format;
	int r;

	memset(fmt, 0, sizeof(*fmt));
	*n_params = 0;
	r = spa_pod_parse_object(format, SPA_TYPE_OBJECT_Format, NULL,
		SPA_FORMAT_mediaType, SPA_POD_Id(&media_type),
		SPA_FORMAT_mediaSubtype, SPA_POD_Id(&media_subtype),
		SPA_FORMAT_VIDEO_format, SPA_POD_Id(&spa_format),
		SPA_FORMAT_VIDEO_size, SPA_POD_Rectangle(&size));
	if (r < 0)
		return r;
	if (media_type != SPA_MEDIA_TYPE_video || media_subtype != SPA_MEDIA_SUBTYPE_raw)
		return -EINVAL;
	fmt->spa_format = spa_format;
	fmt->pattern = pattern_of(spa_format);
	fmt->width = size.width;
	fmt->height = size.height;
	if (!fmt->pattern || !lf_pattern_size_ok(fmt->pattern, size.width, size.height))
		return -EINVAL;

	mod_prop = spa_pod_find_prop(format, NULL, SPA_FORMAT_VIDEO_modifier);
	if (mod_prop && (mod_prop->flags & SPA_POD_PROP_FLAG_DONT_FIXATE)) {
		/* Step two: the consumer left the choice to us. */
		const struct spa_pod *val = &mod_prop->value;
		uint32_t n_vals = 0, choice;
		const struct spa_pod *vals = spa_pod_get_values(val, &n_vals, &choice);
		const uint64_t *mods;
		size_t n_mods = ts_params_modifiers(o, &mods);
		uint64_t pick;

		if (!vals || vals->type != SPA_TYPE_Long || n_vals == 0)
			return -EINVAL;
		/* For an Enum the first value is only the default: skip it. */
		if (choice == SPA_CHOICE_Enum && n_vals > 1)
			r = pick_modifier(o, (const uint64_t *)SPA_POD_BODY_CONST(vals) + 1, n_vals - 1, &pick);
		else
			r = pick_modifier(o, SPA_POD_BODY_CONST(vals), n_vals, &pick);
		if (r < 0)
			return r;
		if (max < 3)
			return -ENOSPC;
		params[0] = build_format(b, spa_format, size.width, size.height, o->rate, &pick, 1, false);
		params[1] = build_format(b, spa_format, size.width, size.height, o->rate, mods, n_mods, true);
		params[2] = build_format(b, spa_format, size.width, size.height, o->rate, NULL, 0, false);
		if (!params[0] || !params[1] || !params[2])
			return -ENOSPC;
		*n_params = 3;
		return 1;
	}
	if (mod_prop) {
		uint32_t n_vals = 0, choice;
		const struct spa_pod *vals = spa_pod_get_values(&mod_prop->value, &n_vals, &choice);

		/* Fixed, or a choice someone forgot to fixate: its default. */
		if (!vals || vals->type != SPA_TYPE_Long || n_vals == 0)
			return -EINVAL;
		fmt->has_modifier = true;
		fmt->modifier = *(const uint64_t *)SPA_POD_BODY_CONST(vals);
		fmt->data_type = SPA_DATA_DmaBuf;
	} else {
		fmt->modifier = DRM_FORMAT_MOD_INVALID;
		fmt->data_type = o->buffer == TS_BUFFER_MEMPTR ? SPA_DATA_MemPtr : SPA_DATA_MemFd;
	}
	layout(fmt);
	fmt->n_datas = fmt->data_type == SPA_DATA_MemPtr ? 1 : fmt->n_planes;
	return 0;
}

int ts_params_buffers(struct spa_pod_builder *b, const struct ts_options *o,
		      const struct ts_format *fmt, const struct spa_pod **params, uint32_t max)
{
	uint32_t n = 0, size, stride;


	if (max < 4)
		return -ENOSPC;
	/* Every block can hold the whole frame: our own allocations are one
	 * memory with a data per plane, MemPtr is one block with all planes. */
	size = fmt->total_size;
	stride = fmt->strides[0];
	params[n++] = spa_pod_builder_add_object(b,
		SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
		SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(o->n_buffers, 2, 64),
		SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(fmt->n_datas),
		SPA_PARAM_BUFFERS_size, SPA_POD_Int(size),
		SPA_PARAM_BUFFERS_stride, SPA_POD_Int(stride),
		SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int(1u << fmt->data_type));
	params[n++] = spa_pod_builder_add_object(b,
		SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
		SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_header)));
	params[n++] = spa_pod_builder_add_object(b,
		SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_VideoDamage),
		SPA_PARAM_META_size, SPA_POD_CHOICE_RANGE_Int(
			sizeof(struct spa_meta_region) * 4, sizeof(struct spa_meta_region),
			sizeof(struct spa_meta_region) * 16));
	params[n++] = spa_pod_builder_add_object(b,
		SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Cursor),
		SPA_PARAM_META_size, SPA_POD_CHOICE_RANGE_Int(
			CURSOR_META_SIZE, sizeof(struct spa_meta_cursor), CURSOR_META_SIZE));
	for (uint32_t i = 0; i < n; i++)
		if (!params[i])
			return -ENOSPC;
	return (int)n;
}
