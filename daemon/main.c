/* SPDX-License-Identifier: MIT */
/*
 * lastframed: one thread, one loop. PipeWire stream, fence fds, client
 * sockets and timers all live on the PipeWire main loop.
 * (Minimal wiring; config, sd_notify and sources grow in daemon/.)
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipewire/pipewire.h>

#include "capture/capture.h"
#include "daemon/log.h"
#include "fence/fence.h"
#include "ipc/server.h"

struct daemon {
	struct pw_main_loop *main_loop;
	struct pw_loop *loop;
	struct pw_context *context;
	struct lf_capture *capture;
	struct lf_fence_waiter *fence;
	struct lf_server *server;
};

static void on_format(void *data, const struct lf_video_format *fmt, uint32_t generation)
{
	struct daemon *d = data;

	lf_fence_waiter_flush(d->fence);
	lf_server_set_format(d->server, fmt, generation,
			     fmt ? LF_STREAM_STREAMING : lf_capture_get_state(d->capture));
}

static void on_state(void *data, enum lf_stream_state state, const char *why)
{
	struct daemon *d = data;

	lf_info("stream: %s", why ? why : "");
	if (state != LF_STREAM_STREAMING) {
		lf_fence_waiter_flush(d->fence);
		lf_server_set_format(d->server, NULL, 0, state);
	}
}

static void on_frame(void *data, struct lf_frame *f)
{
	struct daemon *d = data;
	lf_fence_waiter_submit(d->fence, f);
}

static void on_fence_early(void *data, const struct lf_frame *f)
{
	struct daemon *d = data;
	lf_server_publish_early(d->server, f);
}

static void on_fence_ready(void *data, struct lf_frame *f)
{
	struct daemon *d = data;
	lf_server_publish(d->server, f);
}

static void on_import_failed(void *data, uint32_t drm_format, uint64_t modifier)
{
	struct daemon *d = data;
	lf_capture_report_import_failure(d->capture, drm_format, modifier);
}

static void on_fill_stats(void *data, struct lf_msg_stats *st)
{
	struct daemon *d = data;
	struct lf_capture_stats cs;
	struct lf_fence_stats fs;

	lf_capture_get_stats(d->capture, &cs);
	lf_fence_waiter_get_stats(d->fence, &fs);
	st->state = lf_capture_get_state(d->capture);
	st->frames_in = cs.frames_in;
	st->frames_dropped = cs.frames_dropped + fs.superseded;
	st->frames_corrupted = cs.frames_corrupted;
	st->copies = cs.copies;
	st->renegotiations = cs.renegotiations;
	st->fps_milli = cs.fps_milli;
	st->fence_waited = fs.waited;
	st->fence_already_signalled = fs.already_signalled;
	st->fence_timeouts = fs.timeouts;
	st->fence_wait_p50_ns = fs.wait_p50_ns;
	st->fence_wait_p99_ns = fs.wait_p99_ns;
	st->fence_disabled = fs.disabled;
}

static const struct lf_capture_events capture_events = {
	.format_changed = on_format,
	.state_changed = on_state,
	.frame = on_frame,
};
static const struct lf_fence_events fence_events = {
	.early = on_fence_early,
	.ready = on_fence_ready,
};
static const struct lf_server_events server_events = {
	.import_failed = on_import_failed,
	.fill_stats = on_fill_stats,
};

static void on_signal(void *data, int sig)
{
	struct daemon *d = data;
	lf_notice("signal %d: shutting down", sig);
	pw_main_loop_quit(d->main_loop);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: lastframed [--target NODE] [--socket PATH] [--shm-only]\n");
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "socket", required_argument, NULL, 's' },
		{ "shm-only", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d = { 0 };
	struct lf_capture_options copts = { .lease_buffers = 4 };
	struct lf_fence_options fopts = { .timeout_ms = 100 };
	struct lf_server_options sopts = { .listen_fd = -1, .max_clients = 64,
					   .lease_timeout_ms = 1000, .max_held = 3 };
	char sock_buf[4096];
	int c, r, ret = EXIT_FAILURE;

	lf_log_init("lastframed", LOG_INFO);
	while ((c = getopt_long(argc, argv, "t:s:Sh", long_opts, NULL)) != -1) {
		switch (c) {
		case 't': copts.target = optarg; break;
		case 's': sopts.socket_path = optarg; break;
		case 'S': copts.shm_only = true; break;
		case 'h': usage(stdout); return EXIT_SUCCESS;
		default: usage(stderr); return 2;
		}
	}
	if (!sopts.socket_path)
		sopts.socket_path = getenv("LASTFRAME_SOCKET");
	if (!sopts.socket_path) {
		const char *rt = getenv("XDG_RUNTIME_DIR");
		if (!rt) {
			lf_err("XDG_RUNTIME_DIR is not set and no --socket given");
			return EXIT_FAILURE;
		}
		snprintf(sock_buf, sizeof(sock_buf), "%s/lastframe/socket", rt);
		sopts.socket_path = sock_buf;
	}

	pw_init(&argc, &argv);
	d.main_loop = pw_main_loop_new(NULL);
	if (!d.main_loop)
		goto out;
	d.loop = pw_main_loop_get_loop(d.main_loop);
	pw_loop_add_signal(d.loop, SIGINT, on_signal, &d);
	pw_loop_add_signal(d.loop, SIGTERM, on_signal, &d);
	signal(SIGPIPE, SIG_IGN);

	d.context = pw_context_new(d.loop, NULL, 0);
	if (!d.context)
		goto out;
	r = lf_server_new(d.loop, &sopts, &server_events, &d, &d.server);
	if (r < 0) {
		lf_err("cannot listen on %s: %s", sopts.socket_path, strerror(-r));
		goto out;
	}
	r = lf_fence_waiter_new(d.loop, &fopts, &fence_events, &d, &d.fence);
	if (r < 0)
		goto out;
	r = lf_capture_new(d.loop, d.context, &copts, &capture_events, &d, &d.capture);
	if (r < 0) {
		lf_err("cannot start capture: %s", strerror(-r));
		goto out;
	}
	pw_main_loop_run(d.main_loop);
	ret = EXIT_SUCCESS;
out:
	if (d.capture)
		lf_capture_destroy(d.capture);
	if (d.fence)
		lf_fence_waiter_destroy(d.fence);
	if (d.server)
		lf_server_destroy(d.server);
	if (d.context)
		pw_context_destroy(d.context);
	if (d.main_loop)
		pw_main_loop_destroy(d.main_loop);
	pw_deinit();
	return ret;
}
