/* SPDX-License-Identifier: MIT */
#include "daemon/copy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "base/log.h"
#include "base/util.h"
#include "capture/pool.h"
#include "capture/readback.h"

/* A GPU that does not answer within this long is treated as hung: CPU
 * readers keep the previous copy and are moved off the readback path. */
#define COPY_TIMEOUT_NS (1000ull * 1000000ull)
/* Consecutive failures (import refused, GL error) before giving up on a
 * generation: one bad buffer must not cost CPU readers the stream. */
#define COPY_MAX_FAILURES 3

struct lf_copy {
	struct pw_loop *loop;
	struct lf_server *server;
	struct lf_readback *rb;
	char why[192];
	struct lf_pool pool;
	bool have_fmt, fmt_ok, given_up;
	struct lf_video_format fmt;
	uint32_t generation, stride;
	/* the job in flight */
	struct lf_buffer *src_buf;   /* ref: the GPU reads it */
	struct lf_buffer *slot;      /* ref: the GPU writes it */
	struct lf_frame meta;        /* the original's metadata, no buffer or fences */
	uint32_t job_generation;
	struct spa_source *timer;
	uint32_t failures;
	uint64_t n_done, n_failed, max_ns;
};

static void job_drop(struct lf_copy *c)
{
	lf_buffer_unref(c->src_buf);
	lf_buffer_unref(c->slot);
	c->src_buf = c->slot = NULL;
}

static void give_up(struct lf_copy *c, const char *why)
{
	if (c->given_up)
		return;
	c->given_up = true;
	lf_warn("GPU readback off for this stream: %s; CPU readers get %s", why,
		c->fmt.modifier == DRM_FORMAT_MOD_INVALID || !c->fmt.has_modifier
			? "the buffer mapped as linear" : "no frames (tiled layout)");
	lf_server_set_readback(c->server, false);
}

static void on_done(void *data, uint64_t cookie, int result, const char *why,
		    const struct lf_readback_timing *t)
{
	struct lf_copy *c = data;
	struct lf_frame *f;

	if (c->timer)
		pw_loop_update_timer(c->loop, c->timer, NULL, NULL, false);
	if (!c->slot)
		return;
	if (c->job_generation != c->generation || !c->fmt_ok) {
		job_drop(c); /* the stream moved on while the GPU worked */
		lf_copy_kick(c);
		return;
	}
	if (result < 0) {
		c->n_failed++;
		if (c->failures++ == 0)
			lf_warn("GPU readback failed (%s); CPU readers keep the previous frame", why);
		job_drop(c);
		if (c->failures >= COPY_MAX_FAILURES)
			give_up(c, why);
		return;
	}
	c->failures = 0;
	c->n_done++;
	if (t->total_ns > c->max_ns)
		c->max_ns = t->total_ns;
	f = lf_frame_new(c->slot);
	if (f) {
		struct lf_buffer *b = f->buf;

		*f = c->meta;
		f->buf = b;
		lf_server_publish_copy(c->server, f);
	}
	job_drop(c);
	lf_copy_kick(c); /* a newer frame may have come meanwhile */
}

static const struct lf_readback_events rb_events = { .done = on_done };

static void on_timeout(void *data, uint64_t expirations)
{
	struct lf_copy *c = data;

	if (c->slot)
		give_up(c, "the GPU did not finish a readback within 1 s");
}

int lf_copy_new(struct pw_loop *loop, struct lf_server *server, const char *render_node,
		struct lf_copy **out)
{
	struct lf_readback_options o = { .render_node = render_node };
	struct lf_copy *c = calloc(1, sizeof(*c));
	int r;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->server = server;
	lf_pool_init(&c->pool);
	c->timer = pw_loop_add_timer(loop, on_timeout, c);
	r = lf_readback_new(loop, &o, &rb_events, c, &c->rb, c->why, sizeof(c->why));
	if (r < 0)
		lf_info("GPU readback inactive: %s", c->why);
	else
		lf_info("GPU readback active on %s", lf_readback_device(c->rb));
	*out = c;
	return 0;
}

void lf_copy_destroy(struct lf_copy *c)
{
	if (!c)
		return;
	lf_readback_destroy(c->rb); /* joins the worker: the GPU is done with our buffers */
	job_drop(c);
	if (c->timer)
		pw_loop_destroy_source(c->loop, c->timer);
	lf_pool_destroy(&c->pool);
	if (c->n_done || c->n_failed)
		lf_info("GPU readback: %" PRIu64 " frames, %" PRIu64 " failed, longest %.2f ms",
			c->n_done, c->n_failed, c->max_ns / 1e6);
	free(c);
}

void lf_copy_set_format(struct lf_copy *c, const struct lf_video_format *fmt,
			uint32_t generation)
{
	bool same, ok;

	if (!c)
		return;
	same = fmt && c->have_fmt && generation == c->generation;
	if (!same) {
		c->given_up = false;
		c->failures = 0;
	}
	c->have_fmt = fmt != NULL;
	if (fmt)
		c->fmt = *fmt;
	c->generation = generation;
	ok = fmt && c->rb && lf_readback_can_import(c->rb) && !c->given_up &&
	     fmt->buffer_type == LF_BUFFER_DMABUF && lf_readback_supports(fmt->drm_format) &&
	     !(fmt->has_modifier && fmt->modifier == DRM_FORMAT_MOD_LINEAR);
	if (ok && !same) {
		c->stride = fmt->width * lf_readback_bpp(fmt->drm_format);
		/* Slots: one being written, one per CPU reader lease, bounded. */
		if (lf_pool_reset(&c->pool, (size_t)c->stride * fmt->height, generation, 8, 2) < 0) {
			lf_warn("GPU readback: no memory for %ux%u copies", fmt->width, fmt->height);
			ok = false;
		}
	}
	c->fmt_ok = ok;
	lf_server_set_readback(c->server, ok);
}

void lf_copy_kick(struct lf_copy *c)
{
	const struct lf_frame *f;
	struct lf_readback_src src;
	struct lf_readback_dst dst;
	uint8_t *map;
	struct timespec ts;
	int r;

	if (!c || !c->fmt_ok || c->given_up || c->slot || !lf_server_copy_wanted(c->server))
		return;
	f = lf_server_latest(c->server);
	if (!f || !f->buf || f->buf->generation != c->generation)
		return;
	if ((r = lf_pool_get(&c->pool, &c->slot, &map)) < 0) {
		c->slot = NULL;
		return; /* every slot leased: a RELEASE brings the next kick */
	}
	lf_buffer_ref(c->slot);
	/* The copy's layout: one linear plane. */
	c->slot->n_planes = 1;
	c->slot->planes[0].offset = 0;
	c->slot->planes[0].stride = c->stride;
	c->slot->planes[0].size = c->stride * c->fmt.height;
	src = (struct lf_readback_src){ .fourcc = c->fmt.drm_format, .width = c->fmt.width,
					.height = c->fmt.height,
					.modifier = c->fmt.has_modifier ? c->fmt.modifier
									 : DRM_FORMAT_MOD_INVALID,
					.n_planes = f->buf->n_planes };
	memcpy(src.planes, f->buf->planes, sizeof(src.planes));
	dst = (struct lf_readback_dst){ .map = map, .stride = c->stride,
					.size = (size_t)c->stride * c->fmt.height };
	r = lf_readback_submit(c->rb, &src, &dst, f->seq);
	if (r < 0) {
		/* Planes that do not fit the format: every frame will be the same. */
		lf_buffer_unref(c->slot);
		c->slot = NULL;
		give_up(c, r == -ENOTSUP ? "format not supported" : "buffer planes do not fit the format");
		return;
	}
	c->src_buf = lf_buffer_ref(f->buf);
	c->meta = *f;
	c->meta.buf = NULL;
	c->meta.n_fences = 0;
	c->meta.cursor.bitmap = NULL;
	c->meta.flags &= ~(LF_FRAME_FLAG_FENCE_PENDING | LF_FRAME_FLAG_CURSOR_BITMAP);
	c->job_generation = c->generation;
	ts = (struct timespec){ .tv_sec = COPY_TIMEOUT_NS / 1000000000ull };
	pw_loop_update_timer(c->loop, c->timer, &ts, NULL, false);
}

bool lf_copy_active(const struct lf_copy *c)
{
	return c && c->rb && lf_readback_can_import(c->rb);
}

const char *lf_copy_why(const struct lf_copy *c)
{
	return c->rb ? "" : c->why;
}

bool lf_copy_print_status(FILE *out, const char *render_node)
{
	struct lf_readback_options o = { .render_node = render_node };
	struct lf_readback *rb = NULL;
	char why[192] = "";
	int r;

	r = lf_readback_new(NULL, &o, NULL, NULL, &rb, why, sizeof(why));
	if (r == 0)
		fprintf(out, "GPU readback: active on %s (CPU readers get tiled and implicit-layout "
			"dmabufs as linear copies%s)\n", lf_readback_device(rb),
			strstr(lf_readback_device(rb), "without a DRM node")
				? "; a driver without a DRM node may still refuse every dmabuf"
				: "");
	else
		fprintf(out, "GPU readback: inactive: %s (CPU readers: INVALID mapped as linear, "
			"tiled modifiers unreadable)\n", why[0] ? why : strerror(-r));
	lf_readback_destroy(rb);
	return r == 0;
}
