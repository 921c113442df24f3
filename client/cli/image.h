/* SPDX-License-Identifier: MIT */
#pragma once
/* Image files: PNG (libpng) and binary PPM, written atomically. */
#include <stddef.h>
#include <stdint.h>

enum lf_image_type {
	LF_IMAGE_NONE = 0,
	LF_IMAGE_PNG,
	LF_IMAGE_PPM,
};

/* From the file name's extension (case-insensitive); LF_IMAGE_NONE if unknown. */
enum lf_image_type lf_image_type_from_name(const char *path);

/* What to write: 8 bits per channel, 3 (RGB) or 4 (RGBA) channels; PPM
 * takes 3 only. */
struct lf_image_desc {
	enum lf_image_type type;
	uint32_t width, height;
	unsigned channels;
};

/* Produces rows [y, y + n) into out, rows of stride bytes; <0 stops the write. */
typedef int (*lf_image_rows_fn)(void *data, uint32_t y, uint32_t n, uint8_t *out, size_t stride);

/* Writes the image a band of rows at a time (a cache-sized buffer, not a
 * whole-picture copy: at 1080p that saves faulting in 6 MB) to a temporary
 * file next to path, then renames it over path, so readers never see a
 * partial image and a full disk leaves nothing behind. Returns -errno (or
 * rows()'s error); *what names the step that failed ("create", "write",
 * "rename"). */
int lf_image_write_rows(const struct lf_image_desc *d, lf_image_rows_fn rows, void *data,
			const char *path, const char **what);

/* A whole picture in memory, for callers that have one (and the tests). */
struct lf_image {
	struct lf_image_desc desc;
	size_t stride;
	uint8_t *pixels;
};

int lf_image_alloc(struct lf_image *img, enum lf_image_type type, uint32_t width,
		   uint32_t height, unsigned channels);
void lf_image_free(struct lf_image *img);
int lf_image_write(const struct lf_image *img, const char *path, const char **what);
