/* SPDX-License-Identifier: MIT */
/*
 * The testsrc pattern and its checker (tests/testsrc/pattern.c), and the
 * PNG/PPM reader of --verify (tests/testsrc/image.c): every integration test
 * that says "complete frame" trusts these, so they get their own tests.
 */
#include <check.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The testsrc sources are not in a library: build them in. */
#include "tests/testsrc/image.c"
#include "tests/testsrc/pattern.c"

struct planes {
	uint8_t *p[2];
	uint32_t stride[2];
};

static void planes_alloc(struct planes *pl, enum lf_pattern_format f, uint32_t w, uint32_t h)
{
	/* Padded strides, as producers do. */
	pl->stride[0] = w * lf_pattern_bpp(f) + 40;
	pl->stride[1] = w + 40;
	pl->p[0] = calloc(pl->stride[0], h);
	pl->p[1] = calloc(pl->stride[1], h);
	ck_assert(pl->p[0] && pl->p[1]);
}

static void planes_free(struct planes *pl)
{
	free(pl->p[0]);
	free(pl->p[1]);
}

static uint8_t from10(uint32_t v, bool round)
{
	return round ? (uint8_t)((v * 255 + 511) / 1023) : (uint8_t)(v >> 2);
}

/* Convert to 8-bit RGB the way a reader might: 10-bit truncated or rounded,
 * NV12 luma expanded from limited range or not. */
static uint8_t *to_rgb(const struct planes *pl, enum lf_pattern_format f, uint32_t w, uint32_t h,
		       bool variant)
{
	uint8_t *rgb = malloc((size_t)w * h * 3);

	ck_assert(rgb);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			const uint8_t *q = pl->p[0] + (size_t)y * pl->stride[0] + (size_t)x * lf_pattern_bpp(f);
			uint8_t *o = rgb + ((size_t)y * w + x) * 3;
			uint32_t v = q[0] | q[1] << 8 | q[2] << 16 | (uint32_t)q[3] << 24;

			switch (f) {
			case LF_PATTERN_BGRx: case LF_PATTERN_BGRA:
				o[0] = q[2]; o[1] = q[1]; o[2] = q[0];
				break;
			case LF_PATTERN_RGBx: case LF_PATTERN_RGBA:
				o[0] = q[0]; o[1] = q[1]; o[2] = q[2];
				break;
			case LF_PATTERN_xRGB2101010:
				o[0] = from10(v >> 20 & 1023, variant);
				o[1] = from10(v >> 10 & 1023, variant);
				o[2] = from10(v & 1023, variant);
				break;
			case LF_PATTERN_xBGR2101010:
				o[2] = from10(v >> 20 & 1023, variant);
				o[1] = from10(v >> 10 & 1023, variant);
				o[0] = from10(v & 1023, variant);
				break;
			case LF_PATTERN_NV12: {
				int l = q[0];
				if (variant)
					l = (l - 16) * 255 / 219;
				l = l < 0 ? 0 : l > 255 ? 255 : l;
				o[0] = o[1] = o[2] = (uint8_t)l;
				break;
			}
			}
		}
	return rgb;
}

static const uint32_t sizes[][2] = { { 64, 64 }, { 1000, 100 }, { 328, 240 }, { 640, 360 } };
static const uint32_t counters[] = { 0, 1, 255, 256, 65537, 0xfffffffeu };

START_TEST(roundtrip)
{
	enum lf_pattern_format f = (enum lf_pattern_format)_i;

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (unsigned c = 0; c < sizeof(counters) / sizeof(counters[0]); c++)
			for (int variant = 0; variant < 2; variant++) {
				uint32_t w = sizes[s][0], h = sizes[s][1];
				struct lf_pattern_result r;
				struct planes pl;
				uint8_t *rgb;

				ck_assert(lf_pattern_size_ok(f, w, h));
				planes_alloc(&pl, f, w, h);
				lf_pattern_fill(f, counters[c], w, h, pl.p, pl.stride);
				rgb = to_rgb(&pl, f, w, h, variant);
				lf_pattern_check_rgb(rgb, w, h, (size_t)w * 3, &r);
				ck_assert_msg(r.complete, "%s %ux%u counter %u: %s at %u,%u",
					      lf_pattern_format_name(f), w, h, counters[c], r.error,
					      r.first_bad_x, r.first_bad_y);
				ck_assert_uint_eq(r.counter, counters[c]);
				ck_assert_int_eq(r.format, f);
				free(rgb);
				planes_free(&pl);
			}
}
END_TEST

/* The fast fill must draw exactly what lf_pattern_rgb() (the checker's
 * reference) says. */
START_TEST(fill_matches_reference)
{
	const uint32_t w = 1000, h = 100;
	struct planes pl;
	uint8_t want[3];

	planes_alloc(&pl, LF_PATTERN_RGBx, w, h);
	lf_pattern_fill(LF_PATTERN_RGBx, 12345, w, h, pl.p, pl.stride);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			const uint8_t *q = pl.p[0] + (size_t)y * pl.stride[0] + (size_t)x * 4;
			lf_pattern_rgb(12345, LF_PATTERN_RGBx, w, x, y, want);
			ck_assert_msg(!memcmp(q, want, 3), "pixel %u,%u", x, y);
			ck_assert_uint_eq(q[3], 0xff);
		}
	planes_free(&pl);
}
END_TEST

/* A frame whose lower half comes from the next counter (tearing, a buffer
 * read while being written) is not complete, whatever the format. */
START_TEST(torn_frame_detected)
{
	enum lf_pattern_format f = (enum lf_pattern_format)_i;
	const uint32_t w = 328, h = 240;
	struct lf_pattern_result r;
	struct planes a, b;
	uint8_t *rgb_a, *rgb_b;

	planes_alloc(&a, f, w, h);
	planes_alloc(&b, f, w, h);
	lf_pattern_fill(f, 41, w, h, a.p, a.stride);
	lf_pattern_fill(f, 42, w, h, b.p, b.stride);
	rgb_a = to_rgb(&a, f, w, h, false);
	rgb_b = to_rgb(&b, f, w, h, false);
	memcpy(rgb_a + (size_t)w * 3 * (h / 2), rgb_b + (size_t)w * 3 * (h / 2), (size_t)w * 3 * (h - h / 2));
	lf_pattern_check_rgb(rgb_a, w, h, (size_t)w * 3, &r);
	ck_assert(r.tag_ok);
	ck_assert(!r.complete);
	ck_assert_uint_eq(r.first_bad_y, h / 2);
	/* One wrong pixel is enough too. */
	lf_pattern_fill(f, 41, w, h, a.p, a.stride);
	free(rgb_a);
	rgb_a = to_rgb(&a, f, w, h, false);
	rgb_a[((size_t)(h - 1) * w + w - 1) * 3] ^= 0x40;
	lf_pattern_check_rgb(rgb_a, w, h, (size_t)w * 3, &r);
	ck_assert(!r.complete);
	ck_assert_uint_eq(r.bad_pixels, 1);
	free(rgb_a);
	free(rgb_b);
	planes_free(&a);
	planes_free(&b);
}
END_TEST

START_TEST(poison_and_garbage_have_no_tag)
{
	const uint32_t w = 256, h = 64;
	struct lf_pattern_result r;
	struct planes pl;
	uint8_t *rgb;

	planes_alloc(&pl, LF_PATTERN_BGRx, w, h);
	lf_pattern_fill_poison(LF_PATTERN_BGRx, w, h, pl.p, pl.stride);
	rgb = to_rgb(&pl, LF_PATTERN_BGRx, w, h, false);
	lf_pattern_check_rgb(rgb, w, h, (size_t)w * 3, &r);
	ck_assert(!r.tag_ok && !r.complete && r.error);
	/* All black, all white. */
	memset(rgb, 0, (size_t)w * h * 3);
	lf_pattern_check_rgb(rgb, w, h, (size_t)w * 3, &r);
	ck_assert(!r.tag_ok);
	memset(rgb, 0xff, (size_t)w * h * 3);
	lf_pattern_check_rgb(rgb, w, h, (size_t)w * 3, &r);
	ck_assert(!r.tag_ok);
	/* A flipped tag block (a garbled counter) is caught by the check bits. */
	lf_pattern_fill(LF_PATTERN_BGRx, 7, w, h, pl.p, pl.stride);
	free(rgb);
	rgb = to_rgb(&pl, LF_PATTERN_BGRx, w, h, false);
	for (uint32_t y = 0; y < 8; y++)
		for (uint32_t x = 8; x < 16; x++)
			memset(rgb + ((size_t)y * w + x) * 3, rgb[((size_t)y * w + x) * 3] ? 0 : 0xff, 3);
	lf_pattern_check_rgb(rgb, w, h, (size_t)w * 3, &r);
	ck_assert(!r.tag_ok);
	free(rgb);
	planes_free(&pl);
}
END_TEST

START_TEST(sizes_and_names)
{
	ck_assert(!lf_pattern_size_ok(LF_PATTERN_BGRx, 56, 64)); /* 7*8 = 56 blocks */
	ck_assert(lf_pattern_size_ok(LF_PATTERN_BGRx, 512, 8));
	ck_assert(!lf_pattern_size_ok(LF_PATTERN_NV12, 65, 64));
	ck_assert(!lf_pattern_size_ok(LF_PATTERN_BGRx, 16385, 64));
	for (int f = 1; f <= LF_PATTERN_FORMAT_MAX; f++)
		ck_assert_int_eq(lf_pattern_format_from_name(lf_pattern_format_name(f)), f);
	ck_assert_int_eq(lf_pattern_format_from_name("YUY2"), 0);
	ck_assert_ptr_null(lf_pattern_format_name(0));
}
END_TEST

/* ---- image reading ------------------------------------------------------ */

static char tmpdir[] = "/tmp/lf-unit-pattern.XXXXXX";

static void setup(void)
{
	strcpy(tmpdir, "/tmp/lf-unit-pattern.XXXXXX");
	ck_assert(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	ck_assert(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void write_png(const char *path, const uint8_t *rgb, uint32_t w, uint32_t h, int color,
		      int depth)
{
	FILE *f = fopen(path, "wb");
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	int ch = color == PNG_COLOR_TYPE_RGBA ? 4 : 3, bps = depth / 8;
	uint8_t *row = malloc((size_t)w * ch * bps);

	ck_assert(f && png && info && row);
	ck_assert(!setjmp(png_jmpbuf(png)));
	png_init_io(png, f);
	png_set_IHDR(png, info, w, h, depth, color, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++)
			for (int c = 0; c < ch; c++) {
				uint8_t v = c < 3 ? rgb[((size_t)y * w + x) * 3 + c] : 0xff;
				if (bps == 2) {
					/* 16-bit: v in the high byte, noise in the low one. */
					row[((size_t)x * ch + c) * 2] = v;
					row[((size_t)x * ch + c) * 2 + 1] = (uint8_t)(x * 7 + y);
				} else {
					row[(size_t)x * ch + c] = v;
				}
			}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
	fclose(f);
}

static uint8_t *pattern_rgb(uint32_t counter, uint32_t w, uint32_t h)
{
	struct planes pl;
	uint8_t *rgb;

	planes_alloc(&pl, LF_PATTERN_BGRx, w, h);
	lf_pattern_fill(LF_PATTERN_BGRx, counter, w, h, pl.p, pl.stride);
	rgb = to_rgb(&pl, LF_PATTERN_BGRx, w, h, false);
	planes_free(&pl);
	return rgb;
}

static void check_file(const char *path, const uint8_t *rgb, uint32_t w, uint32_t h)
{
	struct lf_image img;
	const char *why = NULL;

	ck_assert_msg(lf_image_read(path, &img, &why) == 0, "%s: %s", path, why);
	ck_assert_uint_eq(img.width, w);
	ck_assert_uint_eq(img.height, h);
	ck_assert(!memcmp(img.rgb, rgb, (size_t)w * h * 3));
	free(img.rgb);
}

START_TEST(png_variants)
{
	const uint32_t w = 100, h = 80;
	uint8_t *rgb = pattern_rgb(99, w, h);
	char path[128];

	snprintf(path, sizeof(path), "%s/rgb8.png", tmpdir);
	write_png(path, rgb, w, h, PNG_COLOR_TYPE_RGB, 8);
	check_file(path, rgb, w, h);
	snprintf(path, sizeof(path), "%s/rgba8.png", tmpdir);
	write_png(path, rgb, w, h, PNG_COLOR_TYPE_RGBA, 8);
	check_file(path, rgb, w, h);
	snprintf(path, sizeof(path), "%s/rgb16.png", tmpdir);
	write_png(path, rgb, w, h, PNG_COLOR_TYPE_RGB, 16);
	check_file(path, rgb, w, h);
	free(rgb);
}
END_TEST

START_TEST(ppm_variants)
{
	const uint32_t w = 64, h = 64;
	uint8_t *rgb = pattern_rgb(5, w, h);
	size_t n = (size_t)w * h * 3;
	char path[128], hdr[64];
	uint8_t *buf = malloc(64 + n * 2);
	int hl;

	ck_assert(buf);
	/* 8-bit, with a comment in the header. */
	hl = snprintf(hdr, sizeof(hdr), "P6\n# lastframe\n%u %u\n255\n", w, h);
	memcpy(buf, hdr, (size_t)hl);
	memcpy(buf + hl, rgb, n);
	snprintf(path, sizeof(path), "%s/a.ppm", tmpdir);
	write_file(path, buf, (size_t)hl + n);
	check_file(path, rgb, w, h);
	/* 16-bit big-endian samples. */
	hl = snprintf(hdr, sizeof(hdr), "P6 %u %u 65535\n", w, h);
	memcpy(buf, hdr, (size_t)hl);
	for (size_t i = 0; i < n; i++) {
		buf[hl + 2 * i] = rgb[i];
		buf[hl + 2 * i + 1] = rgb[i];
	}
	snprintf(path, sizeof(path), "%s/b.ppm", tmpdir);
	write_file(path, buf, (size_t)hl + 2 * n);
	check_file(path, rgb, w, h);
	free(buf);
	free(rgb);
}
END_TEST

START_TEST(bad_files)
{
	static const struct { const char *data; size_t len; } bad[] = {
#define BAD(s) { s, sizeof(s) - 1 }
		BAD(""), BAD("P6"), BAD("P6\n10 10\n255\n"), BAD("P6\n0 10\n255\n"),
		BAD("P6\n99999999 10\n255\n"), BAD("P6\n10 10\n0\n"), BAD("P6\n10 10\n70000\n"),
		BAD("P3\n1 1\n255\n0 0 0\n"), BAD("hello world, not an image"),
		BAD("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), BAD("P6\n-1 4\n255\n"),
#undef BAD
	};
	char path[128];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lf_image img;
		const char *why = NULL;

		snprintf(path, sizeof(path), "%s/bad%u", tmpdir, i);
		write_file(path, bad[i].data, bad[i].len);
		ck_assert_msg(lf_image_read(path, &img, &why) < 0, "bad file %u accepted", i);
		ck_assert(why != NULL);
		ck_assert_ptr_null(img.rgb);
	}
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	{
		struct lf_image img;
		const char *why = NULL;
		ck_assert_int_lt(lf_image_read(path, &img, &why), 0);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("testsrc-pattern");
	TCase *tc = tcase_create("pattern");
	TCase *ti = tcase_create("image");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, roundtrip, 1, LF_PATTERN_FORMAT_MAX + 1);
	tcase_add_loop_test(tc, torn_frame_detected, 1, LF_PATTERN_FORMAT_MAX + 1);
	tcase_add_test(tc, fill_matches_reference);
	tcase_add_test(tc, poison_and_garbage_have_no_tag);
	tcase_add_test(tc, sizes_and_names);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(ti, setup, teardown);
	tcase_add_test(ti, png_variants);
	tcase_add_test(ti, ppm_variants);
	tcase_add_test(ti, bad_files);
	suite_add_tcase(s, ti);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
