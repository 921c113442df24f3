/* SPDX-License-Identifier: MIT */
/*
 * The producer: a driving pw_stream OUTPUT. A timer on the main loop makes
 * each frame (dequeue, draw, queue, trigger), so exactly the frames we count
 * are the ones that go out, in order, one per graph cycle.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libdrm/drm_fourcc.h>
#include <pipewire/pipewire.h>
#include <spa/buffer/meta.h>
#include <spa/param/video/format-utils.h>
#include <spa/pod/builder.h>
#include <spa/utils/result.h>

#include "base/util.h"
#include "tests/testsrc/buffers.h"
#include "tests/testsrc/fill.h"
#include "tests/testsrc/graph.h"
#include "tests/testsrc/testsrc.h"

#define MAX_PARAMS 8
#define POD_BUF_SIZE (64 * 1024)
/* One graph cycle at a time (see pump()); when a cycle's trigger_done never
 * comes, go on after this long. */
#define CYCLE_TIMEOUT_NS (200 * 1000000ull)
/* --wait-buffer: look for a free buffer again after this long. */
#define WAIT_BUFFER_NS (1000000ull)


struct producer {
	const struct ts_options *o;
	struct pw_main_loop *main_loop;
	struct pw_loop *loop;
	struct pw_context *context;
	struct pw_core *core;
	struct spa_hook core_listener;
	struct ts_graph graph;            /* registry: serial, links */
	struct pw_stream *stream;
	struct spa_hook stream_listener;
	struct spa_source *frame_timer, *cycle_timer, *exit_timer;
	struct ts_vgem *vgem;

	struct ts_format fmt;
	bool have_format;
	uint32_t want_width, want_height; /* the size we announce */
	bool resize_done;
	bool resize_asked;                /* SIGUSR1: resize at the next tick */
	bool streaming, done;
	bool cycle_busy;                  /* a frame's graph cycle has not completed */
	bool waiting_buffer;              /* --wait-buffer: every buffer was busy */
	uint64_t buffer_waits;
	uint32_t owed;                    /* frames of this tick still to send */
	uint64_t cycle_timeouts;
	uint32_t counter;                 /* of the next buffer */
	uint64_t queued;
	int exit_code;
	uint8_t pod_buf[POD_BUF_SIZE];
};

static void quit(struct producer *p, int code)
{
	if (code && !p->exit_code)
		p->exit_code = code;
	pw_main_loop_quit(p->main_loop);
}

static void set_timer(struct producer *p, struct spa_source *t, uint64_t first_ns, uint64_t interval_ns)
{
	struct timespec v = { (time_t)(first_ns / 1000000000ull), (long)(first_ns % 1000000000ull) };
	struct timespec i = { (time_t)(interval_ns / 1000000000ull), (long)(interval_ns % 1000000000ull) };

	pw_loop_update_timer(p->loop, t, first_ns ? &v : NULL, interval_ns ? &i : NULL, false);
}

static int announce(struct producer *p)
{
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(p->pod_buf, sizeof(p->pod_buf));
	const struct spa_pod *params[MAX_PARAMS];
	int n = ts_params_enum_formats(&b, p->o, p->want_width, p->want_height, params, MAX_PARAMS);

	if (n < 0)
		return n;
	return pw_stream_update_params(p->stream, params, (uint32_t)n);
}

/* ---- vgem: queue old content under a fence, draw later, then signal ------ */

static void fence_complete(struct producer *p, struct pw_buffer *b)
{
	struct ts_buf *tb = b->user_data;
	int r;

	if (!tb->fence_pending)
		return;
	set_timer(p, tb->fence_timer, 0, 0);
	ts_fill_pixels(&p->fmt, tb, b->buffer, tb->pending_kind, tb->pending_counter);
	r = ts_vgem_fence_signal(p->vgem, tb->fence);
	if (r < 0)
		fprintf(stderr, "lastframe-testsrc: VGEM_FENCE_SIGNAL: %s\n", strerror(-r));
	tb->fence_pending = false;
	if (p->o->verbose)
		printf("signalled counter=%" PRIu32 "\n", tb->pending_counter);
}

static void on_fence_timer(void *data, uint64_t expirations)
{
	struct ts_buf *tb = data;

	fence_complete(tb->owner, tb->pwb);
}

/* ---- frames ------------------------------------------------------------- */

static void finish(struct producer *p)
{
	p->done = true;
	set_timer(p, p->frame_timer, 0, 0);
	if (!p->o->linger)
		/* Give the last frame time to reach the consumer before the node goes. */
		set_timer(p, p->exit_timer, 300 * 1000000ull, 0);
}

static int produce_one(struct producer *p)
{
	uint32_t counter = p->counter;
	enum ts_frame_kind kind = ts_frame_kind_of(p->o, counter);
	struct pw_buffer *b;
	struct ts_buf *tb;
	int r;

	/* A buffer the consumer still holds (SPA_META_Busy) goes to the back
	 * of the free list with EBUSY: another one may be free. */
	for (int tries = 0; tries < 16; tries++) {
		b = pw_stream_dequeue_buffer(p->stream);
		if (b || errno != EBUSY)
			break;
	}
	if (!b) {
		if (p->o->verbose && !p->o->wait_buffer)
			printf("no free buffer (consumer holds them all): frame skipped\n");
		return -EAGAIN;
	}
	tb = b->user_data;
	if (!tb || (tb->fd < 0 && p->fmt.data_type != SPA_DATA_MemPtr)) {
		pw_stream_queue_buffer(p->stream, b);
		return -EIO;
	}
	if (tb->is_vgem) {
		/* A fence still pending on this buffer: finish it before reuse. */
		fence_complete(p, b);
		r = ts_vgem_fence_attach(p->vgem, &tb->bo, &tb->fence);
		if (r < 0) {
			fprintf(stderr, "lastframe-testsrc: VGEM_FENCE_ATTACH: %s\n", strerror(-r));
			pw_stream_queue_buffer(p->stream, b);
			return r;
		}
		tb->fence_pending = true;
		tb->pending_counter = counter;
		tb->pending_kind = kind;
		/* The buffer goes out with its old content; the new frame is
		 * drawn when the "GPU" finishes, right before the signal. */
		if (p->o->fence_delay_ms == 0)
			fence_complete(p, b); /* done before queueing: an already-signalled fence */
		else if (p->o->fence_delay_ms > 0)
			set_timer(p, tb->fence_timer, (uint64_t)p->o->fence_delay_ms * 1000000ull, 0);
	} else {
		ts_fill_pixels(&p->fmt, tb, b->buffer, kind, counter);
	}
	ts_fill_meta(&p->fmt, b->buffer, kind, counter, p->o->no_pts ? -1 : (int64_t)lf_now_ns());
	ts_fill_chunks(&p->fmt, tb, b->buffer, kind);
	r = pw_stream_queue_buffer(p->stream, b);
	if (r < 0)
		return r;
	r = pw_stream_trigger_process(p->stream);
	if (r < 0) {
		fprintf(stderr, "lastframe-testsrc: trigger: %s\n", spa_strerror(r));
		return r;
	}
	p->cycle_busy = true;
	set_timer(p, p->cycle_timer, CYCLE_TIMEOUT_NS, 0);
	if (p->o->verbose)
		printf("queued counter=%" PRIu32 " kind=%s size=%" PRIu32 "x%" PRIu32 "\n",
		       counter, ts_frame_kind_name(kind), p->fmt.width, p->fmt.height);
	p->counter++;
	p->queued++;
	if (p->o->frames && p->queued >= p->o->frames)
		finish(p);
	return 0;
}

static void cycle_end(struct producer *p)
{
	p->cycle_busy = false;
	set_timer(p, p->cycle_timer, 0, 0);
}

/*
 * Send what this tick owes, one graph cycle at a time. On PipeWire 0.3.65 a
 * cycle started while the consumer is still in the previous one can lose the
 * frame: the output port copies its buffer onto the link whatever the
 * consumer has read, and the consumer's input mixer may then mark the new
 * buffer consumed. Back-to-back triggers lost the newest frame of a burst
 * about one run in seven on an idle machine (CI failed on it twice), so the
 * next frame waits for trigger_done. A burst still goes out back to back
 * (a cycle takes ~0.2 ms here).
 */
static void pump(struct producer *p)
{
	int r;

	while (p->owed > 0 && !p->cycle_busy && !p->done && p->streaming) {
		/* Until a new size is negotiated there is nothing right to draw. */
		if (!p->have_format || p->fmt.width != p->want_width ||
		    p->fmt.height != p->want_height)
			break;
		r = produce_one(p);
		if (r == -EAGAIN && p->o->wait_buffer) {
			/* Like a compositor that draws again on the next vblank:
			 * the frame is late, not lost. */
			p->buffer_waits++;
			p->waiting_buffer = p->cycle_busy = true;
			set_timer(p, p->cycle_timer, WAIT_BUFFER_NS, 0);
			break;
		}
		if (r < 0) {
			p->owed = 0;
			break;
		}
		p->owed--;
	}
}

static bool has_consumer(struct producer *p)
{
	return ts_graph_has_output_link(&p->graph, pw_stream_get_node_id(p->stream));
}

static void on_frame_timer(void *data, uint64_t expirations)
{
	struct producer *p = data;
	uint32_t n = p->o->burst ? p->o->burst : 1;

	if (!p->streaming || p->done)
		return;
	if (p->o->wait_consumer && !has_consumer(p))
		return;
	if (p->o->resize_at && !p->resize_done &&
	    (p->counter >= p->o->resize_at || p->resize_asked)) {
		int r;
		p->resize_done = true;
		p->want_width = p->o->resize_width;
		p->want_height = p->o->resize_height;
		if (p->o->verbose)
			printf("resize to %" PRIu32 "x%" PRIu32 "\n", p->want_width, p->want_height);
		r = announce(p);
		if (r < 0) {
			fprintf(stderr, "lastframe-testsrc: resize: %s\n", strerror(-r));
			quit(p, 1);
		}
		return;
	}
	/* A tick replaces what the last one could not send: like a compositor,
	 * a late frame is not made up for. */
	p->owed = n;
	pump(p);
}

/* trigger_done: the frame's cycle completed and nothing is left queued. */
static void on_trigger_done(void *data)
{
	struct producer *p = data;

	if (!p->cycle_busy)
		return;
	cycle_end(p);
	pump(p);
}

static void on_cycle_timer(void *data, uint64_t expirations)
{
	struct producer *p = data;

	if (!p->cycle_busy)
		return;
	if (p->waiting_buffer) {
		p->waiting_buffer = false;
		cycle_end(p);
		pump(p);
		return;
	}
	p->cycle_timeouts++;
	if (p->o->verbose)
		printf("graph cycle not done after %llu ms: going on\n",
		       (unsigned long long)(CYCLE_TIMEOUT_NS / 1000000ull));
	cycle_end(p);
	pump(p);
}

static void on_exit_timer(void *data, uint64_t expirations)
{
	quit(data, 0);
}

/* ---- stream events -------------------------------------------------------- */

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state,
			     const char *error)
{
	struct producer *p = data;

	if (p->o->verbose)
		printf("state %s%s%s\n", pw_stream_state_as_string(state), error ? ": " : "",
		       error ? error : "");
	p->streaming = state == PW_STREAM_STATE_STREAMING;
	switch (state) {
	case PW_STREAM_STATE_STREAMING:
		cycle_end(p);
		/* Drive with triggers from the start: before the first
		 * trigger_process, pw_stream_queue_buffer starts a cycle of its
		 * own, and frame 0 would go out in two cycles at once. */
		pw_stream_trigger_process(p->stream);
		if (!p->done && !p->o->on_signal)
			set_timer(p, p->frame_timer, 1, 1000000000ull / p->o->rate);
		break;
	case PW_STREAM_STATE_ERROR:
		fprintf(stderr, "lastframe-testsrc: stream error: %s\n", error ? error : "?");
		quit(p, 1);
		break;
	case PW_STREAM_STATE_UNCONNECTED:
		quit(p, 1);
		break;
	default:
		set_timer(p, p->frame_timer, 0, 0);
		break;
	}
}

static void use_format(struct producer *p, const struct spa_pod *param)
{
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(p->pod_buf, sizeof(p->pod_buf));
	const struct spa_pod *params[MAX_PARAMS];
	struct ts_format fmt;
	uint32_t n_params = 0;
	int r, n;

	p->have_format = false;
	if (!param)
		return;
	r = ts_params_on_format(&b, p->o, param, &fmt, params, MAX_PARAMS, &n_params);
	if (r == 1) {
		if (p->o->verbose)
			printf("fixating modifier\n");
		pw_stream_update_params(p->stream, params, n_params);
		return;
	}
	if (r == 0 && p->vgem && fmt.data_type == SPA_DATA_DmaBuf) {
		/* The dumb buffer's pitch is the stride: learn it first. */
		struct ts_vgem_bo probe;
		uint32_t rows = fmt.height + (fmt.n_planes > 1 ? fmt.height / 2 : 0);
		r = ts_vgem_bo_create(p->vgem, fmt.width, rows, fmt.n_planes > 1 ? 8 : 32, &probe);
		if (r == 0) {
			for (uint32_t i = 0; i < fmt.n_planes; i++) {
				fmt.strides[i] = probe.pitch;
				fmt.plane_sizes[i] = probe.pitch * (i ? fmt.height / 2 : fmt.height);
			}
			fmt.offsets[1] = fmt.plane_sizes[0];
			fmt.total_size = fmt.offsets[fmt.n_planes - 1] + fmt.plane_sizes[fmt.n_planes - 1];
			ts_vgem_bo_destroy(p->vgem, &probe);
		}
	}
	if (r < 0) {
		fprintf(stderr, "lastframe-testsrc: unusable format: %s\n", strerror(-r));
		pw_stream_set_error(p->stream, r, "unusable format");
		return;
	}
	p->fmt = fmt;
	p->have_format = true;
	if (p->o->verbose)
		printf("format %s %" PRIu32 "x%" PRIu32 " data=%s modifier=%s0x%" PRIx64 "\n",
		       lf_pattern_format_name(fmt.pattern), fmt.width, fmt.height,
		       fmt.data_type == SPA_DATA_DmaBuf ? "DmaBuf" :
		       fmt.data_type == SPA_DATA_MemFd ? "MemFd" : "MemPtr",
		       fmt.has_modifier ? "" : "none/", fmt.modifier);
	n = ts_params_buffers(&b, p->o, &fmt, params, MAX_PARAMS);
	if (n < 0) {
		pw_stream_set_error(p->stream, n, "cannot build buffer params");
		return;
	}
	pw_stream_update_params(p->stream, params, (uint32_t)n);
}

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
	if (id == SPA_PARAM_Format)
		use_format(data, param);
}

static void on_add_buffer(void *data, struct pw_buffer *b)
{
	struct producer *p = data;
	struct ts_buf *tb = calloc(1, sizeof(*tb));
	int r;

	if (!tb) {
		pw_stream_set_error(p->stream, -ENOMEM, "out of memory");
		return;
	}
	tb->fd = -1;
	tb->pwb = b;
	tb->owner = p;
	b->user_data = tb;
	r = ts_buf_alloc(tb, b->buffer, &p->fmt, p->vgem);
	if (r < 0) {
		fprintf(stderr, "lastframe-testsrc: buffer allocation: %s\n", strerror(-r));
		pw_stream_set_error(p->stream, r, "buffer allocation failed");
		return;
	}
	if (tb->is_vgem) {
		tb->fence_timer = pw_loop_add_timer(p->loop, on_fence_timer, tb);
		if (!tb->fence_timer)
			pw_stream_set_error(p->stream, -ENOMEM, "no timer");
	}
}

static void on_remove_buffer(void *data, struct pw_buffer *b)
{
	struct producer *p = data;
	struct ts_buf *tb = b->user_data;

	if (!tb)
		return;
	if (tb->fence_pending)
		ts_vgem_fence_signal(p->vgem, tb->fence);
	if (tb->fence_timer)
		pw_loop_destroy_source(p->loop, tb->fence_timer);
	ts_buf_free(tb, b->buffer, p->vgem);
	free(tb);
	b->user_data = NULL;
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_state_changed,
	.trigger_done = on_trigger_done,
	.param_changed = on_param_changed,
	.add_buffer = on_add_buffer,
	.remove_buffer = on_remove_buffer,
};

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct producer *p = data;

	fprintf(stderr, "lastframe-testsrc: pipewire error id:%" PRIu32 " %s: %s\n", id,
		spa_strerror(res), message ? message : "");
	if (id == PW_ID_CORE)
		quit(p, 1);
}

static const struct pw_core_events core_events = {
	PW_VERSION_CORE_EVENTS,
	.error = on_core_error,
};

/* SIGUSR1: a test that must see the old size first says when to resize
 * (a frame count raced a slow start). SIGUSR2 with --on-signal: the test is
 * the frame clock. */
static void on_signal(void *data, int sig)
{
	struct producer *p = data;

	if (sig == SIGUSR1)
		p->resize_asked = true;
	else if (sig == SIGUSR2)
		on_frame_timer(data, 1);
	else
		quit(p, 0);
}

int ts_producer_run(const struct ts_options *o)
{
	struct producer *p;
	struct pw_properties *props;
	struct spa_pod_builder b;
	const struct spa_pod *params[MAX_PARAMS];
	enum pw_stream_flags flags;
	const char *why = "";
	int n, r, ret = 1;
	char size[32];

	p = calloc(1, sizeof(*p));
	if (!p)
		return 1;
	p->o = o;
	p->want_width = o->width;
	p->want_height = o->height;
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (o->vgem) {
		r = ts_vgem_open(&p->vgem, &why);
		if (r < 0) {
			fprintf(stderr, "lastframe-testsrc: --vgem: %s: %s\n", why, strerror(-r));
			free(p);
			return 1;
		}
	}

	pw_init(NULL, NULL);
	p->main_loop = pw_main_loop_new(NULL);
	if (!p->main_loop)
		goto out;
	p->loop = pw_main_loop_get_loop(p->main_loop);
	pw_loop_add_signal(p->loop, SIGINT, on_signal, p);
	pw_loop_add_signal(p->loop, SIGTERM, on_signal, p);
	pw_loop_add_signal(p->loop, SIGUSR1, on_signal, p);
	if (o->on_signal)
		pw_loop_add_signal(p->loop, SIGUSR2, on_signal, p);
	p->frame_timer = pw_loop_add_timer(p->loop, on_frame_timer, p);
	p->cycle_timer = pw_loop_add_timer(p->loop, on_cycle_timer, p);
	p->exit_timer = pw_loop_add_timer(p->loop, on_exit_timer, p);
	p->context = pw_context_new(p->loop, NULL, 0);
	if (!p->context || !p->frame_timer || !p->cycle_timer || !p->exit_timer)
		goto out;
	p->core = pw_context_connect(p->context, NULL, 0);
	if (!p->core) {
		fprintf(stderr, "lastframe-testsrc: cannot connect to PipeWire: %m\n");
		goto out;
	}
	pw_core_add_listener(p->core, &p->core_listener, &core_events, p);
	if (o->print_serial || o->wait_consumer) {
		r = ts_graph_watch(&p->graph, p->core, o->name, o->print_serial);
		if (r < 0) {
			fprintf(stderr, "lastframe-testsrc: registry: %s\n", strerror(-r));
			goto out;
		}
	}

	snprintf(size, sizeof(size), "%" PRIu32 "x%" PRIu32, o->width, o->height);
	props = pw_properties_new(
		PW_KEY_MEDIA_CLASS, "Video/Source",
		PW_KEY_MEDIA_TYPE, "Video",
		PW_KEY_MEDIA_CATEGORY, "Capture",
		PW_KEY_MEDIA_ROLE, "Screen",
		PW_KEY_NODE_NAME, o->name,
		PW_KEY_NODE_DESCRIPTION, "lastframe test producer",
		NULL);
	if (!props)
		goto out;
	p->stream = pw_stream_new(p->core, o->name, props);
	if (!p->stream)
		goto out;
	pw_stream_add_listener(p->stream, &p->stream_listener, &stream_events, p);

	b = SPA_POD_BUILDER_INIT(p->pod_buf, sizeof(p->pod_buf));
	n = ts_params_enum_formats(&b, o, o->width, o->height, params, MAX_PARAMS);
	if (n < 0) {
		fprintf(stderr, "lastframe-testsrc: format params: %s\n", strerror(-n));
		goto out;
	}
	flags = PW_STREAM_FLAG_DRIVER | PW_STREAM_FLAG_MAP_BUFFERS;
	/* We allocate memfds/dmabufs ourselves, like Mutter; MemPtr memory is PipeWire's. */
	if (o->buffer != TS_BUFFER_MEMPTR)
		flags |= PW_STREAM_FLAG_ALLOC_BUFFERS;
	r = pw_stream_connect(p->stream, PW_DIRECTION_OUTPUT, PW_ID_ANY, flags, params, (uint32_t)n);
	if (r < 0) {
		fprintf(stderr, "lastframe-testsrc: pw_stream_connect: %s\n", spa_strerror(r));
		goto out;
	}
	pw_main_loop_run(p->main_loop);
	ret = p->exit_code;
	if (o->verbose && p->buffer_waits)
		printf("waited for a free buffer %" PRIu64 " times\n", p->buffer_waits);
	if (o->verbose && p->cycle_timeouts)
		printf("graph cycles that timed out: %" PRIu64 "\n", p->cycle_timeouts);
out:
	if (p->stream)
		pw_stream_destroy(p->stream);
	ts_graph_stop(&p->graph);
	if (p->core)
		pw_core_disconnect(p->core);
	if (p->context)
		pw_context_destroy(p->context);
	if (p->main_loop)
		pw_main_loop_destroy(p->main_loop);
	ts_vgem_close(p->vgem);
	pw_deinit();
	free(p);
	return ret;
}
