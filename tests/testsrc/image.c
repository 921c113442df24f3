/* SPDX-License-Identifier: MIT */
#include "tests/testsrc/image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <png.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIM 16384

static int ppm_token(FILE *f, unsigned long *out)
{
	int c;
	unsigned long v = 0;
	bool any = false;

	/* Whitespace and '#' comments may sit between header fields. */
	for (;;) {
		c = getc(f);
		if (c == '#') {
			while (c != '\n' && c != EOF)
				c = getc(f);
		} else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			break;
		}
	}
	while (c >= '0' && c <= '9') {
		any = true;
		v = v * 10 + (unsigned long)(c - '0');
		if (v > 1000000)
			return -EINVAL;
		c = getc(f);
	}
	/* Exactly one whitespace byte ends the header: c consumed it. */
	if (!any || (c != ' ' && c != '\t' && c != '\n' && c != '\r'))
		return -EINVAL;
	*out = v;
	return 0;
}

static int read_ppm(FILE *f, struct lf_image *img, const char **why)
{
	unsigned long w, h, maxval;
	size_t bps, row_in;
	uint8_t *line = NULL;
	int r = -EINVAL;

	if (getc(f) != 'P' || getc(f) != '6') {
		*why = "not a binary PPM (P6)";
		return -EINVAL;
	}
	if (ppm_token(f, &w) < 0 || ppm_token(f, &h) < 0 || ppm_token(f, &maxval) < 0 ||
	    w == 0 || h == 0 || w > MAX_DIM || h > MAX_DIM || maxval == 0 || maxval > 65535) {
		*why = "bad PPM header";
		return -EINVAL;
	}
	bps = maxval > 255 ? 2 : 1;
	row_in = w * 3 * bps;
	img->width = w;
	img->height = h;
	img->stride = w * 3;
	img->rgb = malloc(img->stride * h);
	line = malloc(row_in);
	if (!img->rgb || !line) {
		*why = "out of memory";
		r = -ENOMEM;
		goto out;
	}
	for (unsigned long y = 0; y < h; y++) {
		if (fread(line, 1, row_in, f) != row_in) {
			*why = "PPM file is truncated";
			goto out;
		}
		for (unsigned long i = 0; i < w * 3; i++) {
			unsigned long v = bps == 2 ? (unsigned long)line[2 * i] << 8 | line[2 * i + 1] : line[i];
			if (v > maxval) {
				*why = "PPM sample above maxval";
				goto out;
			}
			img->rgb[y * img->stride + i] = (uint8_t)((v * 255 + maxval / 2) / maxval);
		}
	}
	r = 0;
out:
	free(line);
	if (r < 0) {
		free(img->rgb);
		img->rgb = NULL;
	}
	return r;
}

static void png_error_fn(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void png_warn_fn(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static int read_png(FILE *f, struct lf_image *img, const char **why)
{
	png_structp png;
	png_infop info = NULL;
	png_bytep *volatile rows = NULL;
	uint8_t *volatile pixels = NULL;
	png_uint_32 w, h;
	int depth, color;
	volatile int r = -EINVAL;

	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, png_error_fn, png_warn_fn);
	if (!png || !(info = png_create_info_struct(png))) {
		*why = "out of memory";
		r = -ENOMEM;
		goto out;
	}
	if (setjmp(png_jmpbuf(png))) {
		*why = "corrupt PNG file";
		r = -EINVAL;
		goto out;
	}
	png_set_user_limits(png, MAX_DIM, MAX_DIM);
	png_init_io(png, f);
	png_read_info(png, info);
	png_get_IHDR(png, info, &w, &h, &depth, &color, NULL, NULL, NULL);
	/* Normalise everything to 8-bit RGB, no alpha. 16-bit samples keep
	 * their high byte (no gamma/linear conversion: the pattern is exact). */
	if (color == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, info, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png);
	if (depth == 16)
		png_set_strip_16(png);
	if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
		png_set_gray_to_rgb(png);
	png_set_strip_alpha(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	if (png_get_rowbytes(png, info) != (size_t)w * 3) {
		*why = "unsupported PNG layout";
		goto out;
	}
	pixels = malloc((size_t)w * 3 * h);
	rows = malloc(sizeof(*rows) * h);
	if (!pixels || !rows) {
		*why = "out of memory";
		r = -ENOMEM;
		goto out;
	}
	for (png_uint_32 y = 0; y < h; y++)
		rows[y] = pixels + (size_t)y * w * 3;
	png_read_image(png, rows);
	png_read_end(png, NULL);
	img->width = w;
	img->height = h;
	img->stride = (size_t)w * 3;
	img->rgb = pixels;
	pixels = NULL;
	r = 0;
out:
	png_destroy_read_struct(&png, info ? &info : NULL, NULL);
	free(rows);
	free(pixels);
	return r;
}

int lf_image_read(const char *path, struct lf_image *img, const char **why)
{
	unsigned char magic[8];
	FILE *f;
	int r;

	memset(img, 0, sizeof(*img));
	f = fopen(path, "rbe");
	if (!f) {
		*why = "cannot open the file";
		return -errno;
	}
	if (fread(magic, 1, sizeof(magic), f) != sizeof(magic)) {
		*why = "file too short";
		r = -EINVAL;
		goto out;
	}
	rewind(f);
	if (png_sig_cmp(magic, 0, 8) == 0)
		r = read_png(f, img, why);
	else if (magic[0] == 'P' && magic[1] == '6')
		r = read_ppm(f, img, why);
	else {
		*why = "neither PNG nor binary PPM (P6)";
		r = -EINVAL;
	}
out:
	fclose(f);
	return r;
}
