/* SPDX-License-Identifier: MIT */
/* capture/egl-probe.c: the EGL attribute list and the "once per pair"
 * bookkeeping. The import itself needs a GPU: tests/gpu/probe-import. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <drm_fourcc.h>

#include "capture/egl-probe.h"

#define NVIDIA_MOD 0x0300000000606015ull

static struct lf_dmabuf_desc desc(uint32_t fourcc, uint32_t n_planes, uint64_t mod)
{
	struct lf_dmabuf_desc d = { .fourcc = fourcc, .width = 640, .height = 480,
				    .modifier = mod, .n_planes = n_planes };

	for (uint32_t i = 0; i < n_planes; i++) {
		d.planes[i].fd = 10 + (int)i;
		d.planes[i].offset = i * 640 * 480;
		d.planes[i].stride = 2560;
	}
	return d;
}

/* The value after key, or -1 when key is not in the list. */
static int32_t value_of(const int32_t *attr, int n, int32_t key)
{
	for (int i = 0; i + 1 < n; i += 2)
		if (attr[i] == key)
			return attr[i + 1];
	return -1;
}

START_TEST(one_plane_explicit_modifier)
{
	struct lf_dmabuf_desc d = desc(DRM_FORMAT_XRGB8888, 1, NVIDIA_MOD);
	int32_t a[LF_EGL_PROBE_MAX_ATTRIBS];
	int n = lf_egl_probe_attribs(&d, a, LF_EGL_PROBE_MAX_ATTRIBS);

	ck_assert_int_eq(n, 6 + 10 + 1);
	ck_assert_int_eq(a[n - 1], EGL_NONE);
	ck_assert_int_eq(value_of(a, n, EGL_WIDTH), 640);
	ck_assert_int_eq(value_of(a, n, EGL_HEIGHT), 480);
	ck_assert_int_eq(value_of(a, n, EGL_LINUX_DRM_FOURCC_EXT), (int32_t)DRM_FORMAT_XRGB8888);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE0_FD_EXT), 10);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE0_OFFSET_EXT), 0);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE0_PITCH_EXT), 2560);
	ck_assert_int_eq((uint32_t)value_of(a, n, EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT), 0x00606015u);
	ck_assert_int_eq((uint32_t)value_of(a, n, EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT), 0x03000000u);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE1_FD_EXT), -1);
}
END_TEST

START_TEST(invalid_modifier_is_implicit)
{
	struct lf_dmabuf_desc d = desc(DRM_FORMAT_XRGB8888, 1, DRM_FORMAT_MOD_INVALID);
	int32_t a[LF_EGL_PROBE_MAX_ATTRIBS];
	int n = lf_egl_probe_attribs(&d, a, LF_EGL_PROBE_MAX_ATTRIBS);

	ck_assert_int_eq(n, 6 + 6 + 1);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT), -1);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT), -1);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE0_PITCH_EXT), 2560);

	/* LINEAR is an explicit modifier (0), not "no modifier". */
	d.modifier = DRM_FORMAT_MOD_LINEAR;
	n = lf_egl_probe_attribs(&d, a, LF_EGL_PROBE_MAX_ATTRIBS);
	ck_assert_int_eq(n, 17);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT), 0);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT), 0);
}
END_TEST

START_TEST(two_planes)
{
	struct lf_dmabuf_desc d = desc(DRM_FORMAT_NV12, 2, NVIDIA_MOD);
	int32_t a[LF_EGL_PROBE_MAX_ATTRIBS];
	int n = lf_egl_probe_attribs(&d, a, LF_EGL_PROBE_MAX_ATTRIBS);

	ck_assert_int_eq(n, 6 + 2 * 10 + 1);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE1_FD_EXT), 11);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE1_OFFSET_EXT), 640 * 480);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE1_PITCH_EXT), 2560);
	ck_assert_int_eq((uint32_t)value_of(a, n, EGL_DMA_BUF_PLANE1_MODIFIER_HI_EXT), 0x03000000u);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE2_FD_EXT), -1);

	d.modifier = DRM_FORMAT_MOD_INVALID;
	n = lf_egl_probe_attribs(&d, a, LF_EGL_PROBE_MAX_ATTRIBS);
	ck_assert_int_eq(n, 6 + 2 * 6 + 1);
	ck_assert_int_eq(value_of(a, n, EGL_DMA_BUF_PLANE1_MODIFIER_LO_EXT), -1);

	/* The worst case fits the documented bound. */
	d = desc(DRM_FORMAT_NV12, LF_MAX_PLANES, NVIDIA_MOD);
	ck_assert_int_eq(lf_egl_probe_attribs(&d, a, LF_EGL_PROBE_MAX_ATTRIBS),
			 LF_EGL_PROBE_MAX_ATTRIBS);
}
END_TEST

START_TEST(bad_descriptions)
{
	struct lf_dmabuf_desc d;
	int32_t a[LF_EGL_PROBE_MAX_ATTRIBS];

	d = desc(DRM_FORMAT_XRGB8888, 1, 0);
	d.n_planes = 0;
	ck_assert_int_eq(lf_egl_probe_attribs(&d, a, LF_EGL_PROBE_MAX_ATTRIBS), -EINVAL);
	d.n_planes = LF_MAX_PLANES + 1;
	ck_assert_int_eq(lf_egl_probe_attribs(&d, a, LF_EGL_PROBE_MAX_ATTRIBS), -EINVAL);
	d = desc(DRM_FORMAT_XRGB8888, 1, 0);
	d.planes[0].fd = -1;
	ck_assert_int_eq(lf_egl_probe_attribs(&d, a, LF_EGL_PROBE_MAX_ATTRIBS), -EINVAL);
	d = desc(DRM_FORMAT_XRGB8888, 1, 0);
	d.planes[0].stride = 0;
	ck_assert_int_eq(lf_egl_probe_attribs(&d, a, LF_EGL_PROBE_MAX_ATTRIBS), -EINVAL);
	d = desc(DRM_FORMAT_XRGB8888, 1, 0);
	d.width = 0;
	ck_assert_int_eq(lf_egl_probe_attribs(&d, a, LF_EGL_PROBE_MAX_ATTRIBS), -EINVAL);
	d = desc(DRM_FORMAT_XRGB8888, 1, 0);
	ck_assert_int_eq(lf_egl_probe_attribs(&d, a, 16), -ENOSPC);
	ck_assert_int_eq(lf_egl_probe_attribs(&d, a, 17), 17);
	/* Without a probe nothing is imported, and nothing crashes. */
	ck_assert_int_eq(lf_egl_probe_import(NULL, &d), -EINVAL);
	lf_egl_probe_destroy(NULL);
}
END_TEST

START_TEST(book_probes_each_pair_once)
{
	struct lf_probe_book b = { 0 };

	/* Shared memory: nothing to probe. */
	lf_probe_book_negotiated(&b, false, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID);
	ck_assert(!lf_probe_book_take(&b, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID));

	lf_probe_book_negotiated(&b, true, DRM_FORMAT_XRGB8888, NVIDIA_MOD);
	/* A buffer of another pair (a stale one) does not count. */
	ck_assert(!lf_probe_book_take(&b, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));
	ck_assert(lf_probe_book_take(&b, DRM_FORMAT_XRGB8888, NVIDIA_MOD));
	/* Later frames of the pair are not probed... */
	ck_assert(!lf_probe_book_take(&b, DRM_FORMAT_XRGB8888, NVIDIA_MOD));
	/* ...nor is the pair after it is negotiated again (resize, restart). */
	lf_probe_book_negotiated(&b, true, DRM_FORMAT_XRGB8888, NVIDIA_MOD);
	ck_assert(!lf_probe_book_take(&b, DRM_FORMAT_XRGB8888, NVIDIA_MOD));

	/* The next pair after a renegotiation is probed once, too. */
	lf_probe_book_negotiated(&b, true, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
	ck_assert(lf_probe_book_take(&b, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));
	lf_probe_book_negotiated(&b, true, DRM_FORMAT_ABGR8888, NVIDIA_MOD);
	ck_assert(lf_probe_book_take(&b, DRM_FORMAT_ABGR8888, NVIDIA_MOD));
	ck_assert_uint_eq(b.n_done, 3);

	/* A new negotiation cancels a probe still waiting for its buffer. */
	lf_probe_book_negotiated(&b, true, DRM_FORMAT_NV12, NVIDIA_MOD);
	lf_probe_book_negotiated(&b, false, DRM_FORMAT_NV12, DRM_FORMAT_MOD_INVALID);
	ck_assert(!lf_probe_book_take(&b, DRM_FORMAT_NV12, NVIDIA_MOD));
}
END_TEST

START_TEST(book_full_stops_probing)
{
	struct lf_probe_book b = { 0 };

	for (uint64_t m = 1; m <= LF_PROBE_BOOK_MAX; m++) {
		lf_probe_book_negotiated(&b, true, DRM_FORMAT_XRGB8888, m);
		ck_assert(lf_probe_book_take(&b, DRM_FORMAT_XRGB8888, m));
	}
	/* Forgetting would mean probing old pairs again: never loop, stop. */
	lf_probe_book_negotiated(&b, true, DRM_FORMAT_XRGB8888, 0);
	ck_assert(!lf_probe_book_take(&b, DRM_FORMAT_XRGB8888, 0));
	ck_assert_uint_eq(b.n_done, LF_PROBE_BOOK_MAX);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("capture-probe");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, one_plane_explicit_modifier);
	tcase_add_test(tc, invalid_modifier_is_implicit);
	tcase_add_test(tc, two_planes);
	tcase_add_test(tc, bad_descriptions);
	tcase_add_test(tc, book_probes_each_pair_once);
	tcase_add_test(tc, book_full_stops_probing);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
