/* SPDX-License-Identifier: MIT */
/*
 * Implicit-fence waiter. For a dmabuf frame we export one sync_file per
 * distinct plane fd (DMA_BUF_IOCTL_EXPORT_SYNC_FILE, READ), check them with a
 * zero-timeout poll (already signalled: hand on at once), else put them on the
 * loop and hand the frame on when all signalled. Nothing here blocks.
 *
 * Pending frames live in a small fixed table (no allocation per frame). Each
 * has an order number; a frame that becomes ready drops every older pending
 * frame, so frames are never handed on out of order and only the newest safe
 * frame wins. One loop timer tracks the oldest deadline.
 */
#include "fence/fence-kernel.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

#define MAX_PENDING 8
#define N_SAMPLES 256

struct pending;

struct fence_io {
	struct lf_fence_waiter *w;
	struct pending *p;
	struct spa_source *src; /* NULL once signalled */
};

struct pending {
	struct lf_frame *f;     /* NULL: slot free */
	uint64_t order;
	uint64_t start_ns, deadline_ns;
	uint32_t n_left;        /* sync_files not yet signalled */
	struct fence_io io[LF_MAX_PLANES];
};

struct lf_fence_waiter {
	struct pw_loop *loop;
	struct lf_fence_options opts;
	const struct lf_fence_events *events;
	void *data;

	const struct lf_fence_kernel_ops *kops;
	void *kops_data;

	struct pending slots[MAX_PENDING];
	uint64_t next_order;
	struct spa_source *timer;
	uint64_t timer_at_ns;   /* 0: disarmed */

	/* Waiting turned off for this stream (the fds are no dmabufs, or the
	 * kernel lacks the ioctl); reset by flush(). */
	bool stream_disabled;
	int last_disable_errno;
	/* The first error / timeout of a stream is logged, later ones only
	 * at debug level (they are counted either way). */
	bool logged_error, logged_timeout;

	struct lf_fence_stats st;
	uint64_t samples[N_SAMPLES]; /* ring of recent wait times, ns */
	uint32_t n_samples, sample_pos;
};

static int real_export(void *data, int fd)
{
	return lf_fence_export_sync_file(fd);
}

static const struct lf_fence_kernel_ops real_kops = { .export_sync_file = real_export };

static void add_sample(struct lf_fence_waiter *w, uint64_t ns)
{
	w->samples[w->sample_pos] = ns;
	w->sample_pos = (w->sample_pos + 1) % N_SAMPLES;
	if (w->n_samples < N_SAMPLES)
		w->n_samples++;
}

/* Drop the frame's sync_files: once signalled (or given up on) they carry no
 * information for ready() consumers. */
static void frame_drop_fences(struct lf_frame *f)
{
	for (unsigned i = 0; i < LF_MAX_PLANES; i++)
		lf_close(&f->fences[i]);
	f->n_fences = 0;
	f->flags &= ~LF_FRAME_FLAG_FENCE_PENDING;
}

/* Take the frame out of its slot: remove its loop sources, keep the frame. */
static struct lf_frame *pending_detach(struct lf_fence_waiter *w, struct pending *p)
{
	struct lf_frame *f = p->f;

	for (unsigned i = 0; i < LF_MAX_PLANES; i++) {
		if (p->io[i].src)
			pw_loop_destroy_source(w->loop, p->io[i].src);
		p->io[i].src = NULL;
	}
	p->f = NULL;
	p->n_left = 0;
	return f;
}

static void pending_drop(struct lf_fence_waiter *w, struct pending *p)
{
	lf_frame_free(pending_detach(w, p));
}

static struct pending *oldest_pending(struct lf_fence_waiter *w)
{
	struct pending *best = NULL;

	for (unsigned i = 0; i < MAX_PENDING; i++)
		if (w->slots[i].f && (!best || w->slots[i].order < best->order))
			best = &w->slots[i];
	return best;
}

static void timer_rearm(struct lf_fence_waiter *w)
{
	struct pending *p = oldest_pending(w);
	uint64_t at = p ? p->deadline_ns : 0;
	struct timespec ts = { .tv_sec = (time_t)(at / 1000000000ull),
			       .tv_nsec = (long)(at % 1000000000ull) };

	if (at == w->timer_at_ns)
		return;
	/* Absolute CLOCK_MONOTONIC; all zero disarms. */
	if (pw_loop_update_timer(w->loop, w->timer, &ts, NULL, true) < 0)
		lf_warn("fence: cannot arm timeout timer");
	w->timer_at_ns = at;
}

/* Drop every pending frame older than order: a newer frame is about to be
 * handed on and they may never follow it. */
static void supersede_older(struct lf_fence_waiter *w, uint64_t order)
{
	for (unsigned i = 0; i < MAX_PENDING; i++) {
		struct pending *p = &w->slots[i];
		if (p->f && p->order < order) {
			pending_drop(w, p);
			w->st.superseded++;
		}
	}
}

static void hand_on(struct lf_fence_waiter *w, struct lf_frame *f, uint64_t order)
{
	supersede_older(w, order);
	timer_rearm(w);
	frame_drop_fences(f);
	w->events->ready(w->data, f);
}

static void pending_ready(struct lf_fence_waiter *w, struct pending *p)
{
	uint64_t order = p->order, start = p->start_ns;
	struct lf_frame *f = pending_detach(w, p);

	add_sample(w, lf_now_ns() - start);
	hand_on(w, f, order);
}

static void log_error(struct lf_fence_waiter *w, uint64_t seq, const char *why)
{
	lf_log(w->logged_error ? LOG_DEBUG : LOG_WARNING,
	       "fence: dropping frame seq %llu: %s%s", (unsigned long long)seq, why,
	       w->logged_error ? "" : " (further fence errors of this stream are only counted)");
	w->logged_error = true;
}

static void pending_error(struct lf_fence_waiter *w, struct pending *p, const char *why)
{
	w->st.errors++;
	log_error(w, p->f->seq, why);
	pending_drop(w, p);
	timer_rearm(w);
}

static void on_fence_io(void *data, int fd, uint32_t mask)
{
	struct fence_io *io = data;
	struct lf_fence_waiter *w = io->w;
	struct pending *p = io->p;

	/* A sync_file with an error status (or a dead fd) reports ERR/HUP. */
	if ((mask & SPA_IO_ERR) || ((mask & SPA_IO_HUP) && !(mask & SPA_IO_IN))) {
		pending_error(w, p, "sync_file reported an error");
		return;
	}
	if (!(mask & SPA_IO_IN))
		return;
	pw_loop_destroy_source(w->loop, io->src);
	io->src = NULL;
	if (--p->n_left == 0)
		pending_ready(w, p);
}

static void on_timeout(void *data, uint64_t expirations)
{
	struct lf_fence_waiter *w = data;
	uint64_t now = lf_now_ns();
	struct pending *p;

	w->timer_at_ns = 0;
	/* Oldest first, so anything published here stays in order. */
	while ((p = oldest_pending(w)) && p->deadline_ns <= now) {
		uint64_t order = p->order;
		struct lf_frame *f;

		w->st.timeouts++;
		lf_log(w->logged_timeout ? LOG_DEBUG : LOG_NOTICE,
		       "fence: frame seq %llu: fence did not signal in %u ms: %s%s",
		       (unsigned long long)p->f->seq, w->opts.timeout_ms,
		       w->opts.publish_on_timeout ? "published flagged FENCE_TIMEOUT" : "dropped",
		       w->logged_timeout ? "" : " (further timeouts of this stream are only counted)");
		w->logged_timeout = true;
		if (!w->opts.publish_on_timeout) {
			pending_drop(w, p);
			continue;
		}
		f = pending_detach(w, p);
		f->flags |= LF_FRAME_FLAG_FENCE_TIMEOUT;
		hand_on(w, f, order);
	}
	timer_rearm(w);
}

static bool is_unsupported(int err)
{
	return err == -ENOTTY || err == -EINVAL || err == -EOPNOTSUPP;
}

static void stream_disable(struct lf_fence_waiter *w, int err)
{
	/* One line per stream; the same cause again (a renegotiation) only
	 * at debug level. */
	int prio = err == w->last_disable_errno ? LOG_DEBUG : LOG_NOTICE;

	lf_log(prio, "fence: cannot export sync_file from the stream's buffers (%s): "
	       "implicit-fence waiting off for this stream", strerror(-err));
	w->stream_disabled = true;
	w->last_disable_errno = err;
}

/* Export one sync_file per distinct plane fd into f->fences. */
static int export_fences(struct lf_fence_waiter *w, struct lf_frame *f)
{
	struct lf_buffer *b = f->buf;
	uint32_t n = 0;

	/* Not -EINVAL: that would read as "no fence support" and turn
	 * waiting off; a malformed frame is only dropped. */
	if (b->n_planes == 0 || b->n_planes > LF_MAX_PLANES)
		return -EPROTO;
	for (uint32_t i = 0; i < b->n_planes; i++) {
		int fd = b->planes[i].fd, s;
		bool seen = false;

		for (uint32_t j = 0; j < i; j++)
			seen |= b->planes[j].fd == fd;
		if (seen && fd >= 0)
			continue;
		s = w->kops->export_sync_file(w->kops_data, fd);
		if (s < 0)
			return s;
		f->fences[n++] = s;
		f->n_fences = n;
	}
	return 0;
}

/* 1: all signalled, 0: some pending, <0: a sync_file is in error. */
static int poll_fences(const struct lf_frame *f)
{
	struct pollfd pfd[LF_MAX_PLANES];
	int r, ready = 0;

	for (uint32_t i = 0; i < f->n_fences; i++)
		pfd[i] = (struct pollfd){ .fd = f->fences[i], .events = POLLIN };
	do {
		r = poll(pfd, f->n_fences, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	for (uint32_t i = 0; i < f->n_fences; i++) {
		if (pfd[i].revents & (POLLERR | POLLNVAL))
			return -EIO;
		if ((pfd[i].revents & POLLHUP) && !(pfd[i].revents & POLLIN))
			return -EIO;
		ready += !!(pfd[i].revents & POLLIN);
	}
	return ready == (int)f->n_fences;
}

static struct pending *free_slot(struct lf_fence_waiter *w)
{
	struct pending *p;

	for (unsigned i = 0; i < MAX_PENDING; i++)
		if (!w->slots[i].f)
			return &w->slots[i];
	/* Full: the oldest frame is the least useful one. */
	p = oldest_pending(w);
	pending_drop(w, p);
	w->st.superseded++;
	return p;
}

static int start_wait(struct lf_fence_waiter *w, struct lf_frame *f, uint64_t order, uint64_t now)
{
	struct pending *p = free_slot(w);

	p->f = f;
	p->order = order;
	p->start_ns = now;
	p->deadline_ns = now + (uint64_t)w->opts.timeout_ms * 1000000ull;
	p->n_left = 0;
	for (uint32_t i = 0; i < f->n_fences; i++) {
		p->io[i] = (struct fence_io){ .w = w, .p = p };
		p->io[i].src = pw_loop_add_io(w->loop, f->fences[i], SPA_IO_IN, false,
					      on_fence_io, &p->io[i]);
		if (!p->io[i].src) {
			int r = -errno;
			pending_detach(w, p);
			return r < 0 ? r : -ENOMEM;
		}
		p->n_left++;
	}
	timer_rearm(w);
	return 0;
}

void lf_fence_waiter_submit(struct lf_fence_waiter *w, struct lf_frame *f)
{
	const char *why = NULL;
	uint64_t order, now;
	int r;

	if (!f)
		return;
	order = ++w->next_order;
	if (!f->buf || f->buf->type != LF_BUFFER_DMABUF || w->stream_disabled || w->opts.no_wait) {
		hand_on(w, f, order);
		return;
	}
	now = lf_now_ns();
	r = export_fences(w, f);
	if (is_unsupported(r)) {
		stream_disable(w, r);
		hand_on(w, f, order);
		return;
	}
	if (r == -EPROTO)
		why = "frame has no planes or too many";
	if (r < 0)
		goto error;
	r = poll_fences(f);
	if (r == -EIO)
		why = "sync_file reported an error";
	if (r < 0)
		goto error;
	if (r == 1) {
		w->st.already_signalled++;
		add_sample(w, lf_now_ns() - now);
		hand_on(w, f, order);
		return;
	}
	w->st.waited++;
	f->flags |= LF_FRAME_FLAG_FENCE_PENDING;
	if (w->events->early)
		w->events->early(w->data, f);
	r = start_wait(w, f, order, now);
	if (r < 0)
		goto error;
	return;
error:
	w->st.errors++;
	log_error(w, f->seq, why ? why : strerror(-r));
	lf_frame_free(f);
}

void lf_fence_waiter_flush(struct lf_fence_waiter *w)
{
	if (!w)
		return;
	for (unsigned i = 0; i < MAX_PENDING; i++)
		if (w->slots[i].f)
			pending_drop(w, &w->slots[i]);
	timer_rearm(w);
	/* A new stream (format) gets a new chance at fence export. */
	w->stream_disabled = false;
	w->logged_error = w->logged_timeout = false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void lf_fence_waiter_get_stats(struct lf_fence_waiter *w, struct lf_fence_stats *st)
{
	uint64_t sorted[N_SAMPLES];
	uint32_t n = w->n_samples;

	*st = w->st;
	st->disabled = w->stream_disabled;
	if (n == 0)
		return;
	memcpy(sorted, w->samples, n * sizeof(sorted[0]));
	qsort(sorted, n, sizeof(sorted[0]), cmp_u64);
	st->wait_p50_ns = sorted[(n - 1) / 2];
	st->wait_p99_ns = sorted[(n * 99 + 99) / 100 - 1];
}

void lf_fence_waiter_set_kernel_ops(struct lf_fence_waiter *w,
				    const struct lf_fence_kernel_ops *ops, void *data)
{
	w->kops = ops ? ops : &real_kops;
	w->kops_data = ops ? data : NULL;
}

int lf_fence_waiter_new(struct pw_loop *loop, const struct lf_fence_options *opts,
			const struct lf_fence_events *events, void *data,
			struct lf_fence_waiter **out)
{
	struct lf_fence_waiter *w;

	if (!loop || !events || !events->ready || !out)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->loop = loop;
	if (opts)
		w->opts = *opts;
	if (w->opts.timeout_ms == 0)
		w->opts.timeout_ms = 100;
	w->events = events;
	w->data = data;
	w->kops = &real_kops;
	w->timer = pw_loop_add_timer(loop, on_timeout, w);
	if (!w->timer) {
		int r = errno ? -errno : -ENOMEM;
		free(w);
		return r;
	}
	*out = w;
	return 0;
}

void lf_fence_waiter_destroy(struct lf_fence_waiter *w)
{
	if (!w)
		return;
	for (unsigned i = 0; i < MAX_PENDING; i++)
		if (w->slots[i].f)
			pending_drop(w, &w->slots[i]);
	pw_loop_destroy_source(w->loop, w->timer);
	free(w);
}
