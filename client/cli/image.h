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

/* A picture in memory, 8 bits per channel, 3 (RGB) or 4 (RGBA) channels.
 * For PPM it is prepared with its header in front (lf_image_alloc does it),
 * so the whole file goes out in one write. */
struct lf_image {
	enum lf_image_type type;
	uint32_t width, height;
	unsigned channels;
	size_t stride;
	uint8_t *pixels; /* inside buf */
	uint8_t *buf;
	size_t header_len;
};

/* channels is forced to 3 for PPM. */
int lf_image_alloc(struct lf_image *img, enum lf_image_type type, uint32_t width,
		   uint32_t height, unsigned channels);
void lf_image_free(struct lf_image *img);

/* Writes a temporary file next to path and renames it over path, so readers
 * never see a partial image (a full disk leaves nothing behind). Returns
 * -errno; *what says which step failed ("create", "write", "rename"). */
int lf_image_write(const struct lf_image *img, const char *path, const char **what);
