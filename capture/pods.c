/* SPDX-License-Identifier: MIT */
#include "capture/pods.h"

#include <errno.h>

#include <spa/buffer/buffer.h>
#include <spa/buffer/meta.h>
#include <spa/param/buffers.h>
#include <spa/param/format.h>
#include <spa/param/param.h>
#include <spa/param/video/format.h>
#include <spa/pod/builder.h>

#include "capture/formats.h"
#include "base/util.h"

#define MAX_SIZE 16384
#define CURSOR_META_SIZE(w, h) \
	((uint32_t)(sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + (w) * (h) * 4))

void lf_pods_init(struct lf_pods *p)
{
	spa_pod_dynamic_builder_init(&p->db, p->stack, sizeof(p->stack), 4096);
	p->n = 0;
	p->error = 0;
	p->request_width = p->request_height = 0;
}

void lf_pods_clear(struct lf_pods *p)
{
	spa_pod_dynamic_builder_clean(&p->db);
	p->n = 0;
}

/* Start a param: remember where it begins so it can be found after the
 * builder reallocates. */
static int begin(struct lf_pods *p)
{
	if (p->n >= LF_PODS_MAX)
		return -ENOSPC;
	p->offsets[p->n] = p->db.b.state.offset;
	return 0;
}

static int end(struct lf_pods *p, int r)
{
	if (r < 0 || p->db.b.state.offset > p->db.b.size) {
		p->error = r < 0 ? r : -ENOMEM;
		return p->error;
	}
	p->n++;
	return 0;
}

static int add_format(struct lf_pods *p, const struct lf_format_info *fi,
		      const struct lf_modset_entry *me)
{
	struct spa_pod_builder *b = &p->db.b;
	struct spa_pod_frame f[2];
	int r = begin(p);

	if (r < 0)
		return r;
	spa_pod_builder_push_object(b, &f[0], SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat);
	spa_pod_builder_add(b,
		SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
		SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
		SPA_FORMAT_VIDEO_format, SPA_POD_Id(fi->spa_format), 0);
	if (me && me->n == 1) {
		/* One modifier: nothing to choose, so no fixation step. */
		spa_pod_builder_prop(b, SPA_FORMAT_VIDEO_modifier, SPA_POD_PROP_FLAG_MANDATORY);
		spa_pod_builder_long(b, (int64_t)me->mods[0]);
	} else if (me && me->n > 1) {
		/* The producer allocates, so it fixates the modifier
		 * (DONT_FIXATE keeps the link from picking the default). */
		spa_pod_builder_prop(b, SPA_FORMAT_VIDEO_modifier,
				     SPA_POD_PROP_FLAG_MANDATORY | SPA_POD_PROP_FLAG_DONT_FIXATE);
		spa_pod_builder_push_choice(b, &f[1], SPA_CHOICE_Enum, 0);
		spa_pod_builder_long(b, (int64_t)me->mods[0]); /* default */
		for (size_t i = 0; i < me->n; i++)
			spa_pod_builder_long(b, (int64_t)me->mods[i]);
		spa_pod_builder_pop(b, &f[1]);
	}
	if (p->request_width && p->request_height)
		/* Fixed: with two ranges the producer's default would win. */
		spa_pod_builder_add(b, SPA_FORMAT_VIDEO_size,
			SPA_POD_Rectangle(&SPA_RECTANGLE(p->request_width, p->request_height)), 0);
	else
		spa_pod_builder_add(b, SPA_FORMAT_VIDEO_size, SPA_POD_CHOICE_RANGE_Rectangle(
			&SPA_RECTANGLE(1280, 720), &SPA_RECTANGLE(1, 1),
			&SPA_RECTANGLE(MAX_SIZE, MAX_SIZE)), 0);
	spa_pod_builder_add(b,
		SPA_FORMAT_VIDEO_framerate, SPA_POD_CHOICE_RANGE_Fraction(
			&SPA_FRACTION(60, 1), &SPA_FRACTION(0, 1), &SPA_FRACTION(1000, 1)),
		0);
	spa_pod_builder_pop(b, &f[0]);
	return end(p, 0);
}

int lf_pods_add_formats(struct lf_pods *p, const struct lf_modset *mods)
{
	int r;

	for (size_t i = 0; mods && i < lf_format_count(); i++) {
		const struct lf_format_info *fi = lf_format_at(i);
		const struct lf_modset_entry *me = lf_modset_get(mods, fi->drm_format);

		if (!me || me->n == 0)
			continue;
		if ((r = add_format(p, fi, me)) < 0)
			return r;
	}
	for (size_t i = 0; i < lf_format_count(); i++)
		if ((r = add_format(p, lf_format_at(i), NULL)) < 0)
			return r;
	return 0;
}

int lf_pods_add_buffers(struct lf_pods *p, bool dmabuf, uint32_t n_buffers)
{
	struct spa_pod_builder *b = &p->db.b;
	int types = dmabuf ? (1 << SPA_DATA_DmaBuf)
			   : (1 << SPA_DATA_MemFd) | (1 << SPA_DATA_MemPtr);
	int r = begin(p);

	if (r < 0)
		return r;
	if (n_buffers < 2)
		n_buffers = 2;
	if (n_buffers > 64)
		n_buffers = 64;
	spa_pod_builder_add_object(b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
		SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(n_buffers, 2, 64),
		SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int(types));
	return end(p, 0);
}

static int add_meta(struct lf_pods *p, uint32_t type, uint32_t size, uint32_t min, uint32_t max)
{
	struct spa_pod_builder *b = &p->db.b;
	int r = begin(p);

	if (r < 0)
		return r;
	if (min == max)
		spa_pod_builder_add_object(b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
			SPA_PARAM_META_type, SPA_POD_Id(type),
			SPA_PARAM_META_size, SPA_POD_Int(size));
	else
		spa_pod_builder_add_object(b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
			SPA_PARAM_META_type, SPA_POD_Id(type),
			SPA_PARAM_META_size, SPA_POD_CHOICE_RANGE_Int(size, min, max));
	return end(p, 0);
}

int lf_pods_add_meta(struct lf_pods *p)
{
	const uint32_t region = sizeof(struct spa_meta_region);
	int r;

	if ((r = add_meta(p, SPA_META_Header, sizeof(struct spa_meta_header),
			  sizeof(struct spa_meta_header), sizeof(struct spa_meta_header))) < 0)
		return r;
	if ((r = add_meta(p, SPA_META_VideoCrop, region, region, region)) < 0)
		return r;
	if ((r = add_meta(p, SPA_META_Cursor, CURSOR_META_SIZE(64, 64), CURSOR_META_SIZE(1, 1),
			  CURSOR_META_SIZE(256, 256))) < 0)
		return r;
	return add_meta(p, SPA_META_VideoDamage, region * 16, region * 1, region * 16);
}

int lf_pods_finish(struct lf_pods *p)
{
	if (p->error < 0)
		return p->error;
	for (uint32_t i = 0; i < p->n; i++)
		p->params[i] = spa_pod_builder_deref(&p->db.b, p->offsets[i]);
	return (int)p->n;
}
