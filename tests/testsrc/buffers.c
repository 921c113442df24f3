/* SPDX-License-Identifier: MIT */
#include "tests/testsrc/buffers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int alloc_memfd(struct ts_buf *tb, size_t size)
{
	int fd, r;
	void *map;

	fd = memfd_create("lastframe-testsrc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		r = -errno;
		goto fail;
	}
	/* Consumers may rely on the size never changing under their mapping. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		r = -errno;
		goto fail;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	tb->fd = fd;
	tb->map = map;
	tb->map_size = size;
	return 0;
fail:
	close(fd);
	return r;
}

int ts_buf_alloc(struct ts_buf *tb, struct spa_buffer *sb, const struct ts_format *fmt,
		 struct ts_vgem *vgem)
{
	int r;

	tb->fd = -1;
	if (fmt->data_type == SPA_DATA_MemPtr) {
		/* PipeWire allocated and mapped it (MAP_BUFFERS). */
		for (uint32_t i = 0; i < sb->n_datas; i++)
			if (!sb->datas[i].data)
				return -ENOMEM;
		return 0;
	}
	if (sb->n_datas < fmt->n_planes)
		return -EINVAL;
	for (uint32_t i = 0; i < fmt->n_planes; i++)
		if (!(sb->datas[i].type & (1u << fmt->data_type)))
			return -ENOTSUP;

	if (vgem && fmt->data_type == SPA_DATA_DmaBuf) {
		/* One dumb buffer of height rows (+ height/2 for NV12's UV plane). */
		uint32_t rows = fmt->height + (fmt->n_planes > 1 ? fmt->height / 2 : 0);
		uint32_t bpp = fmt->pattern == LF_PATTERN_NV12 ? 8 : 32;

		r = ts_vgem_bo_create(vgem, fmt->width, rows, bpp, &tb->bo);
		if (r < 0)
			return r;
		if (tb->bo.pitch != fmt->strides[0] || tb->bo.size < fmt->total_size) {
			ts_vgem_bo_destroy(vgem, &tb->bo);
			return -EINVAL;
		}
		tb->is_vgem = true;
		tb->fd = tb->bo.fd;
		tb->map = tb->bo.map;
		tb->map_size = tb->bo.size;
	} else {
		r = alloc_memfd(tb, fmt->total_size);
		if (r < 0)
			return r;
	}

	for (uint32_t i = 0; i < fmt->n_planes; i++) {
		struct spa_data *d = &sb->datas[i];
		int fd = tb->fd;

		/* Every plane is the same memory at another offset; each data
		 * gets its own fd, as a multi-planar dmabuf export would. */
		if (i > 0) {
			fd = fcntl(tb->fd, F_DUPFD_CLOEXEC, 3);
			if (fd < 0) {
				r = -errno;
				ts_buf_free(tb, sb, vgem);
				return r;
			}
		}
		d->type = fmt->data_type;
		d->flags = SPA_DATA_FLAG_READWRITE;
		d->fd = fd;
		d->mapoffset = 0;
		d->maxsize = (uint32_t)tb->map_size;
		/* Only plane 0's data points at our mapping: readers of the
		 * others use the fd and the chunk offset. */
		d->data = i == 0 && fmt->data_type == SPA_DATA_MemFd ? tb->map : NULL;
	}
	return 0;
}

void ts_buf_free(struct ts_buf *tb, struct spa_buffer *sb, struct ts_vgem *vgem)
{
	if (tb->fd < 0)
		return;
	for (uint32_t i = 1; sb && i < sb->n_datas; i++) {
		struct spa_data *d = &sb->datas[i];
		if (d->fd >= 0 && d->fd != tb->fd)
			close((int)d->fd);
		d->fd = -1;
	}
	if (sb && sb->n_datas > 0) {
		sb->datas[0].fd = -1;
		sb->datas[0].data = NULL;
	}
	if (tb->is_vgem) {
		ts_vgem_bo_destroy(vgem, &tb->bo);
	} else {
		munmap(tb->map, tb->map_size);
		close(tb->fd);
	}
	tb->fd = -1;
	tb->map = NULL;
	tb->is_vgem = false;
}

int ts_buf_planes(const struct ts_buf *tb, struct spa_buffer *sb, const struct ts_format *fmt,
		  uint8_t *planes[TS_MAX_PLANES])
{
	uint8_t *base = tb->map;

	if (tb->fd < 0) {
		/* PipeWire's MemPtr block: all planes, one after the other. */
		if (sb->n_datas < 1 || !sb->datas[0].data || sb->datas[0].maxsize < fmt->total_size)
			return -EINVAL;
		base = sb->datas[0].data;
	}
	for (uint32_t i = 0; i < fmt->n_planes; i++)
		planes[i] = base + fmt->offsets[i];
	return 0;
}

uint32_t ts_buf_chunk_offset(const struct ts_buf *tb, const struct ts_format *fmt, uint32_t i)
{
	return fmt->offsets[i];
}
