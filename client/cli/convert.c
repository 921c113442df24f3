/* SPDX-License-Identifier: MIT */
/*
 * Pixel conversion. One tight loop per (format, output channels): the switch
 * happens once per picture, never per pixel, because `lastframe grab` has a
 * 15 ms budget at 1080p and a per-pixel indirect call alone would eat it.
 */
#include <drm_fourcc.h>
#include <errno.h>
#include <string.h>

#include "client/cli/convert.h"

bool lf_convert_supported(uint32_t f)
{
	switch (f) {
	case DRM_FORMAT_XRGB8888: case DRM_FORMAT_ARGB8888:
	case DRM_FORMAT_XBGR8888: case DRM_FORMAT_ABGR8888:
	case DRM_FORMAT_XRGB2101010: case DRM_FORMAT_XBGR2101010:
	case DRM_FORMAT_NV12:
		return true;
	}
	return false;
}

bool lf_convert_has_alpha(uint32_t f)
{
	return f == DRM_FORMAT_ARGB8888 || f == DRM_FORMAT_ABGR8888;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* SSSE3 byte shuffles, 4 pixels per step (16 bytes in, 12 or 16 out): about
 * 4x the plain loop. Chosen once per row by a cached CPU check, so builds
 * stay baseline x86-64 and run anywhere. */
__attribute__((target("ssse3")))
static uint32_t shuffle_ssse3(const uint8_t *s, uint8_t *d, uint32_t w, unsigned ch,
			      const int8_t mask[16])
{
	__m128i m = _mm_loadu_si128((const __m128i *)mask);
	uint32_t x = 0;

	/* Each store writes 16 bytes: stop while they still fit in the row. */
	for (; (size_t)x * ch + 16 <= (size_t)w * ch; x += 4) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + (size_t)x * 4));
		_mm_storeu_si128((__m128i *)(d + (size_t)x * ch), _mm_shuffle_epi8(v, m));
	}
	return x;
}

static uint32_t shuffle_prefix(const uint8_t *s, uint8_t *d, uint32_t w, unsigned ch,
			       const int8_t mask[16])
{
	static int ssse3 = -1;

	if (ssse3 < 0)
		ssse3 = __builtin_cpu_supports("ssse3") ? 1 : 0;
	return ssse3 ? shuffle_ssse3(s, d, w, ch, mask) : 0;
}
#else
static uint32_t shuffle_prefix(const uint8_t *s, uint8_t *d, uint32_t w, unsigned ch,
			       const int8_t mask[16])
{
	return 0;
}
#endif

/* Shuffle masks: output byte i takes input byte mask[i]; -128 writes 0. */
#define MASK_RGB(r, g, b) { (r), (g), (b), 4 + (r), 4 + (g), 4 + (b), 8 + (r), 8 + (g), \
			    8 + (b), 12 + (r), 12 + (g), 12 + (b), -128, -128, -128, -128 }
#define MASK_RGBA(r, g, b, a) { (r), (g), (b), (a), 4 + (r), 4 + (g), 4 + (b), 4 + (a), \
				8 + (r), 8 + (g), 8 + (b), 8 + (a), 12 + (r), 12 + (g),  \
				12 + (b), 12 + (a) }

/* 8-bit, 4 bytes per pixel; ri/gi/bi/ai are byte positions in memory (ai -1:
 * no alpha, output 0xff). The vector prefix does what it can, the scalar
 * loop the rest of the row. */
#define DEFINE_CONV32(name, ri, gi, bi, ai)                                          \
	static void name##_rgb(const uint8_t *s, uint8_t *d, uint32_t w)                 \
	{                                                                                \
		static const int8_t mask[16] = MASK_RGB(ri, gi, bi);                     \
		uint32_t x = shuffle_prefix(s, d, w, 3, mask);                           \
		for (s += (size_t)x * 4, d += (size_t)x * 3; x < w; x++, s += 4, d += 3) { \
			d[0] = s[ri];                                                    \
			d[1] = s[gi];                                                    \
			d[2] = s[bi];                                                    \
		}                                                                        \
	}                                                                                \
	static void name##_rgba(const uint8_t *s, uint8_t *d, uint32_t w)                \
	{                                                                                \
		static const int8_t mask[16] = MASK_RGBA(ri, gi, bi, (ai) < 0 ? 0 : (ai)); \
		uint32_t x = (ai) < 0 ? 0 : shuffle_prefix(s, d, w, 4, mask);            \
		for (s += (size_t)x * 4, d += (size_t)x * 4; x < w; x++, s += 4, d += 4) { \
			d[0] = s[ri];                                                    \
			d[1] = s[gi];                                                    \
			d[2] = s[bi];                                                    \
			d[3] = (ai) < 0 ? 0xff : s[(ai) < 0 ? 0 : (ai)];                 \
		}                                                                        \
	}

DEFINE_CONV32(bgrx, 2, 1, 0, -1) /* XR24: memory B G R x */
DEFINE_CONV32(bgra, 2, 1, 0, 3)  /* AR24 */
DEFINE_CONV32(rgbx, 0, 1, 2, -1) /* XB24: memory R G B x */
DEFINE_CONV32(rgba, 0, 1, 2, 3)  /* AB24 */

static inline uint32_t load_le32(const uint8_t *s)
{
	return (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
}

/* 10-bit → 8-bit by dropping the two low bits: the exact inverse of the usual
 * 8 → 10 expansion (v << 2 | v >> 6). rs/bs: shift of red and blue. */
#define DEFINE_CONV30(name, rs, bs)                                                  \
	static void name(const uint8_t *s, uint8_t *d, uint32_t w, unsigned ch)          \
	{                                                                                \
		for (uint32_t x = 0; x < w; x++, s += 4, d += ch) {                      \
			uint32_t v = load_le32(s);                                       \
			d[0] = (uint8_t)((v >> ((rs) + 2)) & 0xff);                      \
			d[1] = (uint8_t)((v >> 12) & 0xff);                              \
			d[2] = (uint8_t)((v >> ((bs) + 2)) & 0xff);                      \
			if (ch == 4)                                                     \
				d[3] = 0xff;                                             \
		}                                                                        \
	}

DEFINE_CONV30(xrgb30, 20, 0) /* XR30: [29:20] R [19:10] G [9:0] B */
DEFINE_CONV30(xbgr30, 0, 20) /* XB30: [29:20] B [19:10] G [9:0] R */

/* Branch-free on the common in-range path: out of range maps to 0 or 255. */
static inline uint8_t clamp8(int v)
{
	if ((unsigned)v > 255)
		v = ~v >> 31 & 255;
	return (uint8_t)v;
}

/* BT.601 limited range, 16.16 fixed point. */
#define YC 76309   /* 255/219 */
#define RV 104597  /* 1.596 */
#define GU -25675  /* -0.392 */
#define GV -53279  /* -0.813 */
#define BU 132201  /* 2.018 */

static inline __attribute__((always_inline)) void nv12_px(uint8_t *d, int c, int rv, int guv,
							  int bu, unsigned ch)
{
	d[0] = clamp8((c + rv) >> 16);
	d[1] = clamp8((c + guv) >> 16);
	d[2] = clamp8((c + bu) >> 16);
	if (ch == 4)
		d[3] = 0xff;
}

/* Two pixels per chroma sample: the chroma terms are computed once per pair.
 * Inlined with a constant ch, so each output layout gets its own loop. */
static inline __attribute__((always_inline)) void nv12_row(const uint8_t *y, const uint8_t *uv,
							   uint32_t x, uint32_t w,
							   uint8_t *d, unsigned ch)
{
	uint32_t end = x + w;

	while (x < end) {
		const uint8_t *c = uv + (x & ~1u);
		int u = (int)c[0] - 128, v = (int)c[1] - 128;
		int rv = RV * v + 32768, guv = GU * u + GV * v + 32768, bu = BU * u + 32768;

		nv12_px(d, ((int)y[x] - 16) * YC, rv, guv, bu, ch);
		d += ch;
		/* The pair's second pixel, unless the row (or a crop) ends or
		 * starts mid-pair. */
		if (!(x & 1) && x + 1 < end) {
			nv12_px(d, ((int)y[x + 1] - 16) * YC, rv, guv, bu, ch);
			d += ch;
			x++;
		}
		x++;
	}
}

static void nv12_row_rgb(const uint8_t *y, const uint8_t *uv, uint32_t x, uint32_t w, uint8_t *d)
{
	nv12_row(y, uv, x, w, d, 3);
}

static void nv12_row_rgba(const uint8_t *y, const uint8_t *uv, uint32_t x, uint32_t w, uint8_t *d)
{
	nv12_row(y, uv, x, w, d, 4);
}

static bool rows_fit(const struct lf_src_plane *p, uint32_t last_row, size_t row_end)
{
	return (uint64_t)last_row * p->stride + row_end <= p->size;
}

static int convert_nv12(uint32_t height, const struct lf_src_plane *planes, unsigned n_planes,
			const struct lf_region *r, unsigned ch, uint8_t *out, size_t out_stride)
{
	struct lf_src_plane yp = planes[0], uvp;
	uint32_t last = r->y + r->height - 1;

	if (n_planes >= 2) {
		uvp = planes[1];
	} else {
		size_t ysize = (size_t)yp.stride * height;
		if (ysize > yp.size)
			return -EBADMSG;
		uvp.data = yp.data + ysize;
		uvp.size = yp.size - ysize;
		uvp.stride = yp.stride;
	}
	/* The UV row of the last pixel is (x & ~1) + 2 bytes wide. */
	if (!rows_fit(&yp, last, (size_t)r->x + r->width) ||
	    !rows_fit(&uvp, last / 2, (((size_t)r->x + r->width - 1) & ~(size_t)1) + 2))
		return -EBADMSG;
	for (uint32_t j = 0; j < r->height; j++) {
		uint32_t y = r->y + j;
		const uint8_t *yrow = yp.data + (size_t)y * yp.stride;
		const uint8_t *uvrow = uvp.data + (size_t)(y / 2) * uvp.stride;
		if (ch == 3)
			nv12_row_rgb(yrow, uvrow, r->x, r->width, out + j * out_stride);
		else
			nv12_row_rgba(yrow, uvrow, r->x, r->width, out + j * out_stride);
	}
	return 0;
}

int lf_convert(uint32_t f, uint32_t width, uint32_t height, const struct lf_src_plane *planes,
	       unsigned n_planes, const struct lf_region *r, unsigned ch, uint8_t *out,
	       size_t out_stride)
{
	const struct lf_src_plane *p = &planes[0];

	if (ch != 3 && ch != 4)
		return -EINVAL;
	if (!lf_convert_supported(f))
		return -ENOTSUP;
	if (n_planes < 1 || r->width == 0 || r->height == 0 || r->x >= width || r->y >= height ||
	    r->width > width - r->x || r->height > height - r->y ||
	    out_stride < (size_t)r->width * ch)
		return -EINVAL;
	if (f == DRM_FORMAT_NV12)
		return convert_nv12(height, planes, n_planes, r, ch, out, out_stride);

	if (p->stride < (uint64_t)width * 4 ||
	    !rows_fit(p, r->y + r->height - 1, ((size_t)r->x + r->width) * 4))
		return -EBADMSG;
	for (uint32_t j = 0; j < r->height; j++) {
		const uint8_t *s = p->data + (size_t)(r->y + j) * p->stride + (size_t)r->x * 4;
		uint8_t *d = out + j * out_stride;
		switch (f) {
		case DRM_FORMAT_XRGB8888: ch == 3 ? bgrx_rgb(s, d, r->width) : bgrx_rgba(s, d, r->width); break;
		case DRM_FORMAT_ARGB8888: ch == 3 ? bgra_rgb(s, d, r->width) : bgra_rgba(s, d, r->width); break;
		case DRM_FORMAT_XBGR8888: ch == 3 ? rgbx_rgb(s, d, r->width) : rgbx_rgba(s, d, r->width); break;
		case DRM_FORMAT_ABGR8888: ch == 3 ? rgba_rgb(s, d, r->width) : rgba_rgba(s, d, r->width); break;
		case DRM_FORMAT_XRGB2101010: xrgb30(s, d, r->width, ch); break;
		case DRM_FORMAT_XBGR2101010: xbgr30(s, d, r->width, ch); break;
		}
	}
	return 0;
}
