/* SPDX-License-Identifier: MIT */
/*
 * The readback engine's thread and its hand-off with the caller's loop.
 * The worker owns the GL context and nothing else; the mutex only guards
 * the job/result slots and is never held across GL calls, so the loop side
 * (submit, done) costs a lock, a copy and an eventfd write or read.
 */
#include "capture/readback.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "capture/readback-int.h"

enum call_kind { CALL_NONE, CALL_TEXTURE, CALL_TEXTURE_FREE };

struct lf_readback {
	struct pw_loop *loop;
	const struct lf_readback_events *events;
	void *data;
	int done_fd;
	struct spa_source *done_src;
	pthread_t thread;
	bool started;
	struct lf_readback_options opts;
	char device[128];
	bool can_import;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* under lock */
	bool quit, ready;
	int init_result;
	char init_why[160];
	bool have_job, busy, have_result;
	struct lf_readback_src src;
	struct lf_readback_dst dst;
	uint64_t cookie, submit_ns;
	int result;
	char why[160];
	struct lf_readback_timing timing;
	/* blocking setup calls (texture-fed use only) */
	enum call_kind call;
	bool call_done;
	int call_result;
	uint32_t call_fourcc, call_w, call_h, call_stride, call_tex;
	const void *call_pixels;
};

static void worker_call(struct lf_readback *rb, struct rb_gl *g)
{
	int r = 0;

	if (rb->call == CALL_TEXTURE)
		r = lf_rb_gl_texture(g, rb->call_fourcc, rb->call_w, rb->call_h, rb->call_pixels,
				     rb->call_stride, &rb->call_tex);
	else
		lf_rb_gl_texture_free(g, rb->call_tex);
	rb->call_result = r;
	rb->call = CALL_NONE;
	rb->call_done = true;
	pthread_cond_broadcast(&rb->cond);
}

static void *worker(void *arg)
{
	struct lf_readback *rb = arg;
	struct lf_readback_src src;
	struct lf_readback_dst dst;
	struct lf_readback_timing t;
	struct rb_gl g;
	char why[160];
	uint64_t one = 1;
	int r;

	why[0] = '\0';
	r = lf_rb_gl_init(&g, &rb->opts, why, sizeof(why));
	pthread_mutex_lock(&rb->lock);
	rb->init_result = r;
	snprintf(rb->init_why, sizeof(rb->init_why), "%s", why);
	snprintf(rb->device, sizeof(rb->device), "%s", g.device);
	rb->can_import = g.can_import;
	rb->ready = true;
	pthread_cond_broadcast(&rb->cond);
	while (r == 0 && !rb->quit) {
		if (rb->call != CALL_NONE) {
			worker_call(rb, &g);
			continue;
		}
		if (!rb->have_job) {
			pthread_cond_wait(&rb->cond, &rb->lock);
			continue;
		}
		src = rb->src;
		dst = rb->dst;
		rb->have_job = false;
		pthread_mutex_unlock(&rb->lock);

		memset(&t, 0, sizeof(t));
		why[0] = '\0';
		int res = lf_rb_gl_run(&g, &src, &dst, &t, why, sizeof(why));

		pthread_mutex_lock(&rb->lock);
		rb->result = res;
		snprintf(rb->why, sizeof(rb->why), "%s", why);
		rb->timing = t;
		rb->have_result = true;
		/* Cannot fail short of a counter overflow (2^64 - 1 wakeups). */
		if (write(rb->done_fd, &one, sizeof(one)) < 0)
			lf_warn("readback: cannot wake the loop: %m");
	}
	pthread_mutex_unlock(&rb->lock);
	lf_rb_gl_fini(&g);
	return NULL;
}

static void on_done(void *data, int fd, uint32_t mask)
{
	struct lf_readback *rb = data;
	struct lf_readback_timing t;
	char why[160];
	uint64_t n, cookie;
	int result;

	if (read(rb->done_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		lf_warn("readback: eventfd read: %m");
	pthread_mutex_lock(&rb->lock);
	if (!rb->have_result) {
		pthread_mutex_unlock(&rb->lock);
		return;
	}
	rb->have_result = false;
	rb->busy = false;
	result = rb->result;
	cookie = rb->cookie;
	t = rb->timing;
	t.total_ns = lf_now_ns() - rb->submit_ns;
	snprintf(why, sizeof(why), "%s", rb->why);
	pthread_mutex_unlock(&rb->lock);
	if (rb->events && rb->events->done)
		rb->events->done(rb->data, cookie, result, why, &t);
}

int lf_readback_new(struct pw_loop *loop, const struct lf_readback_options *opts,
		    const struct lf_readback_events *events, void *data,
		    struct lf_readback **out, char *why, size_t why_len)
{
	struct lf_readback *rb;
	int r;

	*out = NULL;
	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return -ENOMEM;
	rb->loop = loop;
	rb->events = events;
	rb->data = data;
	if (opts)
		rb->opts = *opts; /* render_node is only read until the worker is up */
	pthread_mutex_init(&rb->lock, NULL);
	pthread_cond_init(&rb->cond, NULL);
	rb->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rb->done_fd < 0) {
		r = -errno;
		goto fail;
	}
	/* No loop: only asking whether readback works (--list-formats). */
	rb->done_src = loop ? pw_loop_add_io(loop, rb->done_fd, SPA_IO_IN, false, on_done, rb) : NULL;
	if (loop && !rb->done_src) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = -pthread_create(&rb->thread, NULL, worker, rb)) < 0)
		goto fail;
	rb->started = true;
	pthread_mutex_lock(&rb->lock);
	while (!rb->ready)
		pthread_cond_wait(&rb->cond, &rb->lock);
	r = rb->init_result;
	if (why && why_len)
		snprintf(why, why_len, "%s", rb->init_why);
	rb->opts.render_node = NULL;
	pthread_mutex_unlock(&rb->lock);
	if (r < 0)
		goto fail;
	*out = rb;
	return 0;
fail:
	lf_readback_destroy(rb);
	return r;
}

void lf_readback_destroy(struct lf_readback *rb)
{
	if (!rb)
		return;
	if (rb->started) {
		pthread_mutex_lock(&rb->lock);
		rb->quit = true;
		pthread_cond_broadcast(&rb->cond);
		pthread_mutex_unlock(&rb->lock);
		pthread_join(rb->thread, NULL);
	}
	if (rb->done_src)
		pw_loop_destroy_source(rb->loop, rb->done_src);
	lf_close(&rb->done_fd);
	pthread_cond_destroy(&rb->cond);
	pthread_mutex_destroy(&rb->lock);
	free(rb);
}

int lf_readback_submit(struct lf_readback *rb, const struct lf_readback_src *src,
		       const struct lf_readback_dst *dst, uint64_t cookie)
{
	const char *why;
	int r = lf_readback_check_src(src, dst, &why);

	if (r < 0)
		return r;
	if (!rb->done_src)
		return -ENOTCONN;
	pthread_mutex_lock(&rb->lock);
	if (rb->busy) {
		pthread_mutex_unlock(&rb->lock);
		return -EBUSY;
	}
	rb->src = *src;
	rb->dst = *dst;
	rb->cookie = cookie;
	rb->submit_ns = lf_now_ns();
	rb->busy = rb->have_job = true;
	pthread_cond_broadcast(&rb->cond);
	pthread_mutex_unlock(&rb->lock);
	return 0;
}

bool lf_readback_busy(struct lf_readback *rb)
{
	bool b;

	pthread_mutex_lock(&rb->lock);
	b = rb->busy;
	pthread_mutex_unlock(&rb->lock);
	return b;
}

const char *lf_readback_device(const struct lf_readback *rb)
{
	return rb->device;
}

bool lf_readback_can_import(const struct lf_readback *rb)
{
	return rb->can_import;
}

static int call_sync(struct lf_readback *rb, enum call_kind kind)
{
	int r;

	rb->call = kind;
	rb->call_done = false;
	pthread_cond_broadcast(&rb->cond);
	while (!rb->call_done)
		pthread_cond_wait(&rb->cond, &rb->lock);
	r = rb->call_result;
	return r;
}

int lf_readback_test_texture(struct lf_readback *rb, uint32_t fourcc, uint32_t width,
			     uint32_t height, const void *pixels, uint32_t stride,
			     uint32_t *tex)
{
	int r;

	pthread_mutex_lock(&rb->lock);
	rb->call_fourcc = fourcc;
	rb->call_w = width;
	rb->call_h = height;
	rb->call_pixels = pixels;
	rb->call_stride = stride;
	r = call_sync(rb, CALL_TEXTURE);
	if (r == 0)
		*tex = rb->call_tex;
	pthread_mutex_unlock(&rb->lock);
	return r;
}

void lf_readback_test_texture_free(struct lf_readback *rb, uint32_t tex)
{
	pthread_mutex_lock(&rb->lock);
	rb->call_tex = tex;
	call_sync(rb, CALL_TEXTURE_FREE);
	pthread_mutex_unlock(&rb->lock);
}
