/* SPDX-License-Identifier: MIT */
#pragma once
/* Read a PNG (any bit depth/colour type) or a binary PPM (P6) into 8-bit RGB. */
#include <stddef.h>
#include <stdint.h>

struct lf_image {
	uint32_t width, height;
	size_t stride;  /* width * 3 */
	uint8_t *rgb;   /* owned; free() it */
};

/* Detects the type from the file's magic. Negative errno on failure; *why
 * gets a static explanation. */
int lf_image_read(const char *path, struct lf_image *img, const char **why);
