/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The test pattern of lastframe-testsrc, and its checker.
 *
 * Every frame carries a 64-bit tag in a grid of 8x8-pixel black/white blocks,
 * row-major from the top-left corner (w/8 blocks per row): bit i of the tag
 * is block i, white = 1. Tag bits 0..31 are the frame counter, 32..39 the
 * pattern format (enum lf_pattern_format), 40..63 a check value, so a frame
 * that is not one of ours (or a stale/garbled tag) is recognised.
 * Every other pixel is a deterministic function of (counter, x, y), so a
 * frame that mixes two counters (tearing, stale buffer) or is shifted/scaled
 * fails the check.
 *
 * RGB formats store the 8-bit value exactly (10-bit formats replicate the
 * top bits, v10 = v << 2 | v >> 6, so truncating and rounding readers both
 * get v back). NV12 is grey (U = V = 128) with luma in 16..235: readers may
 * expand limited range or not, so the checker accepts either, with a
 * tolerance.
 *
 * Pure C, libc only: unit tests may compile this file directly.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LF_PATTERN_BLOCK 8
#define LF_PATTERN_BITS 64

enum lf_pattern_format {
	LF_PATTERN_BGRx = 1,
	LF_PATTERN_BGRA,
	LF_PATTERN_RGBx,
	LF_PATTERN_RGBA,
	LF_PATTERN_xRGB2101010,
	LF_PATTERN_xBGR2101010,
	LF_PATTERN_NV12,
	LF_PATTERN_FORMAT_MAX = LF_PATTERN_NV12,
};

/* Name ↔ format ("BGRx", "NV12", ...); 0 / NULL when unknown. */
enum lf_pattern_format lf_pattern_format_from_name(const char *name);
const char *lf_pattern_format_name(enum lf_pattern_format f);
/* Bytes per pixel of plane 0 (NV12: 1). */
uint32_t lf_pattern_bpp(enum lf_pattern_format f);
uint32_t lf_pattern_n_planes(enum lf_pattern_format f);
/* Is the size big enough for the tag grid (and even for NV12)? */
bool lf_pattern_size_ok(enum lf_pattern_format f, uint32_t width, uint32_t height);

/* The 64-bit tag for (counter, format). */
uint64_t lf_pattern_tag(uint32_t counter, enum lf_pattern_format f);

/* The 8-bit RGB a reader should see at (x, y). For NV12 this is the grey
 * luma value (16..235, not range-expanded). */
void lf_pattern_rgb(uint32_t counter, enum lf_pattern_format f, uint32_t width,
		    uint32_t x, uint32_t y, uint8_t rgb[3]);

/* Draw frame `counter` into the planes (NV12: planes[0] Y, planes[1] UV). */
void lf_pattern_fill(enum lf_pattern_format f, uint32_t counter, uint32_t width,
		     uint32_t height, uint8_t *const planes[], const uint32_t strides[]);

/* Fill with a fixed colour that carries no valid tag (for buffers that must
 * never reach a client: cursor-only and CORRUPTED ones). */
void lf_pattern_fill_poison(enum lf_pattern_format f, uint32_t width, uint32_t height,
			    uint8_t *const planes[], const uint32_t strides[]);

struct lf_pattern_result {
	bool tag_ok;            /* a valid tag was found */
	bool complete;          /* tag ok and every pixel as expected */
	uint32_t counter;
	enum lf_pattern_format format;
	uint64_t bad_pixels;
	uint32_t first_bad_x, first_bad_y;
	const char *error;      /* static text when !complete */
};

/* Check an 8-bit RGB image (3 bytes per pixel, `stride` bytes per row). */
void lf_pattern_check_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, size_t stride,
			  struct lf_pattern_result *res);
