/* SPDX-License-Identifier: MIT */
/*
 * lf_buffer wrappers around pw_buffers. The last unref queues the pw_buffer
 * back to the stream. When PipeWire removes a buffer (renegotiation, stream
 * gone) while a frame, fence wait or client lease still holds it, the
 * wrapper is orphaned: it outlives the pw_buffer, keeps its own duplicates
 * of the plane fds (a frame still waiting on a fence may yet be published,
 * and its fds must stay valid), and its final release closes those and
 * frees the wrapper, never touching PipeWire.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <spa/buffer/buffer.h>

#include "capture/capture-int.h"
#include "capture/formats.h"
#include "base/log.h"

struct cap_buffer {
	struct lf_buffer buf;     /* first: release gets &buf */
	struct spa_list link;     /* in lf_capture.buffers while not orphaned */
	struct pw_buffer *pwb;    /* NULL once orphaned */
	struct lf_capture *cap;   /* NULL once orphaned */
	bool orphan;
	int owned[LF_MAX_PLANES];  /* orphan's fd duplicates, -1 when unused */
	int orig_fd[LF_MAX_PLANES];
};

static void cap_buffer_free(struct cap_buffer *cb)
{
	for (unsigned i = 0; i < LF_MAX_PLANES; i++)
		if (cb->owned[i] >= 0)
			close(cb->owned[i]);
	free(cb);
}

static void cap_buffer_release(struct lf_buffer *b, void *data)
{
	struct cap_buffer *cb = (struct cap_buffer *)b;

	if (cb->orphan) {
		cap_buffer_free(cb);
		return;
	}
	capture_return(cb->cap, cb->pwb);
}

struct lf_buffer *capture_buffer_get(struct pw_buffer *b)
{
	struct cap_buffer *cb = b->user_data;
	return cb ? &cb->buf : NULL;
}

void capture_buffer_add(struct lf_capture *c, struct pw_buffer *b)
{
	struct spa_buffer *sb = b->buffer;
	struct cap_buffer *cb;

	if (c->set_stale) {
		/* First buffer of a new set: clients must forget the old ids. */
		c->generation++;
		c->next_buffer_id = 0;
		c->set_stale = false;
	}
	cb = calloc(1, sizeof(*cb));
	if (!cb) {
		lf_err("capture: out of memory wrapping a buffer");
		return;
	}
	cb->pwb = b;
	cb->cap = c;
	cb->buf.id = c->next_buffer_id++;
	cb->buf.generation = c->generation;
	cb->buf.release = cap_buffer_release;
	cb->buf.priv = b;
	for (unsigned i = 0; i < LF_MAX_PLANES; i++)
		cb->buf.planes[i].fd = cb->owned[i] = -1;
	switch (sb->n_datas ? sb->datas[0].type : SPA_ID_INVALID) {
	case SPA_DATA_MemFd: cb->buf.type = LF_BUFFER_MEMFD; break;
	case SPA_DATA_DmaBuf: cb->buf.type = LF_BUFFER_DMABUF; break;
	case SPA_DATA_MemPtr: cb->buf.type = LF_BUFFER_MEMPTR; break;
	default: cb->buf.type = LF_BUFFER_NONE; break;
	}
	b->user_data = cb;
	spa_list_append(&c->buffers, &cb->link);
	c->n_buffers++;
	lf_debug("capture: buffer %u/%u added (%u datas, type %d)", cb->buf.generation,
		 cb->buf.id, sb->n_datas, cb->buf.type);
}

static void orphan(struct cap_buffer *cb)
{
	spa_list_remove(&cb->link);
	if (cb->pwb)
		cb->pwb->user_data = NULL;
	cb->pwb = NULL;
	cb->cap = NULL;
	if (cb->buf.refs == 0) {
		cap_buffer_free(cb);
		return;
	}
	/* PipeWire closes its fds with the buffer: the holders' view must stay
	 * valid, so switch the planes to our own duplicates (planes sharing an
	 * fd share the duplicate). */
	cb->orphan = true;
	for (unsigned i = 0; i < LF_MAX_PLANES; i++) {
		int fd = cb->buf.planes[i].fd, dup = -1;

		for (unsigned j = 0; j < i && fd >= 0; j++)
			if (cb->buf.planes[j].fd >= 0 && cb->orig_fd[j] == fd)
				dup = cb->buf.planes[j].fd;
		cb->orig_fd[i] = fd;
		if (fd >= 0 && dup < 0) {
			dup = cb->owned[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
			if (dup < 0)
				lf_warn("capture: cannot keep a removed buffer's fd: %m");
		}
		cb->buf.planes[i].fd = dup;
	}
}

void capture_buffer_remove(struct lf_capture *c, struct pw_buffer *b)
{
	struct cap_buffer *cb = b->user_data;

	if (c->held == b)
		c->held = NULL; /* PipeWire takes it back itself */
	c->set_stale = true;
	lf_return_guard_forget(&c->guard, b);
	if (cb) {
		/* PipeWire removes the whole set: what we held never comes back. */
		if (c->n_buffers && --c->n_buffers == 0)
			c->outstanding = 0;
		orphan(cb);
	}
}

void capture_buffers_orphan_all(struct lf_capture *c)
{
	struct cap_buffer *cb, *t;

	spa_list_for_each_safe(cb, t, &c->buffers, link)
		orphan(cb);
	c->set_stale = true;
	c->n_buffers = 0;
	c->outstanding = 0;
	lf_return_guard_clear(&c->guard);
}

bool capture_buffer_update_planes(struct lf_capture *c, struct pw_buffer *b)
{
	struct cap_buffer *cb = b->user_data;
	struct spa_buffer *sb = b->buffer;
	const struct lf_format_info *fi = lf_format_from_spa(c->fmt.spa_format);
	uint32_t n = c->fmt.n_planes;

	if (!cb || !fi || sb->n_datas == 0 || n == 0 || n > LF_MAX_PLANES)
		return false;
	if (sb->n_datas >= n) {
		for (uint32_t i = 0; i < n; i++) {
			struct spa_data *d = &sb->datas[i];
			struct lf_plane *p = &cb->buf.planes[i];
			uint32_t off, st, sz;

			if (!d->chunk || d->chunk->size == 0)
				return false;
			if (!lf_format_plane_layout(fi, c->fmt.width, c->fmt.height, 0, i,
						    &off, &st, &sz))
				return false;
			p->fd = (int)d->fd;
			p->offset = d->mapoffset + d->chunk->offset;
			/* Stride 0: the producer did not say, so it is packed. */
			p->stride = d->chunk->stride > 0 ? (uint32_t)d->chunk->stride : st;
			p->size = d->chunk->size;
		}
	} else {
		/* Several planes in one block (SHM NV12): derive them. */
		struct spa_data *d = &sb->datas[0];
		uint32_t stride0 = d->chunk->stride > 0 ? (uint32_t)d->chunk->stride : 0;

		for (uint32_t i = 0; i < n; i++) {
			struct lf_plane *p = &cb->buf.planes[i];
			uint32_t off, st, sz;

			if (!lf_format_plane_layout(fi, c->fmt.width, c->fmt.height, stride0, i,
						    &off, &st, &sz))
				return false;
			if ((uint64_t)off + sz > d->chunk->size)
				return false;
			p->fd = (int)d->fd;
			p->offset = d->mapoffset + d->chunk->offset + off;
			p->stride = st;
			p->size = sz;
		}
	}
	cb->buf.n_planes = n;
	return true;
}
