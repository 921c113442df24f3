/* SPDX-License-Identifier: MIT */
/*
 * The capture object: lifecycle, state reporting and deferred work. The
 * PipeWire connection, registry watch and reconnect live in reconnect.c,
 * the stream in stream.c, negotiation in negotiate.c. Everything runs on
 * the owner's loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture-int.h"
#include "base/log.h"
#include "base/util.h"

static const char *state_name(enum lf_stream_state s)
{
	switch (s) {
	case LF_STREAM_STREAMING: return "streaming";
	case LF_STREAM_PAUSED: return "paused";
	default: return "none";
	}
}

void capture_set_state(struct lf_capture *c, enum lf_stream_state st, const char *why)
{
	if (c->state == st || c->destroying)
		return;
	/* The old stream's last events after its node went away must not
	 * make a gone source look paused. */
	if (st != LF_STREAM_NONE && c->target && c->target_id == SPA_ID_INVALID)
		return;
	/* Without a target, an unlinked stream is still waiting for a source. */
	if (st == LF_STREAM_PAUSED && !c->target && c->linked_source == SPA_ID_INVALID)
		return;
	lf_debug("capture: state %s → %s (%s)", state_name(c->state), state_name(st), why);
	c->state = st;
	if (st != LF_STREAM_STREAMING)
		c->emitted_generation = 0; /* the owner drops the format on pause */
	if (c->events->state_changed)
		c->events->state_changed(c->data, st, why);
}

void capture_remote_lost(struct lf_capture *c, const char *why)
{
	if (!c->opts.remote_only)
		return;
	c->remote_lost_why = why;
	capture_schedule(c, WORK_REMOTE_LOST);
}

void capture_schedule(struct lf_capture *c, uint32_t work)
{
	c->pending |= work;
	pw_loop_signal_event(c->loop, c->work);
}

static void on_work(void *data, uint64_t count)
{
	struct lf_capture *c = data;
	uint32_t w = c->pending;
	int r;

	c->pending = 0;
	if (w & WORK_TEARDOWN) {
		capture_core_teardown(c);
		/* The retry timer takes it from here, or the owner of a remote. */
		if (c->opts.remote_only)
			capture_remote_lost(c, "lost the PipeWire connection");
		return;
	}
	if ((w & WORK_REMOTE_LOST) && c->events->remote_lost) {
		c->events->remote_lost(c->data, c->remote_lost_why);
		return; /* the owner hands a new connection (or none) */
	}
	if (w & WORK_DESTROY)
		capture_stream_destroy(c);
	if ((w & WORK_CREATE) && c->core && (!c->target || c->target_id != SPA_ID_INVALID)) {
		r = capture_stream_create(c);
		if (r < 0)
			lf_err("capture: cannot create stream: %s", strerror(-r));
	}
	if ((w & WORK_RENEGOTIATE) && c->stream) {
		r = capture_offer_formats(c, true);
		if (r < 0)
			lf_err("capture: renegotiation failed: %s", strerror(-r));
	}
}

int lf_capture_new(struct pw_loop *loop, struct pw_context *context,
		   const struct lf_capture_options *opts,
		   const struct lf_capture_events *events, void *data,
		   struct lf_capture **out)
{
	struct lf_capture *c;
	const char *why;
	int r;

	if (!loop || !context || !opts || !events || !out)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->context = context;
	c->opts = *opts;
	c->events = events;
	c->data = data;
	c->target_id = SPA_ID_INVALID;
	c->linked_source = SPA_ID_INVALID;
	c->remote_fd = -1;
	c->remote_node = SPA_ID_INVALID;
	c->backoff_ms = BACKOFF_MIN_MS;
	c->stream_backoff_ms = BACKOFF_MIN_MS;
	spa_list_init(&c->buffers);
	{
		const char *v = pw_get_library_version();
		bool on = capture_return_guard_wanted(opts->return_guard, v);

		lf_return_guard_init(&c->guard, on);
		lf_info("capture: return guard %s (PipeWire %s%s)", on ? "on" : "off", v,
			opts->return_guard == LF_RETURN_GUARD_AUTO ?
			(on ? ", older than 1.4.8" : ", 1.4.8 or newer") : ", by option");
	}
	lf_pool_init(&c->pool);
	if (opts->target && !(c->target = strdup(opts->target))) {
		r = -ENOMEM;
		goto fail;
	}
	c->opts.target = c->target;
	if (opts->n_modifiers > 0) {
		c->override_mods = calloc(opts->n_modifiers, sizeof(uint64_t));
		if (!c->override_mods) {
			r = -ENOMEM;
			goto fail;
		}
		memcpy(c->override_mods, opts->modifiers, opts->n_modifiers * sizeof(uint64_t));
		c->opts.modifiers = c->override_mods;
	}
	if ((r = lf_meta_init(&c->meta)) < 0)
		goto fail;
	if ((r = capture_build_modifiers(c)) < 0)
		goto fail;
	why = capture_probe_setup(c);
	if (why)
		lf_info("capture: import probe not active: %s", why);
	else
		lf_info("capture: import probe active on %s", lf_egl_probe_device(c->probe));
	c->opts.render_node = NULL; /* borrowed; not needed after the query */
	c->work = pw_loop_add_event(loop, on_work, c);
	c->retry = pw_loop_add_timer(loop, capture_on_retry, c);
	if (!c->work || !c->retry) {
		r = errno ? -errno : -ENOMEM;
		goto fail;
	}
	lf_info("capture: offering %zu dmabuf modifiers (%s)", lf_modset_total(&c->mods),
		c->opts.shm_only ? "shm only" : c->mods_from_egl ? "from EGL" : "defaults");
	if (capture_core_connect(c) < 0)
		capture_retry_arm(c);
	*out = c;
	return 0;
fail:
	lf_capture_destroy(c);
	return r;
}

void lf_capture_destroy(struct lf_capture *c)
{
	if (!c)
		return;
	c->destroying = true;
	capture_core_teardown(c);
	if (c->work)
		pw_loop_destroy_source(c->loop, c->work);
	if (c->retry)
		pw_loop_destroy_source(c->loop, c->retry);
	if (c->remote_fd >= 0)
		close(c->remote_fd);
	lf_pool_destroy(&c->pool);
	lf_meta_clear(&c->meta);
	lf_modset_clear(&c->mods);
	lf_egl_probe_destroy(c->probe);
	free(c->override_mods);
	free(c->target);
	free(c);
}

int lf_capture_set_target(struct lf_capture *c, const char *target)
{
	char *t = NULL;

	if (!c)
		return -EINVAL;
	if (target && !(t = strdup(target)))
		return -ENOMEM;
	free(c->target);
	c->target = t;
	c->opts.target = t;
	c->target_id = SPA_ID_INVALID;
	capture_stream_destroy(c);
	capture_set_state(c, LF_STREAM_NONE, t ? "waiting for source node" : "no target");
	if (!c->registry)
		return 0; /* connects (and looks) when PipeWire is back */
	if (!t) {
		capture_schedule(c, WORK_CREATE);
		return 0;
	}
	/* Re-bind the registry so existing nodes are announced again. */
	return capture_registry_rebind(c);
}

int lf_capture_set_remote(struct lf_capture *c, int fd, uint32_t node_id)
{
	char placeholder[32];
	char *t;

	if (!c || !c->opts.remote_only) {
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	c->pending &= ~WORK_REMOTE_LOST; /* about the connection this replaces */
	if (fd >= 0 && node_id == SPA_ID_INVALID) {
		close(fd);
		fd = -1;
	}
	/* A name no node has: target stays set (so nothing else gets linked)
	 * until the registry shows node_id and its serial replaces it. */
	if (fd >= 0)
		snprintf(placeholder, sizeof(placeholder), "(node id %u)", node_id);
	else
		snprintf(placeholder, sizeof(placeholder), "(no node)");
	if (!(t = strdup(placeholder))) {
		if (fd >= 0)
			close(fd);
		capture_remote_lost(c, "out of memory");
		return -ENOMEM;
	}
	free(c->target);
	c->target = t;
	c->opts.target = t;
	capture_core_teardown(c);
	if (c->remote_fd >= 0)
		close(c->remote_fd);
	c->remote_fd = fd;
	c->remote_node = fd >= 0 ? node_id : SPA_ID_INVALID;
	return capture_core_connect(c);
}

const struct lf_video_format *lf_capture_get_format(struct lf_capture *c)
{
	return c && c->have_format ? &c->fmt : NULL;
}

enum lf_stream_state lf_capture_get_state(struct lf_capture *c)
{
	return c ? c->state : LF_STREAM_NONE;
}

void lf_capture_get_stats(struct lf_capture *c, struct lf_capture_stats *st)
{
	if (!c || !st)
		return;
	*st = c->stats;
	st->return_guard = c->guard.enabled;
	st->returns_guarded = c->guard.stats.marked;
	st->returns_unguarded = c->guard.stats.released_early;
	st->buffers_refused = c->guard.stats.refused;
	/* No frame for two seconds: the measured rate is stale. */
	if (c->fps_n > 0) {
		uint64_t last = c->fps_ring[(c->fps_pos + FPS_RING - 1) % FPS_RING];

		if (lf_now_ns() - last > 2000000000ull)
			st->fps_milli = 0;
	}
}
