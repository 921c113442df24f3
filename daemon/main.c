/* SPDX-License-Identifier: MIT */
/*
 * lastframed: one thread, one loop. PipeWire stream, fence fds, client
 * sockets, the session bus (Mutter source) and timers all live on the
 * PipeWire main loop. This file wires the modules together; settings live in
 * daemon/options.c, the service manager protocol in daemon/notify.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipewire/pipewire.h>

#include "capture/capture.h"
#include "capture/modifiers.h"
#include "capture/source-mutter.h"
#include "capture/source-portal.h"
#include "daemon/copy.h"
#include "base/log.h"
#include "daemon/notify.h"
#include "daemon/options.h"
#include "daemon/socket.h"
#include "fence/fence.h"
#include "ipc/server.h"

struct daemon {
	struct lf_config cfg;
	struct pw_main_loop *main_loop;
	struct pw_loop *loop;
	struct pw_context *context;
	struct lf_capture_options copts;
	uint64_t *mods;                    /* copts.modifiers, from --modifiers */
	struct lf_capture *capture;        /* Mutter: created once the node is known */
	struct lf_fence_waiter *fence;
	struct lf_server *server;
	struct lf_copy *copy;              /* GPU readback for CPU readers */
	struct lf_notify *notify;
	struct lf_mutter_source *mutter;
	struct lf_portal_source *portal;
	struct spa_source *status_timer;   /* fps drifts without events: refresh STATUS= */
	char mutter_target[64];
	char source_desc[160];
	int exit_code;
};

/* STATUS= and the STATUS message: the same words. */
static void status_text(struct daemon *d, char *buf, size_t len)
{
	struct lf_status_info info = { 0 };
	struct lf_capture_stats cs = { 0 };

	if (d->capture) {
		info.state = lf_capture_get_state(d->capture);
		info.format = lf_capture_get_format(d->capture);
		lf_capture_get_stats(d->capture, &cs);
		info.fps_milli = cs.fps_milli;
	}
	info.n_clients = lf_server_client_count(d->server);
	if (d->mutter) {
		/* Upstream of the node (bus, Mutter, session) says more than the
		 * stream's own state: the node went with the session. */
		info.waiting_for = lf_mutter_source_waiting_for(d->mutter);
		if (info.waiting_for)
			info.state = LF_STREAM_NONE;
	} else if (d->portal) {
		info.waiting_for = lf_portal_source_waiting_for(d->portal);
		if (info.waiting_for)
			info.state = LF_STREAM_NONE;
	} else if (info.state == LF_STREAM_NONE) {
		info.waiting_for = d->source_desc;
	}
	lf_status_format(buf, len, &info);
}

static void update_status(struct daemon *d)
{
	char buf[256];

	if (!d->notify || !d->server)
		return;
	status_text(d, buf, sizeof(buf));
	lf_notify_status(d->notify, buf);
}

static void on_fill_status(void *data, char *buf, size_t len)
{
	status_text(data, buf, len);
}

static void on_status_timer(void *data, uint64_t expirations)
{
	update_status(data);
}

static void on_format(void *data, const struct lf_video_format *fmt, uint32_t generation)
{
	struct daemon *d = data;

	lf_fence_waiter_flush(d->fence);
	lf_copy_set_format(d->copy, fmt, generation);
	lf_server_set_format(d->server, fmt, generation,
			     fmt ? LF_STREAM_STREAMING : lf_capture_get_state(d->capture));
	update_status(d);
}

static void on_state(void *data, enum lf_stream_state state, const char *why)
{
	struct daemon *d = data;

	lf_info("stream: %s", why ? why : "");
	/* The granted node is in PipeWire and our stream reached it. */
	if (d->portal && state != LF_STREAM_NONE)
		lf_portal_source_stream_up(d->portal);
	if (state != LF_STREAM_STREAMING) {
		lf_fence_waiter_flush(d->fence);
		lf_copy_set_format(d->copy, NULL, 0);
		lf_server_set_format(d->server, NULL, 0, state);
	}
	update_status(d);
}

static void on_frame(void *data, struct lf_frame *f)
{
	struct daemon *d = data;

	if (!d->fence) { /* shutting down */
		lf_frame_free(f);
		return;
	}
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

	if (d->capture)
		lf_capture_report_import_failure(d->capture, drm_format, modifier);
}

static void on_fill_stats(void *data, struct lf_msg_stats *st)
{
	struct daemon *d = data;
	struct lf_capture_stats cs = { 0 };
	struct lf_fence_stats fs;

	if (d->capture)
		lf_capture_get_stats(d->capture, &cs);
	lf_fence_waiter_get_stats(d->fence, &fs);
	st->state = d->capture ? lf_capture_get_state(d->capture) : LF_STREAM_NONE;
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
	st->return_guard = cs.return_guard;
	st->returns_guarded = cs.returns_guarded;
	st->returns_unguarded = cs.returns_unguarded;
	st->buffers_refused = cs.buffers_refused;
}

static void on_clients_changed(void *data, uint32_t n_clients)
{
	struct daemon *d = data;

	lf_capture_set_demand(d->capture, n_clients > 0);
	update_status(d);
}

static void on_remote_lost(void *data, const char *why)
{
	struct daemon *d = data;

	lf_portal_source_stream_lost(d->portal, why);
}

static void on_copy_wanted(void *data)
{
	struct daemon *d = data;

	if (d->copy)
		lf_copy_kick(d->copy);
}

static const struct lf_capture_events capture_events = {
	.format_changed = on_format,
	.state_changed = on_state,
	.frame = on_frame,
	.remote_lost = on_remote_lost,
};
static const struct lf_fence_events fence_events = {
	.early = on_fence_early,
	.ready = on_fence_ready,
};
static const struct lf_server_events server_events = {
	.import_failed = on_import_failed,
	.fill_stats = on_fill_stats,
	.fill_status = on_fill_status,
	.clients_changed = on_clients_changed,
	.copy_wanted = on_copy_wanted,
};

static void on_mutter_node(void *data, const char *target)
{
	struct daemon *d = data;
	int r;

	snprintf(d->mutter_target, sizeof(d->mutter_target), "%s", target);
	if (d->capture) {
		r = lf_capture_set_target(d->capture, d->mutter_target);
		if (r < 0)
			lf_err("cannot switch capture to Mutter's node %s: %s", target, strerror(-r));
	} else {
		d->copts.target = d->mutter_target;
		r = lf_capture_new(d->loop, d->context, &d->copts, &capture_events, d, &d->capture);
		if (r >= 0)
			lf_capture_set_demand(d->capture, lf_server_client_count(d->server) > 0);
		if (r < 0) {
			/* Fatal: without capture there is nothing to serve; systemd restarts us. */
			lf_err("cannot start capture of Mutter's node %s: %s", target, strerror(-r));
			d->exit_code = EXIT_FAILURE;
			pw_main_loop_quit(d->main_loop);
			return;
		}
	}
	update_status(d);
}

static void on_mutter_lost(void *data, const char *why)
{
	struct daemon *d = data;

	lf_fence_waiter_flush(d->fence);
	lf_copy_set_format(d->copy, NULL, 0);
	lf_server_set_format(d->server, NULL, 0, LF_STREAM_PAUSED);
	update_status(d);
}

static const struct lf_mutter_events mutter_events = {
	.node = on_mutter_node,
	.lost = on_mutter_lost,
};

static void on_portal_remote(void *data, int fd, uint32_t node_id)
{
	struct daemon *d = data;
	int r;

	/* Failures come back as remote_lost, which retries the session. */
	r = lf_capture_set_remote(d->capture, fd, node_id);
	if (r < 0)
		lf_warn("cannot capture the portal's node %u: %s", node_id, strerror(-r));
	update_status(d);
}

static void on_portal_lost(void *data, const char *why)
{
	struct daemon *d = data;

	/* The old node may still send frames: not any more for us. */
	lf_capture_set_remote(d->capture, -1, 0);
	lf_fence_waiter_flush(d->fence);
	lf_server_set_format(d->server, NULL, 0, LF_STREAM_NONE);
	update_status(d);
}

static const struct lf_portal_events portal_events = {
	.remote = on_portal_remote,
	.lost = on_portal_lost,
};

/* Every frame the daemon holds (readback in flight, fence waits, the latest
 * frame, client leases) goes back to the stream while the loop still runs:
 * a buffer a consumer leaves with stays marked busy in the producer
 * (PipeWire 0.3.65 keeps the producer's buffers across links), and a few
 * daemon restarts starved the producer for good. Frames still arriving are
 * given back at once (on_frame). */
static void release_frames(struct daemon *d)
{
	lf_copy_destroy(d->copy);
	d->copy = NULL;
	lf_fence_waiter_destroy(d->fence);
	d->fence = NULL;
	lf_server_destroy(d->server); /* BYE to every client */
	d->server = NULL;
}

static void on_signal(void *data, int sig)
{
	struct daemon *d = data;

	lf_notice("%s: shutting down", strsignal(sig));
	release_frames(d);
	pw_main_loop_quit(d->main_loop);
}

/* The modifier list from the config, parsed into d->mods (owned by the daemon). */
static int config_modifiers(const struct lf_config *c, struct lf_capture_options *o, uint64_t **mods)
{
	int r;

	o->shm_only = c->shm_only;
	o->no_import_probe = !c->import_probe;
	o->return_guard = (enum lf_return_guard_mode)c->return_guard;
	if (!c->modifiers[0])
		return 0;
	r = lf_modifiers_parse(c->modifiers, mods, &o->n_modifiers);
	if (r < 0)
		return r;
	o->modifiers = *mods;
	return 0;
}

static int list_formats(const struct lf_config *c)
{
	struct lf_capture_options o = { 0 };
	uint64_t *mods = NULL;
	int r;

	lf_log_init("lastframed", LOG_WARNING);
	r = config_modifiers(c, &o, &mods);
	if (r >= 0) {
		o.cpu_readable_only = !lf_copy_print_status(stdout, NULL);
		r = lf_capture_print_formats(stdout, &o);
	}
	free(mods);
	if (r < 0)
		fprintf(stderr, "lastframed: cannot list formats: %s\n", strerror(-r));
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int start_source(struct daemon *d)
{
	struct lf_config *c = &d->cfg;
	int r;

	r = config_modifiers(c, &d->copts, &d->mods);
	if (r < 0)
		return r;
	d->copts.lease_buffers = 4;
	if (c->source == LF_SOURCE_MUTTER) {
		struct lf_mutter_options mo = {
			.virtual_monitor = c->mutter_record == LF_MUTTER_VIRTUAL,
			.connector = c->connector,
			.cursor_mode = c->cursor,
		};
		/* Mutter sizes a virtual monitor from the negotiated format:
		 * the size we prefer is the size it gets. */
		d->copts.request_width = c->virtual_width;
		d->copts.request_height = c->virtual_height;
		r = lf_mutter_source_new(d->loop, d->context, &mo, &mutter_events, d, &d->mutter);
		if (r < 0)
			lf_err("cannot start the Mutter source: %s", strerror(-r));
		return r;
	}
	d->copts.target = c->source == LF_SOURCE_NODE ? c->target : NULL;
	/* The portal's node is reached only through the socket it hands out. */
	d->copts.remote_only = c->source == LF_SOURCE_PORTAL;
	r = lf_capture_new(d->loop, d->context, &d->copts, &capture_events, d, &d->capture);
	if (r < 0) {
		lf_err("cannot start capture: %s", strerror(-r));
		return r;
	}
	lf_capture_set_demand(d->capture, lf_server_client_count(d->server) > 0);
	if (c->source == LF_SOURCE_PORTAL) {
		struct lf_portal_options po = { .types = c->portal_types };

		r = lf_portal_source_new(d->loop, &po, &portal_events, d, &d->portal);
		if (r < 0)
			lf_err("cannot start the portal source: %s", strerror(-r));
	}
	return r;
}

static int setup(struct daemon *d)
{
	struct lf_fence_options fopts = { .timeout_ms = d->cfg.fence_timeout_ms,
					  .publish_on_timeout = d->cfg.fence_timeout_publish,
					  .no_wait = d->cfg.no_fence_wait };
	struct lf_server_options sopts = {
		.socket_path = d->cfg.socket_path,
		.listen_fd = -1,
		.max_clients = d->cfg.max_clients,
		.lease_timeout_ms = d->cfg.lease_timeout_ms,
		.max_held = 3,
		.allowed_uids = d->cfg.allow_uids,
		.n_allowed_uids = d->cfg.n_allow_uids,
		.allowed_gids = d->cfg.allow_gids,
		.n_allowed_gids = d->cfg.n_allow_gids,
	};
	int r;

	r = lf_daemon_socket_from_systemd(&sopts.listen_fd);
	if (r < 0)
		return r;
	if (sopts.listen_fd < 0 && (r = lf_daemon_socket_path(&d->cfg)) < 0)
		return r;

	d->main_loop = pw_main_loop_new(NULL);
	if (!d->main_loop) {
		r = errno ? -errno : -ENOMEM;
		lf_err("cannot create the main loop: %s", strerror(-r));
		return r;
	}
	d->loop = pw_main_loop_get_loop(d->main_loop);
	if (!pw_loop_add_signal(d->loop, SIGINT, on_signal, d) ||
	    !pw_loop_add_signal(d->loop, SIGTERM, on_signal, d)) {
		r = errno ? -errno : -ENOMEM;
		lf_err("cannot watch signals: %s", strerror(-r));
		return r;
	}
	signal(SIGPIPE, SIG_IGN);

	if (!getenv("PIPEWIRE_RUNTIME_DIR") && !getenv("XDG_RUNTIME_DIR") &&
	    !(getenv("PIPEWIRE_REMOTE") && getenv("PIPEWIRE_REMOTE")[0] == '/'))
		lf_warn("neither XDG_RUNTIME_DIR nor PIPEWIRE_RUNTIME_DIR is set: "
			"PipeWire's socket cannot be found");
	d->context = pw_context_new(d->loop, NULL, 0);
	if (!d->context) {
		r = errno ? -errno : -ENOMEM;
		lf_err("cannot create the PipeWire context: %s", strerror(-r));
		return r;
	}
	r = lf_notify_new(d->loop, &d->notify);
	if (r < 0) {
		lf_err("cannot set up the systemd watchdog: %s", strerror(-r));
		return r;
	}
	r = lf_server_new(d->loop, &sopts, &server_events, d, &d->server);
	if (r < 0) {
		if (sopts.listen_fd >= 0)
			lf_err("cannot serve on the socket from systemd: %s", strerror(-r));
		else
			lf_err("cannot listen on %s: %s", d->cfg.socket_path, strerror(-r));
		return r;
	}
	r = lf_copy_new(d->loop, d->server, NULL, &d->copy);
	if (r < 0) {
		lf_err("cannot set up GPU readback: %s", strerror(-r));
		return r;
	}
	d->copts.cpu_readable_only = !lf_copy_active(d->copy);
	r = lf_fence_waiter_new(d->loop, &fopts, &fence_events, d, &d->fence);
	if (r < 0) {
		lf_err("cannot create the fence waiter: %s", strerror(-r));
		return r;
	}
	lf_config_describe_source(&d->cfg, d->source_desc, sizeof(d->source_desc));
	lf_info("source: %s", d->source_desc);
	r = start_source(d);
	if (r < 0)
		return r;
	if (getenv("NOTIFY_SOCKET")) {
		struct timespec one = { .tv_sec = 1 };

		d->status_timer = pw_loop_add_timer(d->loop, on_status_timer, d);
		if (d->status_timer)
			pw_loop_update_timer(d->loop, d->status_timer, &one, &one, false);
	}
	return 0;
}

static void teardown(struct daemon *d)
{
	if (d->status_timer)
		pw_loop_destroy_source(d->loop, d->status_timer);
	/* NULL each pointer: lf_server_destroy below still calls back into
	 * update_status(), which looks at the capture. */
	if (d->mutter)
		lf_mutter_source_destroy(d->mutter);
	d->mutter = NULL;
	if (d->portal)
		lf_portal_source_destroy(d->portal);
	d->portal = NULL;
	/* First of the rest: with the loop stopped, PipeWire runs the
	 * stream's process event on its data thread. */
	if (d->capture)
		lf_capture_destroy(d->capture);
	d->capture = NULL;
	/* Before the server: a readback in flight holds a pool slot. */
	lf_copy_destroy(d->copy);
	d->copy = NULL;
	if (d->fence)
		lf_fence_waiter_destroy(d->fence);
	d->fence = NULL;
	if (d->server)
		lf_server_destroy(d->server); /* BYE to every client */
	if (d->notify)
		lf_notify_destroy(d->notify);
	if (d->context)
		pw_context_destroy(d->context);
	if (d->main_loop)
		pw_main_loop_destroy(d->main_loop);
	free(d->mods);
}

int main(int argc, char **argv)
{
	struct daemon d = { .exit_code = EXIT_SUCCESS };
	enum lf_config_action action;
	char err[1024];
	int r;

	lf_config_init(&d.cfg);
	if (lf_config_parse_args(&d.cfg, argc, argv, &action) < 0)
		return 2;
	if (action == LF_CONFIG_HELP) {
		lf_config_usage(stdout);
		return EXIT_SUCCESS;
	}
	if (action == LF_CONFIG_VERSION) {
		printf("lastframed %s\n", LF_VERSION);
		return EXIT_SUCCESS;
	}
	if (lf_config_load(&d.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "lastframed: %s\n", err);
		return 2;
	}
	if (action == LF_CONFIG_LIST_FORMATS)
		return list_formats(&d.cfg);
	lf_log_init("lastframed", d.cfg.log_level);
	/* LASTFRAME_LOG_LEVEL (read by lf_log_init) is for tests; flags and the file win. */
	if (d.cfg.log_level_given)
		lf_log_set_level(d.cfg.log_level);

	pw_init(&argc, &argv);
	r = setup(&d);
	if (r < 0) {
		d.exit_code = EXIT_FAILURE;
	} else {
		lf_notify_ready(d.notify); /* serving, even while waiting for a source */
		update_status(&d);
		pw_main_loop_run(d.main_loop);
		lf_notify_stopping(d.notify);
	}
	teardown(&d);
	pw_deinit();
	return d.exit_code;
}
