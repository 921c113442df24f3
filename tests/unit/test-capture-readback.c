/* SPDX-License-Identifier: MIT */
/*
 * capture/readback.c fed from a GL texture instead of an imported dmabuf:
 * Mesa's software EGL (llvmpipe) has GL ES 3 but no dmabuf import, which is
 * exactly the part the texture stands in for. Each format goes through the
 * worker thread and the eventfd hand-off on a real pw_loop, into a memfd
 * pool slot with a stride wider than a row, and must come back exact (X
 * channels as all ones). Also: bad sources are refused before the worker.
 */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>
#include <pipewire/pipewire.h>

#include "capture/egl-device.h"
#include "capture/pool.h"
#include "capture/readback.h"

struct ctx {
	struct pw_loop *loop;
	struct lf_readback *rb;
	bool done;
	int result;
	uint64_t cookie;
};

static void on_done(void *data, uint64_t cookie, int result, const char *why,
		    const struct lf_readback_timing *t)
{
	struct ctx *c = data;

	c->done = true;
	c->result = result;
	c->cookie = cookie;
}

static const struct lf_readback_events events = { .done = on_done };

static void ctx_open(struct ctx *c)
{
	struct lf_readback_options o = { .texture_only = true };
	char why[160] = "";
	int r;

	memset(c, 0, sizeof(*c));
	pw_init(NULL, NULL);
	c->loop = pw_loop_new(NULL);
	ck_assert_ptr_nonnull(c->loop);
	r = lf_readback_new(c->loop, &o, &events, c, &c->rb, why, sizeof(why));
	ck_assert_msg(r == 0, "no GL ES 3 context on any EGL device: %s", why);
}

static void ctx_close(struct ctx *c)
{
	lf_readback_destroy(c->rb);
	pw_loop_destroy(c->loop);
	pw_deinit();
}

static void wait_done(struct ctx *c)
{
	pw_loop_enter(c->loop);
	for (int i = 0; i < 1000 && !c->done; i++)
		pw_loop_iterate(c->loop, 100);
	pw_loop_leave(c->loop);
	ck_assert_msg(c->done, "readback never finished");
}

/* A pattern the formats' X bits and both 10-bit halves can't hide in. */
static void pattern(uint8_t *px, uint32_t w, uint32_t h, uint32_t stride, uint32_t seed)
{
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w * 4; x++) {
			seed = seed * 1103515245u + 12345u;
			px[(size_t)y * stride + x] = (uint8_t)(seed >> 16);
		}
}

/* What the buffer holds once X is written as all ones. */
static uint32_t expect_px(uint32_t fourcc, uint32_t v)
{
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_XBGR8888:
		return v | 0xff000000u;
	case DRM_FORMAT_XRGB2101010:
	case DRM_FORMAT_XBGR2101010:
		return v | 0xc0000000u;
	default:
		return v;
	}
}

static const uint32_t fourccs[] = {
	DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888, DRM_FORMAT_ABGR8888,
	DRM_FORMAT_XRGB2101010, DRM_FORMAT_ARGB2101010, DRM_FORMAT_XBGR2101010,
	DRM_FORMAT_ABGR2101010,
};

START_TEST(texture_exact_pixels)
{
	const uint32_t fourcc = fourccs[_i], w = 67, h = 33, src_stride = w * 4;
	const uint32_t dst_stride = w * 4 + 64;
	uint8_t *src = malloc((size_t)src_stride * h);
	struct lf_pool pool;
	struct lf_buffer *slot;
	uint8_t *map;
	uint32_t tex = 0;
	struct ctx c;

	ck_assert_ptr_nonnull(src);
	pattern(src, w, h, src_stride, fourcc);
	ctx_open(&c);
	lf_pool_init(&pool);
	ck_assert_int_eq(lf_pool_reset(&pool, (size_t)dst_stride * h, 1, 2, 1), 0);
	ck_assert_int_eq(lf_pool_get(&pool, &slot, &map), 0);
	memset(map, 0x5a, (size_t)dst_stride * h);
	ck_assert_int_eq(lf_readback_test_texture(c.rb, fourcc, w, h, src, src_stride, &tex), 0);

	struct lf_readback_src s = { .fourcc = fourcc, .width = w, .height = h,
				     .modifier = DRM_FORMAT_MOD_INVALID, .texture = tex };
	struct lf_readback_dst d = { .map = map, .stride = dst_stride,
				     .size = (size_t)dst_stride * h };
	ck_assert_int_eq(lf_readback_submit(c.rb, &s, &d, 42), 0);
	ck_assert_int_eq(lf_readback_submit(c.rb, &s, &d, 43), -EBUSY);
	wait_done(&c);
	ck_assert_int_eq(c.result, 0);
	ck_assert_uint_eq(c.cookie, 42);
	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			uint32_t in, out;

			memcpy(&in, src + (size_t)y * src_stride + x * 4, 4);
			memcpy(&out, map + (size_t)y * dst_stride + x * 4, 4);
			ck_assert_msg(out == expect_px(fourcc, in),
				      "%.4s (%u,%u): got 0x%08x want 0x%08x", (const char *)&fourcc,
				      x, y, out, expect_px(fourcc, in));
		}
		/* Padding past the row stays untouched. */
		ck_assert_uint_eq(map[(size_t)y * dst_stride + w * 4], 0x5a);
	}
	lf_readback_test_texture_free(c.rb, tex);
	lf_pool_destroy(&pool);
	ctx_close(&c);
	free(src);
}
END_TEST

START_TEST(bad_sources_refused)
{
	uint8_t buf[64 * 4 * 4];
	struct lf_readback_dst d = { .map = buf, .stride = 64 * 4, .size = sizeof(buf) };
	struct lf_readback_src s = { .fourcc = DRM_FORMAT_XRGB8888, .width = 64, .height = 4,
				     .modifier = DRM_FORMAT_MOD_LINEAR, .n_planes = 1,
				     .planes = { { .fd = 0, .stride = 256 } } };
	const char *why = NULL;

	ck_assert_int_eq(lf_readback_check_src(&s, &d, &why), 0);
	s.n_planes = 2;
	ck_assert_int_eq(lf_readback_check_src(&s, &d, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "plane"));
	s.n_planes = 1;
	s.planes[0].stride = 128; /* linear rows narrower than the picture */
	ck_assert_int_eq(lf_readback_check_src(&s, &d, &why), -EINVAL);
	s.planes[0].stride = 256;
	s.planes[0].fd = -1;
	ck_assert_int_eq(lf_readback_check_src(&s, &d, &why), -EINVAL);
	s.planes[0].fd = 0;
	s.height = 5; /* destination one row short */
	ck_assert_int_eq(lf_readback_check_src(&s, &d, &why), -EINVAL);
	s.height = 4;
	s.fourcc = DRM_FORMAT_NV12;
	ck_assert_int_eq(lf_readback_check_src(&s, &d, &why), -ENOTSUP);
	ck_assert(!lf_readback_supports(DRM_FORMAT_NV12));
	ck_assert(lf_readback_supports(DRM_FORMAT_XBGR2101010));
}
END_TEST

/* A dmabuf on a device that cannot import: a clear error through done(). */
START_TEST(import_unavailable_is_an_error)
{
	uint8_t buf[16 * 16 * 4];
	struct lf_readback_dst d = { .map = buf, .stride = 64, .size = sizeof(buf) };
	struct lf_readback_src s = { .fourcc = DRM_FORMAT_XRGB8888, .width = 16, .height = 16,
				     .modifier = DRM_FORMAT_MOD_INVALID, .n_planes = 1,
				     .planes = { { .fd = 0, .stride = 64 } } };
	struct ctx c;

	ctx_open(&c);
	if (lf_readback_can_import(c.rb)) {
		ctx_close(&c);
		return; /* a real GPU: tests/gpu covers it */
	}
	ck_assert_int_eq(lf_readback_submit(c.rb, &s, &d, 7), 0);
	wait_done(&c);
	ck_assert_int_eq(c.result, -EIO);
	ctx_close(&c);
}
END_TEST

/* The modifier query and the import probe open and close the same EGL
 * display (EGL hands every user of a device the same one) while the
 * readback worker keeps using it: closing theirs must not end the engine's. */
START_TEST(display_shared_with_other_users)
{
	uint8_t src[32 * 8 * 4], dst[32 * 8 * 4];
	struct lf_egl_devices it;
	struct ctx c;
	uint32_t tex = 0;
	EGLDisplay dpy, first = EGL_NO_DISPLAY;

	ctx_open(&c);
	ck_assert_int_eq(lf_egl_devices_init(&it, NULL), 0);
	it.allow_software = true;
	while ((dpy = lf_egl_devices_next(&it, "EGL_KHR_surfaceless_context", NULL)) != EGL_NO_DISPLAY) {
		if (first == EGL_NO_DISPLAY)
			first = dpy;
		lf_egl_display_put(dpy); /* what egl-modifiers.c does after its query */
	}
	/* The engine's display (the first such device's) is still initialised:
	 * dmabuf imports on it would still work. */
	ck_assert_ptr_nonnull(eglQueryString(first, EGL_VERSION));
	pattern(src, 32, 8, 32 * 4, 5);
	ck_assert_int_eq(lf_readback_test_texture(c.rb, DRM_FORMAT_ABGR8888, 32, 8, src, 128, &tex), 0);
	struct lf_readback_src s = { .fourcc = DRM_FORMAT_ABGR8888, .width = 32, .height = 8,
				     .texture = tex };
	struct lf_readback_dst d = { .map = dst, .stride = 128, .size = sizeof(dst) };
	ck_assert_int_eq(lf_readback_submit(c.rb, &s, &d, 1), 0);
	wait_done(&c);
	ck_assert_int_eq(c.result, 0);
	ck_assert_int_eq(memcmp(src, dst, sizeof(dst)), 0);
	lf_readback_test_texture_free(c.rb, tex);
	ctx_close(&c);
}
END_TEST

/* glvnd unloads Mesa at exit, before LeakSanitizer looks: what Mesa's
 * globals still point to then reads as leaked (SAN=1). Loaded to the end,
 * nothing leaks. */
static void keep_mesa_loaded(void)
{
	char origin[256], path[300];
	void *h = dlopen("libEGL_mesa.so.0", RTLD_NOW | RTLD_NODELETE);

	if (!h || dlinfo(h, RTLD_DI_ORIGIN, origin) != 0)
		return;
	snprintf(path, sizeof(path), "%s/dri/swrast_dri.so", origin);
	dlopen(path, RTLD_NOW | RTLD_NODELETE);
}

int main(void)
{
	keep_mesa_loaded();
	Suite *s = suite_create("capture-readback");
	TCase *tc = tcase_create("readback");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, texture_exact_pixels, 0, (int)(sizeof(fourccs) / sizeof(fourccs[0])));
	tcase_add_test(tc, bad_sources_refused);
	tcase_add_test(tc, import_unavailable_is_an_error);
	tcase_add_test(tc, display_shared_with_other_users);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
