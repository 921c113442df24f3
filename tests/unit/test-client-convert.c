/* SPDX-License-Identifier: MIT */
/* Pixel conversion of every supported format, with padded strides and crops. */
#include <check.h>
#include <drm_fourcc.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The CLI's conversion is not in a library: test its source directly. */
#include "client/cli/convert.c"

#define W 37 /* odd on purpose, and wide enough for several vector steps per row */
#define H 5

static uint8_t px_r(uint32_t x, uint32_t y) { return (uint8_t)(x * 31 + y * 7 + 1); }
static uint8_t px_g(uint32_t x, uint32_t y) { return (uint8_t)(x * 5 + y * 53 + 2); }
static uint8_t px_b(uint32_t x, uint32_t y) { return (uint8_t)(x * 101 + y * 3 + 3); }
static uint8_t px_a(uint32_t x, uint32_t y) { return (uint8_t)(x * 11 + y * 17 + 4); }

/* Fills a 4-byte-per-pixel picture; stride has padding filled with junk. */
static uint8_t *make32(uint32_t fmt, uint32_t stride)
{
	uint8_t *buf = malloc((size_t)stride * H);
	memset(buf, 0xa5, (size_t)stride * H);
	for (uint32_t y = 0; y < H; y++) {
		for (uint32_t x = 0; x < W; x++) {
			uint8_t *p = buf + y * stride + x * 4;
			uint8_t r = px_r(x, y), g = px_g(x, y), b = px_b(x, y), a = px_a(x, y);
			uint32_t v;
			switch (fmt) {
			case DRM_FORMAT_XRGB8888: p[0] = b; p[1] = g; p[2] = r; p[3] = 0x77; break;
			case DRM_FORMAT_ARGB8888: p[0] = b; p[1] = g; p[2] = r; p[3] = a; break;
			case DRM_FORMAT_XBGR8888: p[0] = r; p[1] = g; p[2] = b; p[3] = 0x77; break;
			case DRM_FORMAT_ABGR8888: p[0] = r; p[1] = g; p[2] = b; p[3] = a; break;
			case DRM_FORMAT_XRGB2101010:
			case DRM_FORMAT_XBGR2101010: {
				uint32_t r10 = (uint32_t)r << 2 | r >> 6, g10 = (uint32_t)g << 2 | g >> 6,
					 b10 = (uint32_t)b << 2 | b >> 6;
				if (fmt == DRM_FORMAT_XRGB2101010)
					v = 1u << 30 | r10 << 20 | g10 << 10 | b10;
				else
					v = 2u << 30 | b10 << 20 | g10 << 10 | r10;
				p[0] = v & 0xff; p[1] = v >> 8 & 0xff; p[2] = v >> 16 & 0xff; p[3] = v >> 24;
				break;
			}
			}
		}
	}
	return buf;
}

static void check32(uint32_t fmt, unsigned ch, uint32_t stride, struct lf_region rg)
{
	uint8_t *src = make32(fmt, stride);
	struct lf_src_plane p = { src, (size_t)stride * H, stride };
	size_t ostride = rg.width * ch + 3; /* padded output rows too */
	uint8_t *out = calloc(ostride, rg.height);

	ck_assert_int_eq(lf_convert(fmt, W, H, &p, 1, &rg, ch, out, ostride), 0);
	for (uint32_t j = 0; j < rg.height; j++) {
		for (uint32_t i = 0; i < rg.width; i++) {
			const uint8_t *d = out + j * ostride + i * ch;
			uint32_t x = rg.x + i, y = rg.y + j;
			ck_assert_uint_eq(d[0], px_r(x, y));
			ck_assert_uint_eq(d[1], px_g(x, y));
			ck_assert_uint_eq(d[2], px_b(x, y));
			if (ch == 4)
				ck_assert_uint_eq(d[3], lf_convert_has_alpha(fmt) ? px_a(x, y) : 0xff);
		}
	}
	free(out);
	free(src);
}

static const uint32_t formats32[] = {
	DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888,
	DRM_FORMAT_ABGR8888, DRM_FORMAT_XRGB2101010, DRM_FORMAT_XBGR2101010,
};

START_TEST(test_rgb32_all)
{
	uint32_t fmt = formats32[_i];
	struct lf_region full = { 0, 0, W, H }, crop = { 2, 1, 4, 3 }, corner = { W - 1, H - 1, 1, 1 };

	check32(fmt, 3, W * 4, full);          /* tight stride */
	check32(fmt, 4, W * 4, full);
	check32(fmt, 3, W * 4 + 36, full);     /* stride != width * 4 */
	check32(fmt, 4, W * 4 + 36, crop);
	check32(fmt, 3, W * 4 + 4, corner);
}
END_TEST

START_TEST(test_alpha_formats)
{
	ck_assert(lf_convert_has_alpha(DRM_FORMAT_ARGB8888));
	ck_assert(lf_convert_has_alpha(DRM_FORMAT_ABGR8888));
	ck_assert(!lf_convert_has_alpha(DRM_FORMAT_XRGB8888));
	ck_assert(!lf_convert_has_alpha(DRM_FORMAT_NV12));
	ck_assert(!lf_convert_has_alpha(DRM_FORMAT_XRGB2101010));
}
END_TEST

/* NV12: BT.601 limited range. Reference colours within ±2. */
static void nv12_fill(uint8_t *y, uint32_t ystride, uint8_t *uv, uint32_t uvstride, uint32_t w,
		      uint32_t h)
{
	/* Left half: white, right half: pure red; top rows black-ish luma. */
	for (uint32_t j = 0; j < h; j++)
		for (uint32_t i = 0; i < w; i++)
			y[j * ystride + i] = i < w / 2 ? 235 : 81;
	for (uint32_t j = 0; j < h / 2; j++)
		for (uint32_t i = 0; i < w / 2; i++) {
			bool left = i * 2 < w / 2;
			uv[j * uvstride + i * 2] = left ? 128 : 90;
			uv[j * uvstride + i * 2 + 1] = left ? 128 : 240;
		}
}

static void assert_near(int got, int want)
{
	ck_assert_msg(abs(got - want) <= 2, "got %d want %d", got, want);
}

START_TEST(test_nv12_two_planes)
{
	enum { NW = 8, NH = 4, YS = 12, UVS = 16 };
	uint8_t y[YS * NH], uv[UVS * NH / 2], out[NW * NH * 4];
	struct lf_src_plane p[2] = { { y, sizeof(y), YS }, { uv, sizeof(uv), UVS } };
	struct lf_region rg = { 0, 0, NW, NH };

	memset(y, 0, sizeof(y));
	memset(uv, 0, sizeof(uv));
	nv12_fill(y, YS, uv, UVS, NW, NH);
	ck_assert_int_eq(lf_convert(DRM_FORMAT_NV12, NW, NH, p, 2, &rg, 4, out, NW * 4), 0);
	for (int j = 0; j < NH; j++) {
		const uint8_t *white = out + j * NW * 4, *red = out + j * NW * 4 + (NW - 1) * 4;
		assert_near(white[0], 255); assert_near(white[1], 255); assert_near(white[2], 255);
		ck_assert_uint_eq(white[3], 255);
		assert_near(red[0], 255); assert_near(red[1], 0); assert_near(red[2], 0);
	}
	/* A crop starting at an odd column uses that column's chroma pair. */
	struct lf_region c = { 3, 1, 3, 3 };
	uint8_t o2[3 * 3 * 3];
	ck_assert_int_eq(lf_convert(DRM_FORMAT_NV12, NW, NH, p, 2, &c, 3, o2, 9), 0);
	assert_near(o2[0], 255); assert_near(o2[1], 255); assert_near(o2[2], 255); /* x=3: white */
	assert_near(o2[3], 255); assert_near(o2[4], 0); assert_near(o2[5], 0);     /* x=4: red */
}
END_TEST

START_TEST(test_nv12_one_plane)
{
	enum { NW = 4, NH = 2, S = 6 };
	uint8_t buf[S * NH + S * NH / 2], out[NW * NH * 3];
	struct lf_src_plane p = { buf, sizeof(buf), S };
	struct lf_region rg = { 0, 0, NW, NH };

	memset(buf, 0, sizeof(buf));
	nv12_fill(buf, S, buf + S * NH, S, NW, NH);
	ck_assert_int_eq(lf_convert(DRM_FORMAT_NV12, NW, NH, &p, 1, &rg, 3, out, NW * 3), 0);
	assert_near(out[0], 255);
	assert_near(out[(NW - 1) * 3 + 1], 0);
	/* Too small for its UV plane. */
	p.size = S * NH + 2;
	ck_assert_int_eq(lf_convert(DRM_FORMAT_NV12, NW, NH, &p, 1, &rg, 3, out, NW * 3), -EBADMSG);
}
END_TEST

START_TEST(test_errors)
{
	uint8_t src[W * 4 * H], out[W * H * 4];
	struct lf_src_plane p = { src, sizeof(src), W * 4 };
	struct lf_region full = { 0, 0, W, H };
	struct lf_region bad[] = { { 0, 0, 0, H }, { 0, 0, W + 1, H }, { W, 0, 1, 1 },
				   { 1, 0, W, H }, { 0, H - 1, W, 2 } };

	memset(src, 0, sizeof(src));
	ck_assert_int_eq(lf_convert(DRM_FORMAT_YUYV, W, H, &p, 1, &full, 3, out, W * 3), -ENOTSUP);
	ck_assert(!lf_convert_supported(DRM_FORMAT_YUYV));
	ck_assert_int_eq(lf_convert(DRM_FORMAT_XRGB8888, W, H, &p, 1, &full, 2, out, W * 3), -EINVAL);
	ck_assert_int_eq(lf_convert(DRM_FORMAT_XRGB8888, W, H, &p, 1, &full, 3, out, W * 3 - 1), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(lf_convert(DRM_FORMAT_XRGB8888, W, H, &p, 1, &bad[i], 3, out, W * 4), -EINVAL);
	/* The buffer is a byte short of the last row. */
	p.size--;
	ck_assert_int_eq(lf_convert(DRM_FORMAT_XRGB8888, W, H, &p, 1, &full, 3, out, W * 3), -EBADMSG);
	/* A crop that stays clear of the missing byte still works. */
	struct lf_region top = { 0, 0, W, H - 1 };
	ck_assert_int_eq(lf_convert(DRM_FORMAT_XRGB8888, W, H, &p, 1, &top, 3, out, W * 3), 0);
	/* Stride smaller than a row. */
	p.size = sizeof(src);
	p.stride = W * 4 - 4;
	ck_assert_int_eq(lf_convert(DRM_FORMAT_XRGB8888, W, H, &p, 1, &full, 3, out, W * 3), -EBADMSG);
	ck_assert_int_eq(lf_convert(DRM_FORMAT_XRGB8888, W, H, &p, 0, &full, 3, out, W * 3), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("client-convert");
	TCase *tc = tcase_create("convert");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_rgb32_all, 0, sizeof(formats32) / sizeof(formats32[0]));
	tcase_add_test(tc, test_alpha_formats);
	tcase_add_test(tc, test_nv12_two_planes);
	tcase_add_test(tc, test_nv12_one_plane);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
