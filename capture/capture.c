/* SPDX-License-Identifier: MIT */
/*
 * The capture object: its own pw_core (so it can reconnect after a PipeWire
 * restart), a registry watch for the target node (wait for it, drop the
 * stream when it goes, recreate it when it returns), deferred work and the
 * reconnect backoff timer. Everything runs on the owner's loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <spa/utils/result.h>

#include "capture/capture-int.h"
#include "daemon/log.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

static int core_connect(struct lf_capture *c);
static void core_teardown(struct lf_capture *c);

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
	lf_debug("capture: state %s → %s (%s)", state_name(c->state), state_name(st), why);
	c->state = st;
	if (st != LF_STREAM_STREAMING)
		c->emitted_generation = 0; /* the owner drops the format on pause */
	if (c->events->state_changed)
		c->events->state_changed(c->data, st, why);
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
		core_teardown(c);
		return; /* the retry timer takes it from here */
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

static bool target_matches(struct lf_capture *c, const struct spa_dict *props)
{
	const char *name, *serial;

	if (!c->target || !props)
		return false;
	name = spa_dict_lookup(props, PW_KEY_NODE_NAME);
	serial = spa_dict_lookup(props, PW_KEY_OBJECT_SERIAL);
	return (name && strcmp(name, c->target) == 0) ||
	       (serial && strcmp(serial, c->target) == 0);
}

/* Without a target the session manager picks the source: learn which one
 * from the link into our node, so its removal can be noticed too. */
static void watch_link(struct lf_capture *c, const struct spa_dict *props)
{
	const char *in, *out;
	uint32_t node;

	if (c->target || !c->stream || !props)
		return;
	node = pw_stream_get_node_id(c->stream);
	in = spa_dict_lookup(props, PW_KEY_LINK_INPUT_NODE);
	out = spa_dict_lookup(props, PW_KEY_LINK_OUTPUT_NODE);
	if (node == SPA_ID_INVALID || !in || !out || strtoul(in, NULL, 10) != node)
		return;
	c->linked_source = (uint32_t)strtoul(out, NULL, 10);
	lf_info("capture: linked to source node %u", c->linked_source);
}

static void on_global(void *data, uint32_t id, uint32_t permissions, const char *type,
		      uint32_t version, const struct spa_dict *props)
{
	struct lf_capture *c = data;

	if (strcmp(type, PW_TYPE_INTERFACE_Link) == 0) {
		watch_link(c, props);
		return;
	}
	if (strcmp(type, PW_TYPE_INTERFACE_Node) != 0 || c->target_id != SPA_ID_INVALID ||
	    !target_matches(c, props))
		return;
	lf_info("capture: source node %s appeared (id %u)", c->target, id);
	c->target_id = id;
	capture_schedule(c, WORK_DESTROY | WORK_CREATE);
}

static void on_global_remove(void *data, uint32_t id)
{
	struct lf_capture *c = data;

	if (!c->target && id == c->linked_source && id != SPA_ID_INVALID) {
		/* Recipes §6: a relinked stream may never get buffers from a
		 * two-step producer; a fresh stream gets linked afresh. */
		lf_notice("capture: source node %u went away; waiting for another", id);
		c->linked_source = SPA_ID_INVALID;
		capture_set_state(c, LF_STREAM_NONE, "source node gone");
		capture_schedule(c, WORK_DESTROY | WORK_CREATE);
		return;
	}
	if (id != c->target_id)
		return;
	lf_notice("capture: source node %s went away; waiting for it", c->target);
	c->target_id = SPA_ID_INVALID;
	/* Recipes §6: a stream kept across a producer restart can get stuck,
	 * so drop it and start fresh when the node returns. */
	capture_set_state(c, LF_STREAM_NONE, "source node gone");
	capture_schedule(c, WORK_DESTROY);
}

static const struct pw_registry_events registry_events = {
	PW_VERSION_REGISTRY_EVENTS,
	.global = on_global,
	.global_remove = on_global_remove,
};

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct lf_capture *c = data;

	if (id == PW_ID_CORE && res == -EPIPE) {
		lf_warn("capture: lost PipeWire (%s); reconnecting", message ? message : "");
		capture_set_state(c, LF_STREAM_NONE, "PipeWire disconnected");
		capture_schedule(c, WORK_TEARDOWN);
		return;
	}
	/* ENOENT: late calls on a proxy whose node just went; expected. */
	lf_log(res == -ENOENT ? LOG_DEBUG : LOG_WARNING, "capture: PipeWire error on %u: %s (%s)",
	       id, spa_strerror(res), message ? message : "");
}

static const struct pw_core_events core_events = {
	PW_VERSION_CORE_EVENTS,
	.error = on_core_error,
};

static void retry_arm(struct lf_capture *c)
{
	struct timespec ts = { .tv_sec = c->backoff_ms / 1000,
			       .tv_nsec = (long)(c->backoff_ms % 1000) * 1000000L };

	pw_loop_update_timer(c->loop, c->retry, &ts, NULL, false);
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

static void on_retry(void *data, uint64_t expirations)
{
	struct lf_capture *c = data;

	if (c->core)
		return;
	if (core_connect(c) < 0)
		retry_arm(c);
}

static int core_connect(struct lf_capture *c)
{
	/* PIPEWIRE_REMOTE is honoured by pw_context_connect itself. */
	c->core = pw_context_connect(c->context, NULL, 0);
	if (!c->core) {
		int r = -errno;
		lf_debug("capture: cannot connect to PipeWire: %s", strerror(-r));
		capture_set_state(c, LF_STREAM_NONE, "waiting for PipeWire");
		return r ? r : -EIO;
	}
	pw_core_add_listener(c->core, &c->core_listener, &core_events, c);
	c->registry = pw_core_get_registry(c->core, PW_VERSION_REGISTRY, 0);
	if (!c->registry) {
		core_teardown(c);
		return -ENOMEM;
	}
	pw_registry_add_listener(c->registry, &c->registry_listener, &registry_events, c);
	c->backoff_ms = BACKOFF_MIN_MS;
	lf_info("capture: connected to PipeWire%s%s", c->target ? "; waiting for node " : "",
		c->target ? c->target : "");
	if (c->target)
		capture_set_state(c, LF_STREAM_NONE, "waiting for source node");
	else
		capture_schedule(c, WORK_CREATE);
	return 0;
}

static void core_teardown(struct lf_capture *c)
{
	capture_stream_destroy(c);
	c->target_id = SPA_ID_INVALID;
	c->linked_source = SPA_ID_INVALID;
	if (c->registry) {
		spa_hook_remove(&c->registry_listener);
		pw_proxy_destroy((struct pw_proxy *)c->registry);
		c->registry = NULL;
	}
	if (c->core) {
		spa_hook_remove(&c->core_listener);
		pw_core_disconnect(c->core);
		c->core = NULL;
	}
	if (!c->destroying)
		retry_arm(c);
}

int lf_capture_new(struct pw_loop *loop, struct pw_context *context,
		   const struct lf_capture_options *opts,
		   const struct lf_capture_events *events, void *data,
		   struct lf_capture **out)
{
	struct lf_capture *c;
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
	c->backoff_ms = BACKOFF_MIN_MS;
	spa_list_init(&c->buffers);
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
	c->opts.render_node = NULL; /* borrowed; not needed after the query */
	c->work = pw_loop_add_event(loop, on_work, c);
	c->retry = pw_loop_add_timer(loop, on_retry, c);
	if (!c->work || !c->retry) {
		r = -errno ? -errno : -ENOMEM;
		goto fail;
	}
	lf_info("capture: offering %zu dmabuf modifiers (%s)", lf_modset_total(&c->mods),
		c->opts.shm_only ? "shm only" : c->mods_from_egl ? "from EGL" : "defaults");
	if (core_connect(c) < 0)
		retry_arm(c);
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
	core_teardown(c);
	if (c->work)
		pw_loop_destroy_source(c->loop, c->work);
	if (c->retry)
		pw_loop_destroy_source(c->loop, c->retry);
	lf_pool_destroy(&c->pool);
	lf_meta_clear(&c->meta);
	lf_modset_clear(&c->mods);
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
	spa_hook_remove(&c->registry_listener);
	pw_proxy_destroy((struct pw_proxy *)c->registry);
	c->registry = pw_core_get_registry(c->core, PW_VERSION_REGISTRY, 0);
	if (!c->registry)
		return -ENOMEM;
	pw_registry_add_listener(c->registry, &c->registry_listener, &registry_events, c);
	return 0;
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
	/* No frame for two seconds: the measured rate is stale. */
	if (c->fps_n > 0) {
		uint64_t last = c->fps_ring[(c->fps_pos + FPS_RING - 1) % FPS_RING];
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		if (now - last > 2000000000ull)
			st->fps_milli = 0;
	}
}
