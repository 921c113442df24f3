/* SPDX-License-Identifier: MIT */
/*
 * The pw_stream: an INPUT consumer of the target node. process() keeps only
 * the newest valid buffer of a burst and gives every other one back at once.
 */
#include <errno.h>
#include <string.h>

#include <spa/buffer/buffer.h>
#include <spa/param/param.h>

#include "capture/capture-int.h"
#include "capture/formats.h"
#include "base/log.h"
#include "base/util.h"

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state,
			     const char *error)
{
	struct lf_capture *c = data;

	lf_debug("capture: stream %s → %s%s%s", pw_stream_state_as_string(old),
		 pw_stream_state_as_string(state), error ? ": " : "", error ? error : "");
	switch (state) {
	case PW_STREAM_STATE_STREAMING:
		c->stream_backoff_ms = BACKOFF_MIN_MS;
		/* The owner dropped the format on pause (emitted_generation
		 * was reset): the next frame announces it again. */
		capture_set_state(c, LF_STREAM_STREAMING, "streaming");
		break;
	case PW_STREAM_STATE_PAUSED:
		capture_set_state(c, LF_STREAM_PAUSED, "paused");
		break;
	case PW_STREAM_STATE_ERROR:
		/* WirePlumber says "no node available" while no source exists. */
		lf_log(c->stream_backoff_ms > BACKOFF_MIN_MS ? LOG_DEBUG : LOG_WARNING,
		       "capture: stream error: %s; retrying", error ? error : "unknown");
		capture_set_state(c, LF_STREAM_NONE, error ? error : "stream error");
		/* A fresh stream is the only way out of the error state; later,
		 * so a lasting error does not spin. */
		capture_schedule(c, WORK_DESTROY);
		capture_stream_retry_later(c);
		break;
	case PW_STREAM_STATE_UNCONNECTED:
		capture_set_state(c, LF_STREAM_NONE, "unconnected");
		break;
	default:
		break;
	}
}

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
	struct lf_capture *c = data;

	if (id == SPA_PARAM_Format)
		capture_on_format(c, param);
}

static void on_add_buffer(void *data, struct pw_buffer *b)
{
	capture_buffer_add(data, b);
}

static void on_remove_buffer(void *data, struct pw_buffer *b)
{
	capture_buffer_remove(data, b);
}

/* Frames with no usable content: cursor-only updates (size 0 and/or chunk
 * CORRUPTED) and buffers the producer marked CORRUPTED. */
static bool buffer_valid(struct lf_capture *c, struct pw_buffer *b, uint64_t *pts)
{
	struct spa_buffer *sb = b->buffer;

	if (lf_meta_header(sb, pts))
		return false;
	if (sb->n_datas == 0)
		return false;
	for (uint32_t i = 0; i < sb->n_datas && i < c->fmt.n_planes; i++) {
		struct spa_chunk *ch = sb->datas[i].chunk;

		if (!ch || ch->size == 0 || (ch->flags & SPA_CHUNK_FLAG_CORRUPTED))
			return false;
		if (sb->datas[i].maxsize && (uint64_t)ch->offset + ch->size > sb->datas[i].maxsize)
			return false;
	}
	if (sb->datas[0].type == SPA_DATA_MemPtr && !sb->datas[0].data)
		return false;
	return true;
}

static void fps_note(struct lf_capture *c, uint64_t now)
{
	uint64_t first;
	uint32_t n;

	c->fps_ring[c->fps_pos] = now;
	c->fps_pos = (c->fps_pos + 1) % FPS_RING;
	if (c->fps_n < FPS_RING)
		c->fps_n++;
	n = c->fps_n;
	first = c->fps_ring[(c->fps_pos + FPS_RING - n) % FPS_RING];
	if (n < 2 || now <= first)
		return;
	c->stats.fps_milli = (uint32_t)((uint64_t)(n - 1) * 1000000000000ull / (now - first));
}

/* MemPtr memory has no fd: copy the frame into a pool memfd. */
static struct lf_buffer *copy_to_pool(struct lf_capture *c, struct pw_buffer *b)
{
	const struct lf_format_info *fi = lf_format_from_spa(c->fmt.spa_format);
	struct spa_data *d = &b->buffer->datas[0];
	struct lf_buffer *lb;
	uint8_t *dst;
	const uint8_t *src;
	uint64_t need;
	int r;

	need = lf_format_frame_size(fi, c->fmt.width, c->fmt.height, 0);
	if (need == 0)
		return NULL;
	if (c->pool.slot_size != need || c->pool.generation != c->generation) {
		r = lf_pool_reset(&c->pool, need, c->generation, c->opts.lease_buffers + 3, 2);
		if (r < 0) {
			lf_err("capture: cannot create frame pool: %s", strerror(-r));
			return NULL;
		}
	}
	if (lf_pool_get(&c->pool, &lb, &dst) < 0)
		return NULL; /* every slot leased: drop this frame */
	for (uint32_t p = 0; p < fi->n_planes; p++) {
		uint32_t doff, dst_stride, dsize, soff, sstride, ssize, rows;
		/* Planes come packed in one data, or one data each. */
		bool own = b->buffer->n_datas >= fi->n_planes;
		struct spa_data *sd = own ? &b->buffer->datas[p] : d;
		uint32_t given = sd->chunk->stride > 0 ? (uint32_t)sd->chunk->stride : 0;

		if (!lf_format_plane_layout(fi, c->fmt.width, c->fmt.height, 0, p,
					    &doff, &dst_stride, &dsize))
			return NULL;
		if (own) {
			soff = 0;
			uint64_t need_src;

			sstride = given ? given : dst_stride;
			need_src = (uint64_t)sstride * (dsize / dst_stride);
			if (sstride < dst_stride || need_src > UINT32_MAX)
				return NULL;
			ssize = (uint32_t)need_src;
		} else if (!lf_format_plane_layout(fi, c->fmt.width, c->fmt.height, given, p,
						   &soff, &sstride, &ssize)) {
			return NULL;
		}
		if (!sd->data || (uint64_t)soff + ssize > sd->chunk->size ||
		    (sd->maxsize && (uint64_t)sd->chunk->offset + sd->chunk->size > sd->maxsize))
			return NULL;
		src = SPA_PTROFF(sd->data, sd->chunk->offset, const uint8_t);
		rows = dsize / dst_stride;
		if (sstride == dst_stride) {
			memcpy(dst + doff, src + soff, dsize);
		} else {
			for (uint32_t y = 0; y < rows; y++)
				memcpy(dst + doff + (size_t)y * dst_stride,
				       src + soff + (size_t)y * sstride, dst_stride);
		}
		lb->planes[p].offset = doff;
		lb->planes[p].stride = dst_stride;
		lb->planes[p].size = dsize;
	}
	lb->n_planes = fi->n_planes;
	c->stats.copies++;
	return lb;
}

static void announce(struct lf_capture *c, enum lf_buffer_type type)
{
	if (c->emitted_generation != c->generation || !c->fmt.buffer_type) {
		c->fmt.buffer_type = type;
		c->emitted_generation = c->generation;
		if (c->events->format_changed)
			c->events->format_changed(c->data, &c->fmt, c->generation);
	}
	if (c->state != LF_STREAM_STREAMING)
		capture_set_state(c, LF_STREAM_STREAMING, "streaming");
}

/* Copying every MemPtr frame costs 5 % of a core at 1080p60 and ~20 % at 4K
 * (measured by make bench); with nobody connected that is pure waste. */
static bool defer_copy(struct lf_capture *c, struct pw_buffer *b, uint64_t pts, uint64_t now)
{
	if (!c->idle || b->buffer->datas[0].type != SPA_DATA_MemPtr)
		return false;
	if (c->held)
		capture_return(c, c->held);
	c->held = b;
	c->held_pts = pts;
	c->held_recv_ns = now;
	c->stats.frames_deferred++;
	lf_meta_update_cursor(&c->meta, b->buffer);
	announce(c, LF_BUFFER_MEMPTR);
	fps_note(c, now);
	return true;
}

static void deliver(struct lf_capture *c, struct pw_buffer *b, uint64_t pts, uint64_t now)
{
	struct lf_buffer *lb = NULL;
	struct lf_frame *f;
	bool copied = false;

	if (b->buffer->datas[0].type == SPA_DATA_MemPtr) {
		lb = copy_to_pool(c, b);
		copied = true;
		lf_meta_update_cursor(&c->meta, b->buffer);
	} else if (capture_buffer_update_planes(c, b)) {
		lb = capture_buffer_get(b);
		/* The frame still goes out: a refusal only steers the next
		 * negotiation, like a client's report does. */
		if (c->probe && lb && lb->type == LF_BUFFER_DMABUF)
			capture_probe_buffer(c, lb);
	}
	if (!lb) {
		c->stats.frames_dropped++;
		capture_return(c, b);
		return;
	}
	f = lf_frame_new(lb);
	if (!f) {
		c->stats.frames_dropped++;
		if (copied)
			capture_return(c, b);
		else if (lb->refs == 0)
			capture_return(c, b);
		return;
	}
	f->seq = ++c->seq;
	f->pts_ns = pts;
	f->recv_ns = now;
	if (copied)
		f->flags |= LF_FRAME_FLAG_COPIED;
	lf_meta_fill_frame(&c->meta, b->buffer, f);
	/* The copy is ours now; the producer can have its buffer back. For
	 * fd-backed buffers the frame's reference returns it on last unref. */
	if (copied)
		capture_return(c, b);
	announce(c, copied ? LF_BUFFER_MEMPTR : lb->type);
	c->stats.frames_out++;
	fps_note(c, now);
	if (c->events->frame)
		c->events->frame(c->data, f);
	else
		lf_frame_free(f);
}

void capture_stream_process(void *data)
{
	struct lf_capture *c = data;
	struct pw_buffer *b, *newest = NULL;
	uint64_t pts, newest_pts = 0, now;

	capture_returns_sync(c);
	while ((b = capture_dequeue(c))) {
		c->stats.frames_in++;
		if (!c->have_format || !buffer_valid(c, b, &pts)) {
			/* Still carries cursor moves; never a frame. */
			lf_meta_update_cursor(&c->meta, b->buffer);
			c->stats.frames_corrupted++;
			capture_return(c, b);
			continue;
		}
		if (newest) {
			lf_meta_update_cursor(&c->meta, newest->buffer);
			capture_return(c, newest);
			c->stats.frames_dropped++;
		}
		newest = b;
		newest_pts = pts;
	}
	if (!newest)
		return;
	now = lf_now_ns();
	if (defer_copy(c, newest, newest_pts, now))
		return;
	if (c->held) {
		/* Demand came back between two frames: this one is newer. */
		capture_return(c, c->held);
		c->held = NULL;
	}
	if (newest->buffer->datas[0].type != SPA_DATA_MemPtr)
		lf_meta_update_cursor(&c->meta, newest->buffer);
	deliver(c, newest, newest_pts, now);
}

void lf_capture_set_demand(struct lf_capture *c, bool wanted)
{
	struct pw_buffer *b;

	if (!c)
		return;
	c->idle = !wanted;
	if (!wanted || !c->held)
		return;
	b = c->held;
	c->held = NULL;
	deliver(c, b, c->held_pts, c->held_recv_ns);
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_state_changed,
	.param_changed = on_param_changed,
	.add_buffer = on_add_buffer,
	.remove_buffer = on_remove_buffer,
	.process = capture_stream_process,
};

int capture_stream_create(struct lf_capture *c)
{
	struct pw_properties *props;
	int r;

	if (c->stream || !c->core)
		return 0;
	props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Video",
				  PW_KEY_MEDIA_CATEGORY, "Capture",
				  PW_KEY_MEDIA_ROLE, "Screen",
				  PW_KEY_NODE_NAME, "lastframed",
				  PW_KEY_APP_NAME, "lastframed",
				  NULL);
	if (!props)
		return -ENOMEM;
	if (c->target) {
		pw_properties_set(props, PW_KEY_TARGET_OBJECT, c->target);
		/* We recreate the stream when the target returns; a
		 * session-manager relink to some other source is not wanted. */
		pw_properties_set(props, PW_KEY_NODE_DONT_RECONNECT, "true");
	}
	c->stream = pw_stream_new(c->core, "lastframed", props);
	if (!c->stream)
		return -errno;
	pw_stream_add_listener(c->stream, &c->stream_listener, &stream_events, c);
	c->have_format = false;
	c->set_stale = true;
	c->fps_n = 0;
	lf_meta_reset(&c->meta);
	r = capture_offer_formats(c, false);
	if (r < 0) {
		lf_err("capture: cannot connect stream: %s", strerror(-r));
		capture_stream_destroy(c);
		return r;
	}
	if (c->target)
		capture_set_state(c, LF_STREAM_PAUSED, "connecting to source");
	else
		capture_set_state(c, LF_STREAM_NONE, "waiting for a source");
	return 0;
}

void capture_stream_destroy(struct lf_capture *c)
{
	if (!c->stream)
		return;
	/* Orphan first, while the pw_buffers still exist: held wrappers
	 * outlive them, the rest are freed. */
	capture_buffers_orphan_all(c);
	c->held = NULL; /* goes with the stream */
	c->linked_source = SPA_ID_INVALID;
	spa_hook_remove(&c->stream_listener);
	pw_stream_destroy(c->stream);
	c->stream = NULL;
	lf_pool_destroy(&c->pool);
	c->have_format = false;
}
