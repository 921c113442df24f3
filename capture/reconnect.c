/* SPDX-License-Identifier: MIT */
/*
 * The PipeWire connection: the capture's own pw_core (so it can reconnect
 * after a PipeWire restart, with backoff on a loop timer), and a registry
 * watch for the source node: wait for it, drop the stream when it goes,
 * recreate the stream when it returns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <spa/utils/result.h>

#include "capture/capture-int.h"
#include "base/log.h"

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
	if (c->state == LF_STREAM_NONE)
		capture_set_state(c, LF_STREAM_PAUSED, "linked to a source");
}

/* A portal names its node by global id; target.object wants the serial. */
static void adopt_remote_node(struct lf_capture *c, const struct spa_dict *props)
{
	const char *serial = props ? spa_dict_lookup(props, PW_KEY_OBJECT_SERIAL) : NULL;
	const char *name = props ? spa_dict_lookup(props, PW_KEY_NODE_NAME) : NULL;
	char *t;

	c->remote_node = SPA_ID_INVALID;
	if (!serial && !name) {
		lf_warn("capture: the portal's node has neither object.serial nor node.name");
		return;
	}
	if (!(t = strdup(serial ? serial : name)))
		return;
	free(c->target);
	c->target = t;
	c->opts.target = t;
	lf_info("capture: the portal's node is %s %s", serial ? "object.serial" : "node.name", t);
}

static void on_global(void *data, uint32_t id, uint32_t permissions, const char *type,
		      uint32_t version, const struct spa_dict *props)
{
	struct lf_capture *c = data;

	if (strcmp(type, PW_TYPE_INTERFACE_Link) == 0) {
		watch_link(c, props);
		return;
	}
	if (!c->target && !c->stream && c->core && props &&
	    strcmp(type, PW_TYPE_INTERFACE_Node) == 0) {
		const char *cls = spa_dict_lookup(props, PW_KEY_MEDIA_CLASS);
		if (cls && strcmp(cls, "Video/Source") == 0) {
			/* A stream that failed for want of a source: try now. */
			c->stream_backoff_ms = BACKOFF_MIN_MS;
			capture_schedule(c, WORK_CREATE);
		}
		return;
	}
	if (strcmp(type, PW_TYPE_INTERFACE_Node) == 0 && id == c->remote_node)
		adopt_remote_node(c, props);
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
	/* A portal's node does not come back: its session is over. */
	capture_remote_lost(c, "the screencast node went away");
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


static void arm(struct lf_capture *c, uint32_t *backoff_ms)
{
	struct timespec ts = { .tv_sec = *backoff_ms / 1000,
			       .tv_nsec = (long)(*backoff_ms % 1000) * 1000000L };

	pw_loop_update_timer(c->loop, c->retry, &ts, NULL, false);
	*backoff_ms = *backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : *backoff_ms * 2;
}

void capture_retry_arm(struct lf_capture *c)
{
	arm(c, &c->backoff_ms);
}

void capture_stream_retry_later(struct lf_capture *c)
{
	arm(c, &c->stream_backoff_ms);
}

void capture_on_retry(void *data, uint64_t expirations)
{
	struct lf_capture *c = data;

	if (!c->core) {
		if (capture_core_connect(c) < 0 && !c->opts.remote_only)
			capture_retry_arm(c);
		return;
	}
	/* A stream that failed: try again (a target must still exist). */
	if (!c->stream && (!c->target || c->target_id != SPA_ID_INVALID))
		capture_schedule(c, WORK_CREATE);
}

int capture_core_connect(struct lf_capture *c)
{
	if (c->opts.remote_only && c->remote_fd < 0) {
		capture_set_state(c, LF_STREAM_NONE, "waiting for a PipeWire connection");
		return 0;
	}
	if (c->opts.remote_only) {
		/* The fd is PipeWire's from here on, also when this fails. */
		c->core = pw_context_connect_fd(c->context, c->remote_fd, NULL, 0);
		c->remote_fd = -1;
	} else {
		/* PIPEWIRE_REMOTE is honoured by pw_context_connect itself. */
		c->core = pw_context_connect(c->context, NULL, 0);
	}
	if (!c->core) {
		int r = -errno;
		lf_log(c->opts.remote_only ? LOG_WARNING : LOG_DEBUG,
		       "capture: cannot connect to PipeWire%s: %s",
		       c->opts.remote_only ? " through the portal's socket" : "", strerror(-r));
		capture_set_state(c, LF_STREAM_NONE, "waiting for PipeWire");
		capture_remote_lost(c, "cannot connect to PipeWire through the portal's socket");
		return r ? r : -EIO;
	}
	pw_core_add_listener(c->core, &c->core_listener, &core_events, c);
	c->registry = pw_core_get_registry(c->core, PW_VERSION_REGISTRY, 0);
	if (!c->registry) {
		capture_core_teardown(c);
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

void capture_core_teardown(struct lf_capture *c)
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
	if (!c->destroying && !c->opts.remote_only)
		capture_retry_arm(c);
}

int capture_registry_rebind(struct lf_capture *c)
{
	if (c->registry) {
		spa_hook_remove(&c->registry_listener);
		pw_proxy_destroy((struct pw_proxy *)c->registry);
	}
	c->registry = pw_core_get_registry(c->core, PW_VERSION_REGISTRY, 0);
	if (!c->registry)
		return -ENOMEM;
	pw_registry_add_listener(c->registry, &c->registry_listener, &registry_events, c);
	return 0;
}
