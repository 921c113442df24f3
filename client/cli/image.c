/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/cli/image.h"

enum lf_image_type lf_image_type_from_name(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');

	if (!dot || (slash && dot < slash))
		return LF_IMAGE_NONE;
	if (!strcasecmp(dot, ".png"))
		return LF_IMAGE_PNG;
	if (!strcasecmp(dot, ".ppm"))
		return LF_IMAGE_PPM;
	return LF_IMAGE_NONE;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct png_sink {
	int fd;
	int err;
	uint8_t buf[256 * 1024]; /* a few big writes rather than libpng's 8 KiB ones */
	size_t used;
};

static void png_sink_flush(struct png_sink *s)
{
	if (!s->err && s->used)
		s->err = write_all(s->fd, s->buf, s->used);
	s->used = 0;
}

static void png_write_cb(png_structp png, png_bytep data, size_t len)
{
	struct png_sink *s = png_get_io_ptr(png);

	while (len > 0 && !s->err) {
		size_t k = sizeof(s->buf) - s->used;
		if (k > len)
			k = len;
		memcpy(s->buf + s->used, data, k);
		s->used += k;
		data += k;
		len -= k;
		if (s->used == sizeof(s->buf))
			png_sink_flush(s);
	}
}

static void png_flush_cb(png_structp png)
{
	png_sink_flush(png_get_io_ptr(png));
}

static void png_error_cb(png_structp png, png_const_charp msg)
{
	png_longjmp(png, 1);
}

static void png_warn_cb(png_structp png, png_const_charp msg)
{
}

/* Rows per band: about 256 KiB, so the band stays in cache between the
 * conversion that fills it and the write that empties it. */
#define BAND_MAX_ROWS 1024

static uint32_t band_rows(size_t stride, uint32_t height)
{
	size_t n = (256 * 1024) / (stride ? stride : 1);

	if (n < 1)
		n = 1;
	if (n > BAND_MAX_ROWS)
		n = BAND_MAX_ROWS;
	return n > height ? height : (uint32_t)n;
}

static int write_ppm(const struct lf_image_desc *d, lf_image_rows_fn rows, void *data, int fd,
		     uint8_t *band, size_t stride, uint32_t nb)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), "P6\n%u %u\n255\n", d->width, d->height);
	int r = write_all(fd, (const uint8_t *)hdr, (size_t)n);

	for (uint32_t y = 0; r == 0 && y < d->height; y += nb) {
		uint32_t k = d->height - y < nb ? d->height - y : nb;
		r = rows(data, y, k, band, stride);
		if (r == 0)
			r = write_all(fd, band, stride * k);
	}
	return r;
}

static int write_png(const struct lf_image_desc *d, lf_image_rows_fn rows, void *data, int fd,
		     uint8_t *band, size_t stride, uint32_t nb)
{
	png_structp png = NULL;
	png_infop info = NULL;
	png_bytep ptrs[BAND_MAX_ROWS];
	struct png_sink *sink;
	int r = -ENOMEM;

	sink = calloc(1, sizeof(*sink));
	if (!sink)
		return -ENOMEM;
	sink->fd = fd;
	for (uint32_t i = 0; i < nb; i++)
		ptrs[i] = band + (size_t)i * stride;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_error_cb, png_warn_cb);
	if (!png)
		goto out;
	info = png_create_info_struct(png);
	if (!info)
		goto out;
	if (setjmp(png_jmpbuf(png))) {
		r = sink->err ? sink->err : -EIO;
		goto out;
	}
	png_set_write_fn(png, sink, png_write_cb, png_flush_cb);
	/* Speed over size: grabs are for looking at, and they are on the clock. */
	png_set_compression_level(png, 1);
	png_set_filter(png, 0, PNG_FILTER_SUB);
	png_set_IHDR(png, info, d->width, d->height, 8,
		     d->channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < d->height; y += nb) {
		uint32_t k = d->height - y < nb ? d->height - y : nb;
		r = rows(data, y, k, band, stride);
		if (r < 0)
			goto out;
		png_write_rows(png, ptrs, k);
	}
	png_write_end(png, info);
	png_sink_flush(sink);
	r = sink->err;
out:
	if (png)
		png_destroy_write_struct(&png, info ? &info : NULL);
	free(sink);
	return r;
}

/*
 * Puts tmp in place of path, atomically. Over an existing regular file a
 * plain rename() makes ext4 (auto_da_alloc) flush the new file's data before
 * it returns: 5-10 ms for a 1080p grab, most of the time budget. Swapping
 * the two names (RENAME_EXCHANGE) is just as atomic for readers and skips
 * that flush; the old content, now under the temporary name, is unlinked.
 */
static int replace_file(const char *tmp, const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
		unlink(tmp); /* the old picture; failing leaves a stray hidden file only */
		return 0;
	}
	return rename(tmp, path) < 0 ? -errno : 0;
}

int lf_image_write_rows(const struct lf_image_desc *d, lf_image_rows_fn rows, void *data,
			const char *path, const char **what)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t stride = (size_t)d->width * d->channels;
	uint8_t *band = NULL;
	char *tmp = NULL;
	int fd = -1, r;
	uint32_t nb;
	mode_t mask;

	*what = "write";
	if (d->width == 0 || d->height == 0 || d->width > (1u << 16) || d->height > (1u << 16) ||
	    (d->channels != 3 && d->channels != 4) ||
	    (d->type == LF_IMAGE_PPM && d->channels != 3) ||
	    (d->type != LF_IMAGE_PPM && d->type != LF_IMAGE_PNG))
		return -EINVAL;
	*what = "create";
	if (!*base)
		return -EISDIR;
	nb = band_rows(stride, d->height);
	band = malloc(stride * nb);
	tmp = malloc(dirlen + strlen(base) + 16);
	if (!band || !tmp) {
		r = -ENOMEM;
		goto out;
	}
	/* Same directory as the target so the rename cannot cross filesystems. */
	sprintf(tmp, "%.*s.%s.XXXXXX", (int)dirlen, path, base);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		tmp[0] = '\0'; /* nothing to unlink */
		goto out;
	}
	/* mkostemp makes 0600; a grab should get the usual 0666 & ~umask. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0) {
		r = -errno;
		goto fail;
	}
	*what = "write";
	if (d->type == LF_IMAGE_PPM)
		r = write_ppm(d, rows, data, fd, band, stride, nb);
	else
		r = write_png(d, rows, data, fd, band, stride, nb);
	if (r < 0)
		goto fail;
	r = close(fd) < 0 ? -errno : 0; /* NFS and friends report ENOSPC here */
	fd = -1;
	if (r < 0)
		goto fail;
	*what = "rename";
	r = replace_file(tmp, path);
	if (r < 0)
		goto fail;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(band);
	return r;
}

int lf_image_alloc(struct lf_image *img, enum lf_image_type type, uint32_t width,
		   uint32_t height, unsigned channels)
{
	memset(img, 0, sizeof(*img));
	if (type == LF_IMAGE_PPM)
		channels = 3;
	if (width == 0 || height == 0 || (channels != 3 && channels != 4))
		return -EINVAL;
	img->desc = (struct lf_image_desc){ type, width, height, channels };
	img->stride = (size_t)width * channels;
	img->pixels = malloc(img->stride * height);
	return img->pixels ? 0 : -ENOMEM;
}

void lf_image_free(struct lf_image *img)
{
	free(img->pixels);
	img->pixels = NULL;
}

static int copy_rows(void *data, uint32_t y, uint32_t n, uint8_t *out, size_t stride)
{
	const struct lf_image *img = data;

	memcpy(out, img->pixels + (size_t)y * img->stride, (size_t)n * stride);
	return 0;
}

int lf_image_write(const struct lf_image *img, const char *path, const char **what)
{
	return lf_image_write_rows(&img->desc, copy_rows, (void *)img, path, what);
}
