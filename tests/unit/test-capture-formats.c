/* SPDX-License-Identifier: MIT */
/* capture/: the format table, modifier list bookkeeping and pod building. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include <drm_fourcc.h>
#include <spa/param/format-utils.h>
#include <spa/param/video/format-utils.h>
#include <spa/pod/iter.h>
#include <spa/buffer/buffer.h>
#include <spa/param/buffers.h>

#include "capture/formats.h"
#include "capture/modifiers.h"
#include "capture/pods.h"

START_TEST(table_round_trips)
{
	ck_assert_uint_ge(lf_format_count(), 7);
	for (size_t i = 0; i < lf_format_count(); i++) {
		const struct lf_format_info *fi = lf_format_at(i);
		ck_assert_ptr_eq(lf_format_from_spa(fi->spa_format), fi);
		ck_assert_ptr_eq(lf_format_from_drm(fi->drm_format), fi);
		ck_assert_ptr_eq(lf_format_from_name(fi->name), fi);
	}
	ck_assert_ptr_null(lf_format_at(lf_format_count()));
	ck_assert_ptr_null(lf_format_from_drm(DRM_FORMAT_YUYV));
	ck_assert_ptr_null(lf_format_from_name("nope"));
	ck_assert_ptr_null(lf_format_from_name(NULL));
	ck_assert_uint_eq(lf_format_from_name("BGRx")->drm_format, DRM_FORMAT_XRGB8888);
	ck_assert_uint_eq(lf_format_from_name("RGBA")->drm_format, DRM_FORMAT_ABGR8888);
	ck_assert_uint_eq(lf_format_from_name("xBGR2101010")->spa_format,
			  SPA_VIDEO_FORMAT_xBGR_210LE);
	ck_assert_uint_eq(lf_format_from_drm(DRM_FORMAT_NV12)->n_planes, 2);
}
END_TEST

START_TEST(plane_layout)
{
	const struct lf_format_info *bgrx = lf_format_from_name("BGRx");
	const struct lf_format_info *nv12 = lf_format_from_name("NV12");
	uint32_t off, st, sz;

	ck_assert(lf_format_plane_layout(bgrx, 640, 480, 0, 0, &off, &st, &sz));
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(st, 2560);
	ck_assert_uint_eq(sz, 2560 * 480);
	ck_assert(lf_format_plane_layout(bgrx, 640, 480, 4096, 0, &off, &st, &sz));
	ck_assert_uint_eq(st, 4096);
	ck_assert(!lf_format_plane_layout(bgrx, 640, 480, 100, 0, &off, &st, &sz)); /* too small */
	ck_assert(!lf_format_plane_layout(bgrx, 640, 480, 0, 1, &off, &st, &sz));
	ck_assert(!lf_format_plane_layout(bgrx, 0, 480, 0, 0, &off, &st, &sz));
	ck_assert(!lf_format_plane_layout(bgrx, 65536, 65536, 0, 0, &off, &st, &sz)); /* overflow */

	ck_assert(lf_format_plane_layout(nv12, 641, 481, 0, 1, &off, &st, &sz));
	ck_assert_uint_eq(off, 641 * 481);
	ck_assert_uint_eq(st, 641);
	ck_assert_uint_eq(sz, 641 * 241);
	ck_assert_uint_eq(lf_format_frame_size(nv12, 640, 480, 0), 640 * 480 * 3 / 2);
	ck_assert_uint_eq(lf_format_frame_size(bgrx, 640, 480, 0), 640 * 480 * 4);
}
END_TEST

START_TEST(modset_logic)
{
	struct lf_modset s;
	const struct lf_modset_entry *e;

	ck_assert_int_eq(lf_modset_init(&s), 0);
	ck_assert_uint_eq(lf_modset_total(&s), 0);
	ck_assert_int_eq(lf_modset_add(&s, DRM_FORMAT_XRGB8888, 0x0300000000e08014ull, true), 1);
	ck_assert_int_eq(lf_modset_add(&s, DRM_FORMAT_XRGB8888, 0x0300000000e08014ull, true), 0);
	ck_assert_int_eq(lf_modset_add(&s, DRM_FORMAT_YUYV, 1, true), -ENOENT);
	ck_assert_int_eq(lf_modset_add_defaults(&s), 0);
	e = lf_modset_get(&s, DRM_FORMAT_XRGB8888);
	ck_assert_uint_eq(e->n, 3);
	ck_assert_uint_eq(e->mods[0], 0x0300000000e08014ull); /* EGL's first */
	ck_assert(e->from_egl[0]);
	ck_assert_uint_eq(e->mods[1], DRM_FORMAT_MOD_LINEAR);
	ck_assert(!e->from_egl[1]);
	ck_assert_uint_eq(e->mods[2], DRM_FORMAT_MOD_INVALID);
	/* Every format gets LINEAR + INVALID, even with no GPU. */
	e = lf_modset_get(&s, DRM_FORMAT_NV12);
	ck_assert_uint_eq(e->n, 2);
	ck_assert_uint_eq(lf_modset_total(&s), 3 + 2 * (lf_format_count() - 1));

	/* Dropping shrinks; a second report of the same pair is a no-op. */
	ck_assert_int_eq(lf_modset_drop(&s, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), 0);
	ck_assert_int_eq(lf_modset_drop(&s, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), -ENOENT);
	e = lf_modset_get(&s, DRM_FORMAT_XRGB8888);
	ck_assert_uint_eq(e->n, 2);
	ck_assert_uint_eq(e->mods[1], DRM_FORMAT_MOD_INVALID);
	ck_assert(e->from_egl[0]);
	ck_assert_int_eq(lf_modset_drop(&s, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID), 0);
	ck_assert_int_eq(lf_modset_drop(&s, DRM_FORMAT_XRGB8888, 0x0300000000e08014ull), 0);
	ck_assert_uint_eq(e->n, 0);
	ck_assert_int_eq(lf_modset_drop(&s, DRM_FORMAT_YUYV, 0), -ENOENT);

	/* Override replaces every list. */
	uint64_t ov[] = { 5, 6, 5 };
	ck_assert_int_eq(lf_modset_set_all(&s, ov, 3), 0);
	ck_assert_uint_eq(lf_modset_get(&s, DRM_FORMAT_XRGB8888)->n, 2);
	ck_assert_uint_eq(lf_modset_get(&s, DRM_FORMAT_NV12)->mods[1], 6);
	lf_modset_clear(&s);
	lf_modset_clear(&s); /* twice is fine */
}
END_TEST

START_TEST(modifier_parse)
{
	uint64_t *m = NULL;
	size_t n = 0;

	ck_assert_int_eq(lf_modifiers_parse("LINEAR,0x300000000e08014, invalid,17", &m, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(m[0], DRM_FORMAT_MOD_LINEAR);
	ck_assert_uint_eq(m[1], 0x300000000e08014ull);
	ck_assert_uint_eq(m[2], DRM_FORMAT_MOD_INVALID);
	ck_assert_uint_eq(m[3], 17);
	free(m);
	m = NULL;
	ck_assert_int_eq(lf_modifiers_parse("", &m, &n), -EINVAL);
	ck_assert_int_eq(lf_modifiers_parse("0x1,zz", &m, &n), -EINVAL);
	ck_assert_int_eq(lf_modifiers_parse("-1", &m, &n), -EINVAL);
	ck_assert_int_eq(lf_modifiers_parse("0x1ffffffffffffffff", &m, &n), -EINVAL);
	ck_assert_int_eq(lf_modifiers_parse(NULL, &m, &n), -EINVAL);
	ck_assert_ptr_null(m);
}
END_TEST

/* The modifier property of an EnumFormat pod: its flags and values. */
static bool pod_modifiers(const struct spa_pod *pod, uint32_t *flags, uint32_t *choice,
			  const int64_t **vals, uint32_t *n)
{
	const struct spa_pod_prop *prop = spa_pod_find_prop(pod, NULL, SPA_FORMAT_VIDEO_modifier);
	const struct spa_pod *v;

	if (!prop)
		return false;
	*flags = prop->flags;
	v = spa_pod_get_values(&prop->value, n, choice);
	*vals = SPA_POD_BODY_CONST(v);
	return true;
}

static uint32_t pod_format(const struct spa_pod *pod)
{
	struct spa_video_info_raw raw = { 0 };
	uint32_t id = 0;

	ck_assert_int_ge(spa_pod_parse_object(pod, SPA_TYPE_OBJECT_Format, NULL,
					      SPA_FORMAT_VIDEO_format, SPA_POD_Id(&id)), 0);
	(void)raw;
	return id;
}

START_TEST(pods_dmabuf_first)
{
	struct lf_modset s;
	struct lf_pods p;
	uint32_t flags, choice, n;
	const int64_t *vals;
	size_t nf = lf_format_count();

	ck_assert_int_eq(lf_modset_init(&s), 0);
	ck_assert_int_eq(lf_modset_add(&s, DRM_FORMAT_XRGB8888, 42, true), 1);
	ck_assert_int_eq(lf_modset_add_defaults(&s), 0);
	ck_assert_int_eq(lf_modset_drop(&s, DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR), 0);
	ck_assert_int_eq(lf_modset_drop(&s, DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR), 0);
	ck_assert_int_eq(lf_modset_drop(&s, DRM_FORMAT_NV12, DRM_FORMAT_MOD_INVALID), 0);

	lf_pods_init(&p);
	ck_assert_int_eq(lf_pods_add_formats(&p, &s), 0);
	ck_assert_int_eq(lf_pods_finish(&p), (int)(nf - 1 + nf)); /* NV12 has no dmabuf left */

	/* BGRx: 3 modifiers, an Enum choice (default repeated first). */
	ck_assert_uint_eq(pod_format(p.params[0]), SPA_VIDEO_FORMAT_BGRx);
	ck_assert(pod_modifiers(p.params[0], &flags, &choice, &vals, &n));
	ck_assert_uint_eq(flags, SPA_POD_PROP_FLAG_MANDATORY | SPA_POD_PROP_FLAG_DONT_FIXATE);
	ck_assert_uint_eq(choice, SPA_CHOICE_Enum);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(vals[0], 42);
	ck_assert_int_eq(vals[1], 42);
	ck_assert_int_eq(vals[2], (int64_t)DRM_FORMAT_MOD_LINEAR);
	ck_assert_int_eq(vals[3], (int64_t)DRM_FORMAT_MOD_INVALID);
	/* BGRA: a single modifier is a plain value without DONT_FIXATE. */
	ck_assert_uint_eq(pod_format(p.params[1]), SPA_VIDEO_FORMAT_BGRA);
	ck_assert(pod_modifiers(p.params[1], &flags, &choice, &vals, &n));
	ck_assert_uint_eq(flags, SPA_POD_PROP_FLAG_MANDATORY);
	ck_assert_uint_eq(choice, SPA_CHOICE_None);
	ck_assert_int_eq(vals[0], (int64_t)DRM_FORMAT_MOD_INVALID);
	/* Then every format again, shared memory, without a modifier. */
	for (size_t i = 0; i < nf; i++) {
		const struct spa_pod *pod = p.params[nf - 1 + i];
		ck_assert_uint_eq(pod_format(pod), lf_format_at(i)->spa_format);
		ck_assert(!pod_modifiers(pod, &flags, &choice, &vals, &n));
	}
	lf_pods_clear(&p);

	/* shm only */
	lf_pods_init(&p);
	ck_assert_int_eq(lf_pods_add_formats(&p, NULL), 0);
	ck_assert_int_eq(lf_pods_finish(&p), (int)nf);
	lf_pods_clear(&p);
	lf_modset_clear(&s);
}
END_TEST

START_TEST(pods_200_modifiers)
{
	struct lf_modset s;
	struct lf_pods p;
	uint32_t flags, choice, n;
	const int64_t *vals;
	uint64_t mods[200];

	for (int i = 0; i < 200; i++)
		mods[i] = 0x0100000000000000ull + (uint64_t)i;
	ck_assert_int_eq(lf_modset_init(&s), 0);
	ck_assert_int_eq(lf_modset_set_all(&s, mods, 200), 0);
	lf_pods_init(&p);
	ck_assert_int_eq(lf_pods_add_formats(&p, &s), 0);
	ck_assert_int_eq(lf_pods_add_buffers(&p, true, 7), 0);
	ck_assert_int_eq(lf_pods_add_meta(&p), 0);
	ck_assert_int_eq(lf_pods_finish(&p), (int)(2 * lf_format_count() + 1 + 4));
	/* Far beyond the stack buffer: the builder grew. */
	ck_assert_ptr_ne(p.db.b.data, p.stack);
	for (size_t i = 0; i < lf_format_count(); i++) {
		ck_assert(pod_modifiers(p.params[i], &flags, &choice, &vals, &n));
		ck_assert_uint_eq(n, 201);
		ck_assert_int_eq(vals[200], (int64_t)mods[199]);
		ck_assert_uint_eq(pod_format(p.params[i]), lf_format_at(i)->spa_format);
	}
	/* The Buffers param asks for dmabuf only. */
	{
		const struct spa_pod *bp = p.params[2 * lf_format_count()];
		const struct spa_pod_prop *prop = spa_pod_find_prop(bp, NULL,
								    SPA_PARAM_BUFFERS_dataType);
		const struct spa_pod *v;
		ck_assert_ptr_nonnull(prop);
		v = spa_pod_get_values(&prop->value, &n, &choice);
		ck_assert_int_eq(SPA_POD_VALUE(struct spa_pod_int, v), 1 << SPA_DATA_DmaBuf);
	}
	lf_pods_clear(&p);
	lf_modset_clear(&s);
}
END_TEST

START_TEST(pods_too_many_params)
{
	struct lf_pods p;

	lf_pods_init(&p);
	for (int i = 0; i < LF_PODS_MAX; i++)
		ck_assert_int_eq(lf_pods_add_buffers(&p, false, 4), 0);
	ck_assert_int_eq(lf_pods_add_buffers(&p, false, 4), -ENOSPC);
	ck_assert_int_eq(lf_pods_finish(&p), LF_PODS_MAX);
	lf_pods_clear(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("capture-formats");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, table_round_trips);
	tcase_add_test(tc, plane_layout);
	tcase_add_test(tc, modset_logic);
	tcase_add_test(tc, modifier_parse);
	tcase_add_test(tc, pods_dmabuf_first);
	tcase_add_test(tc, pods_200_modifiers);
	tcase_add_test(tc, pods_too_many_params);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
