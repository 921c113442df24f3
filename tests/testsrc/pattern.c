/* SPDX-License-Identifier: MIT */
#include "tests/testsrc/pattern.h"

#include <string.h>

static const char *const format_names[] = {
	[LF_PATTERN_BGRx] = "BGRx",
	[LF_PATTERN_BGRA] = "BGRA",
	[LF_PATTERN_RGBx] = "RGBx",
	[LF_PATTERN_RGBA] = "RGBA",
	[LF_PATTERN_xRGB2101010] = "xRGB2101010",
	[LF_PATTERN_xBGR2101010] = "xBGR2101010",
	[LF_PATTERN_NV12] = "NV12",
};

/* NV12 readers may or may not expand limited range and round differently. */
#define NV12_TOLERANCE 6

enum lf_pattern_format lf_pattern_format_from_name(const char *name)
{
	for (int f = 1; f <= LF_PATTERN_FORMAT_MAX; f++)
		if (strcmp(name, format_names[f]) == 0)
			return f;
	return 0;
}

const char *lf_pattern_format_name(enum lf_pattern_format f)
{
	if (f < 1 || f > LF_PATTERN_FORMAT_MAX)
		return NULL;
	return format_names[f];
}

uint32_t lf_pattern_bpp(enum lf_pattern_format f)
{
	return f == LF_PATTERN_NV12 ? 1 : 4;
}

uint32_t lf_pattern_n_planes(enum lf_pattern_format f)
{
	return f == LF_PATTERN_NV12 ? 2 : 1;
}

bool lf_pattern_size_ok(enum lf_pattern_format f, uint32_t width, uint32_t height)
{
	uint64_t blocks = (uint64_t)(width / LF_PATTERN_BLOCK) * (height / LF_PATTERN_BLOCK);

	if (width > 16384 || height > 16384 || blocks < LF_PATTERN_BITS)
		return false;
	if (f == LF_PATTERN_NV12 && ((width | height) & 1))
		return false;
	return true;
}

static uint32_t check_bits(uint32_t counter, uint32_t f)
{
	uint32_t h = counter * 2654435761u ^ (f * 0x85ebca6bu) ^ 0x5bd1e995u;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h & 0xffffff;
}

uint64_t lf_pattern_tag(uint32_t counter, enum lf_pattern_format f)
{
	return (uint64_t)counter | (uint64_t)(f & 0xff) << 32 |
	       (uint64_t)check_bits(counter, f) << 40;
}

/* Which tag bit (x, y) shows, or -1 outside the grid. */
static int tag_bit_at(uint32_t width, uint32_t x, uint32_t y)
{
	uint32_t per_row = width / LF_PATTERN_BLOCK;
	uint32_t bx = x / LF_PATTERN_BLOCK, by = y / LF_PATTERN_BLOCK;
	uint64_t i;

	if (bx >= per_row)
		return -1;
	i = (uint64_t)by * per_row + bx;
	return i < LF_PATTERN_BITS ? (int)i : -1;
}

void lf_pattern_rgb(uint32_t counter, enum lf_pattern_format f, uint32_t width,
		    uint32_t x, uint32_t y, uint8_t rgb[3])
{
	int bit = tag_bit_at(width, x, y);

	if (bit >= 0) {
		bool on = (lf_pattern_tag(counter, f) >> bit) & 1;
		uint8_t v = f == LF_PATTERN_NV12 ? (on ? 235 : 16) : (on ? 255 : 0);
		rgb[0] = rgb[1] = rgb[2] = v;
		return;
	}
	if (f == LF_PATTERN_NV12) {
		rgb[0] = rgb[1] = rgb[2] = (uint8_t)(16 + (x % 220 + 2 * (y % 220) + 3 * (counter % 220)) % 220);
		return;
	}
	/* Every channel moves with the counter by a different step, so two
	 * counters give equal pixels only when they differ by a multiple of 256
	 * in all three. */
	rgb[0] = (uint8_t)(x + 3 * counter);
	rgb[1] = (uint8_t)(y + 5 * counter);
	rgb[2] = (uint8_t)((x >> 3) + 7 * (y >> 3) + 11 * counter);
}

static inline uint32_t to10(uint8_t v)
{
	return (uint32_t)v << 2 | v >> 6;
}

static void store_pixel(enum lf_pattern_format f, uint8_t *p, const uint8_t rgb[3])
{
	uint32_t w;

	switch (f) {
	case LF_PATTERN_BGRx:
	case LF_PATTERN_BGRA:
		p[0] = rgb[2]; p[1] = rgb[1]; p[2] = rgb[0]; p[3] = 0xff;
		break;
	case LF_PATTERN_RGBx:
	case LF_PATTERN_RGBA:
		p[0] = rgb[0]; p[1] = rgb[1]; p[2] = rgb[2]; p[3] = 0xff;
		break;
	case LF_PATTERN_xRGB2101010:
		w = 3u << 30 | to10(rgb[0]) << 20 | to10(rgb[1]) << 10 | to10(rgb[2]);
		p[0] = w; p[1] = w >> 8; p[2] = w >> 16; p[3] = w >> 24;
		break;
	case LF_PATTERN_xBGR2101010:
		w = 3u << 30 | to10(rgb[2]) << 20 | to10(rgb[1]) << 10 | to10(rgb[0]);
		p[0] = w; p[1] = w >> 8; p[2] = w >> 16; p[3] = w >> 24;
		break;
	default:
		p[0] = rgb[0];
		break;
	}
}

static void fill_chroma(uint32_t width, uint32_t height, uint8_t *uv, uint32_t stride)
{
	for (uint32_t y = 0; y < height / 2; y++)
		memset(uv + (size_t)y * stride, 128, width);
}

/* One row of expected RGB: the tag rows through lf_pattern_rgb, the rest
 * with the same formula computed incrementally (it runs for every frame). */
static void pattern_row(uint32_t counter, enum lf_pattern_format f, uint32_t width, uint32_t y,
			uint8_t *rgb)
{
	uint32_t per_row = width / LF_PATTERN_BLOCK;
	uint32_t tag_rows = (LF_PATTERN_BITS + per_row - 1) / per_row * LF_PATTERN_BLOCK;

	if (y < tag_rows) {
		for (uint32_t x = 0; x < width; x++)
			lf_pattern_rgb(counter, f, width, x, y, rgb + (size_t)x * 3);
		return;
	}
	if (f == LF_PATTERN_NV12) {
		uint32_t v = (2 * (y % 220) + 3 * (counter % 220)) % 220;
		for (uint32_t x = 0; x < width; x++) {
			rgb[x * 3] = rgb[x * 3 + 1] = rgb[x * 3 + 2] = (uint8_t)(16 + v);
			if (++v == 220)
				v = 0;
		}
		return;
	}
	uint8_t r = (uint8_t)(3 * counter), g = (uint8_t)(y + 5 * counter);
	uint8_t b0 = (uint8_t)(7 * (y >> 3) + 11 * counter);
	for (uint32_t x = 0; x < width; x++, r++) {
		rgb[x * 3] = r;
		rgb[x * 3 + 1] = g;
		rgb[x * 3 + 2] = (uint8_t)(b0 + (x >> 3));
	}
}

static void store_row(enum lf_pattern_format f, uint8_t *dst, const uint8_t *rgb, uint32_t width)
{
	/* Per-format loops: this runs for every pixel of every frame. */
	switch (f) {
	case LF_PATTERN_BGRx:
	case LF_PATTERN_BGRA:
		for (uint32_t x = 0; x < width; x++, dst += 4, rgb += 3) {
			dst[0] = rgb[2]; dst[1] = rgb[1]; dst[2] = rgb[0]; dst[3] = 0xff;
		}
		break;
	case LF_PATTERN_RGBx:
	case LF_PATTERN_RGBA:
		for (uint32_t x = 0; x < width; x++, dst += 4, rgb += 3) {
			dst[0] = rgb[0]; dst[1] = rgb[1]; dst[2] = rgb[2]; dst[3] = 0xff;
		}
		break;
	case LF_PATTERN_NV12:
		for (uint32_t x = 0; x < width; x++)
			dst[x] = rgb[x * 3];
		break;
	default:
		for (uint32_t x = 0; x < width; x++)
			store_pixel(f, dst + (size_t)x * 4, rgb + (size_t)x * 3);
		break;
	}
}

void lf_pattern_fill(enum lf_pattern_format f, uint32_t counter, uint32_t width,
		     uint32_t height, uint8_t *const planes[], const uint32_t strides[])
{
	uint8_t rgb[16384 * 3];

	if (width > 16384)
		return;
	for (uint32_t y = 0; y < height; y++) {
		pattern_row(counter, f, width, y, rgb);
		store_row(f, planes[0] + (size_t)y * strides[0], rgb, width);
	}
	if (f == LF_PATTERN_NV12)
		fill_chroma(width, height, planes[1], strides[1]);
}

void lf_pattern_fill_poison(enum lf_pattern_format f, uint32_t width, uint32_t height,
			    uint8_t *const planes[], const uint32_t strides[])
{
	static const uint8_t poison[3] = { 0x80, 0x40, 0xc0 };
	uint32_t bpp = lf_pattern_bpp(f);

	for (uint32_t y = 0; y < height; y++) {
		uint8_t *row = planes[0] + (size_t)y * strides[0];
		for (uint32_t x = 0; x < width; x++)
			store_pixel(f, row + (size_t)x * bpp, poison);
	}
	if (f == LF_PATTERN_NV12)
		fill_chroma(width, height, planes[1], strides[1]);
}

/* Mean brightness of the middle 4x4 pixels of block i. */
static unsigned block_level(const uint8_t *rgb, uint32_t width, size_t stride, unsigned i)
{
	uint32_t per_row = width / LF_PATTERN_BLOCK;
	uint32_t x0 = (i % per_row) * LF_PATTERN_BLOCK + 2, y0 = (i / per_row) * LF_PATTERN_BLOCK + 2;
	unsigned sum = 0;

	for (uint32_t y = y0; y < y0 + 4; y++)
		for (uint32_t x = x0; x < x0 + 4; x++) {
			const uint8_t *p = rgb + y * stride + (size_t)x * 3;
			sum += p[0] + p[1] + p[2];
		}
	return sum / 48;
}

/* NV12 luma L as a reader shows it: as is (full range) or expanded from
 * limited range. Pick whichever the black/white blocks say. */
static int nv12_expected(uint8_t luma, bool expanded)
{
	if (!expanded)
		return luma;
	int v = ((int)luma - 16) * 255 / 219;
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

void lf_pattern_check_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, size_t stride,
			  struct lf_pattern_result *res)
{
	uint64_t tag = 0;
	uint32_t counter, f;
	bool expanded = false;
	unsigned lo = 255;

	memset(res, 0, sizeof(*res));
	if ((uint64_t)(width / LF_PATTERN_BLOCK) * (height / LF_PATTERN_BLOCK) < LF_PATTERN_BITS) {
		res->error = "image too small for the tag grid";
		return;
	}
	for (unsigned i = 0; i < LF_PATTERN_BITS; i++) {
		unsigned level = block_level(rgb, width, stride, i);
		if (level >= 128)
			tag |= 1ull << i;
		else if (level < lo)
			lo = level;
	}
	counter = (uint32_t)tag;
	f = (tag >> 32) & 0xff;
	if (f < 1 || f > LF_PATTERN_FORMAT_MAX || lf_pattern_tag(counter, f) != tag) {
		res->error = "no valid frame tag (not a testsrc frame, or garbled)";
		return;
	}
	res->tag_ok = true;
	res->counter = counter;
	res->format = f;
	/* Black tag blocks read ~0 when the reader expanded limited range, ~16 if not. */
	expanded = lo < 8;

	for (uint32_t y = 0; y < height; y++) {
		const uint8_t *row = rgb + y * stride;
		for (uint32_t x = 0; x < width; x++) {
			uint8_t want[3];
			const uint8_t *p = row + (size_t)x * 3;
			bool ok;

			lf_pattern_rgb(counter, f, width, x, y, want);
			if (f == LF_PATTERN_NV12) {
				int e = nv12_expected(want[0], expanded);
				ok = true;
				for (int c = 0; c < 3; c++) {
					int d = (int)p[c] - e;
					if (d > NV12_TOLERANCE || d < -NV12_TOLERANCE)
						ok = false;
				}
			} else {
				ok = p[0] == want[0] && p[1] == want[1] && p[2] == want[2];
			}
			if (!ok) {
				if (res->bad_pixels++ == 0) {
					res->first_bad_x = x;
					res->first_bad_y = y;
				}
			}
		}
	}
	if (res->bad_pixels) {
		res->error = "pixels differ from the pattern of this counter";
		return;
	}
	res->complete = true;
}
