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

int lf_image_alloc(struct lf_image *img, enum lf_image_type type, uint32_t width,
		   uint32_t height, unsigned channels)
{
	char hdr[64];
	int n = 0;

	memset(img, 0, sizeof(*img));
	if (type == LF_IMAGE_PPM) {
		channels = 3;
		n = snprintf(hdr, sizeof(hdr), "P6\n%u %u\n255\n", width, height);
	}
	if (width == 0 || height == 0 || (channels != 3 && channels != 4))
		return -EINVAL;
	img->type = type;
	img->width = width;
	img->height = height;
	img->channels = channels;
	img->stride = (size_t)width * channels;
	img->header_len = (size_t)n;
	img->buf = malloc(img->header_len + img->stride * height);
	if (!img->buf)
		return -ENOMEM;
	memcpy(img->buf, hdr, img->header_len);
	img->pixels = img->buf + img->header_len;
	return 0;
}

void lf_image_free(struct lf_image *img)
{
	free(img->buf);
	img->buf = img->pixels = NULL;
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

static int write_png(const struct lf_image *img, int fd)
{
	png_structp png = NULL;
	png_infop info = NULL;
	png_bytep *rows = NULL;
	struct png_sink *sink = NULL;
	int r = -ENOMEM;

	sink = calloc(1, sizeof(*sink));
	rows = malloc(sizeof(*rows) * img->height);
	if (!sink || !rows)
		goto out;
	sink->fd = fd;
	for (uint32_t y = 0; y < img->height; y++)
		rows[y] = img->pixels + (size_t)y * img->stride;
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
	png_set_IHDR(png, info, img->width, img->height, 8,
		     img->channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_rows(png, info, rows);
	png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
	png_sink_flush(sink);
	r = sink->err;
out:
	if (png)
		png_destroy_write_struct(&png, info ? &info : NULL);
	free(rows);
	free(sink);
	return r;
}

int lf_image_write(const struct lf_image *img, const char *path, const char **what)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	char *tmp = NULL;
	int fd = -1, r;
	mode_t mask;

	*what = "create";
	if (!*base)
		return -EISDIR;
	tmp = malloc(dirlen + strlen(base) + 16);
	if (!tmp)
		return -ENOMEM;
	/* Same directory as the target so the rename cannot cross filesystems. */
	sprintf(tmp, "%.*s.%s.XXXXXX", (int)dirlen, path, base);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	/* mkostemp makes 0600; a grab should get the usual 0666 & ~umask. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0) {
		r = -errno;
		goto fail;
	}
	*what = "write";
	if (img->type == LF_IMAGE_PPM)
		r = write_all(fd, img->buf, img->header_len + img->stride * img->height);
	else
		r = write_png(img, fd);
	if (r < 0)
		goto fail;
	if (close(fd) < 0) { /* NFS and friends report ENOSPC here */
		fd = -1;
		r = -errno;
		goto fail;
	}
	fd = -1;
	*what = "rename";
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return r;
}
