/* SPDX-License-Identifier: MIT */
/*
 * org.gnome.Mutter.ScreenCast over sd-bus, on the PipeWire loop. Every call is
 * asynchronous: CreateSession → RecordMonitor/RecordVirtual → AddMatch for
 * Stream.PipeWireStreamAdded (installed before Start so the signal cannot be
 * missed) → Session.Start → node id → object.serial → owner.
 * The bus connection lives as long as the source: Mutter ends a session when
 * its creator disconnects.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "capture/source-mutter.h"
#include "capture/sdbus-loop.h"
#include "base/log.h"

#define MUTTER_NAME   "org.gnome.Mutter.ScreenCast"
#define MUTTER_PATH   "/org/gnome/Mutter/ScreenCast"
#define SESSION_IFACE "org.gnome.Mutter.ScreenCast.Session"
#define STREAM_IFACE  "org.gnome.Mutter.ScreenCast.Stream"

#define BACKOFF_FIRST_MS 200
#define BACKOFF_MAX_MS   2000 /* small: a restarted Mutter/PipeWire should be back within seconds */
#define QUIET_AFTER_FAILURES 5

enum phase {
	PHASE_NO_BUS,      /* session bus not connected (retry pending) */
	PHASE_NO_MUTTER,   /* waiting for the name to get an owner */
	PHASE_RETRY,       /* Mutter is there; a new session after the backoff */
	PHASE_SETUP,       /* CreateSession .. Start in flight */
	PHASE_WAIT_NODE,   /* started, waiting for PipeWireStreamAdded */
	PHASE_LOOKUP,      /* resolving the node's serial */
	PHASE_STREAMING,
};

struct lf_mutter_source {
	struct pw_loop *loop;
	struct pw_context *context;
	bool virtual_monitor;
	char connector[128];
	uint32_t cursor_mode;
	const struct lf_mutter_events *events;
	void *data;

	sd_bus *bus;
	struct lf_sdbus_loop *bl;  /* the bus on our loop */
	bool bus_dead;             /* lost: closed by the retry timer, not inside the loss */
	struct spa_source *retry_timer;
	sd_bus_slot *owner_match;
	sd_bus_slot *call;         /* the one method call in flight */
	sd_bus_slot *closed_match;
	sd_bus_slot *added_match;
	char *session_path;
	struct lf_node_lookup *lookup;
	struct lf_node_lookup *dead_lookup; /* freed outside its own callbacks */
	enum phase phase;
	bool mutter_present;
	bool announced;            /* owner got node() since the last lost() */
	uint32_t backoff_ms;
	uint32_t failures;         /* in a row, for the log level */
};

static int connect_bus(struct lf_mutter_source *s);

static void arm_retry(struct lf_mutter_source *s, uint32_t ms)
{
	struct timespec value = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L + 1 };

	pw_loop_update_timer(s->loop, s->retry_timer, &value, NULL, false);
}

static uint32_t next_backoff(struct lf_mutter_source *s)
{
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : BACKOFF_FIRST_MS;
	if (s->backoff_ms > BACKOFF_MAX_MS)
		s->backoff_ms = BACKOFF_MAX_MS;
	return s->backoff_ms;
}

/* Drop everything of the current session. Closing the slots cancels the
 * calls and matches in flight, so no stale reply reaches us. */
static void reset_session(struct lf_mutter_source *s, bool stop)
{
	s->call = sd_bus_slot_unref(s->call);
	s->closed_match = sd_bus_slot_unref(s->closed_match);
	s->added_match = sd_bus_slot_unref(s->added_match);
	if (stop && s->session_path && s->bus) {
		/* Fire and forget: ends a half-made session in Mutter. */
		int r = sd_bus_call_method_async(s->bus, NULL, MUTTER_NAME, s->session_path,
						 SESSION_IFACE, "Stop", NULL, NULL, "");
		if (r < 0)
			lf_debug("mutter: Session.Stop: %s", strerror(-r));
	}
	free(s->session_path);
	s->session_path = NULL;
	if (s->lookup) {
		lf_node_lookup_destroy(s->dead_lookup);
		s->dead_lookup = s->lookup;
		s->lookup = NULL;
	}
}

/* Only a node the owner was given can be lost: failures before that change
 * nothing for clients. */
static void tell_lost(struct lf_mutter_source *s, const char *why)
{
	if (!s->announced)
		return;
	s->announced = false;
	if (s->events->lost)
		s->events->lost(s->data, why);
}

/* A step of the session failed: tear it down and try again later. */
static void fail_session(struct lf_mutter_source *s, const char *what, const char *detail)
{
	char why[256];

	snprintf(why, sizeof(why), "Mutter screencast: %s%s%s", what, detail ? ": " : "",
		 detail ? detail : "");
	/* A lasting failure (a wrong connector) retries forever: say it a few
	 * times, then keep the journal quiet. */
	s->failures++;
	if (s->failures < QUIET_AFTER_FAILURES)
		lf_warn("%s", why);
	else if (s->failures == QUIET_AFTER_FAILURES)
		lf_warn("%s; still retrying every %u ms, now logged at debug level",
			why, BACKOFF_MAX_MS);
	else
		lf_debug("%s", why);
	reset_session(s, true);
	tell_lost(s, why);
	if (s->mutter_present) {
		s->phase = PHASE_RETRY;
		arm_retry(s, next_backoff(s));
	} else {
		s->phase = PHASE_NO_MUTTER;
	}
}

static const char *reply_error(sd_bus_message *m)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (!e)
		return NULL;
	return e->message ? e->message : e->name ? e->name : "unknown D-Bus error";
}

static void on_lookup(void *data, int res, const char *target)
{
	struct lf_mutter_source *s = data;

	if (res < 0) {
		fail_session(s, "cannot find the stream's PipeWire node", strerror(-res));
		return;
	}
	s->phase = PHASE_STREAMING;
	s->backoff_ms = 0;
	s->failures = 0;
	s->announced = true;
	lf_info("mutter: stream node has object.serial %s", target);
	if (s->events->node)
		s->events->node(s->data, target);
}

static int on_stream_added(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_mutter_source *s = data;
	uint32_t node_id;
	int r;

	r = sd_bus_message_read(m, "u", &node_id);
	if (r < 0) {
		fail_session(s, "bad PipeWireStreamAdded signal", strerror(-r));
		return 0;
	}
	lf_info("mutter: stream is PipeWire node %u", node_id);
	if (s->lookup) {
		lf_node_lookup_destroy(s->dead_lookup);
		s->dead_lookup = s->lookup;
		s->lookup = NULL;
	}
	s->phase = PHASE_LOOKUP;
	r = lf_node_lookup_new(s->context, node_id, on_lookup, s, &s->lookup);
	if (r < 0)
		fail_session(s, "cannot connect to PipeWire to find the node", strerror(-r));
	return 0;
}

static int on_closed(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_mutter_source *s = data;

	/* Mutter already dropped it: no Stop. */
	free(s->session_path);
	s->session_path = NULL;
	fail_session(s, "Mutter closed the session", NULL);
	return 0;
}

static int on_started(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_mutter_source *s = data;
	const char *err = reply_error(m);

	s->call = sd_bus_slot_unref(s->call);
	if (err) {
		fail_session(s, "Session.Start failed", err);
		return 0;
	}
	if (s->phase == PHASE_SETUP)
		s->phase = PHASE_WAIT_NODE;
	return 0;
}

static int on_added_match(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_mutter_source *s = data;
	const char *err = reply_error(m);
	int r;

	if (err) {
		fail_session(s, "cannot subscribe to PipeWireStreamAdded", err);
		return 0;
	}
	/* Only now: the signal comes right after Start. */
	r = sd_bus_call_method_async(s->bus, &s->call, MUTTER_NAME, s->session_path, SESSION_IFACE,
				     "Start", on_started, s, "");
	if (r < 0)
		fail_session(s, "cannot call Session.Start", strerror(-r));
	return 0;
}

static int on_recorded(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_mutter_source *s = data;
	const char *err = reply_error(m);
	const char *stream_path;
	int r;

	s->call = sd_bus_slot_unref(s->call);
	if (err) {
		fail_session(s, s->virtual_monitor ? "RecordVirtual failed" : "RecordMonitor failed", err);
		return 0;
	}
	r = sd_bus_message_read(m, "o", &stream_path);
	if (r < 0) {
		fail_session(s, "bad Record reply", strerror(-r));
		return 0;
	}
	lf_debug("mutter: stream %s", stream_path);
	r = sd_bus_match_signal_async(s->bus, &s->added_match, MUTTER_NAME, stream_path,
				      STREAM_IFACE, "PipeWireStreamAdded",
				      on_stream_added, on_added_match, s);
	if (r < 0)
		fail_session(s, "cannot subscribe to PipeWireStreamAdded", strerror(-r));
	return 0;
}

static int on_created(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_mutter_source *s = data;
	const char *err = reply_error(m);
	const char *path;
	int r;

	s->call = sd_bus_slot_unref(s->call);
	if (err) {
		fail_session(s, "CreateSession failed", err);
		return 0;
	}
	r = sd_bus_message_read(m, "o", &path);
	if (r < 0) {
		fail_session(s, "bad CreateSession reply", strerror(-r));
		return 0;
	}
	s->session_path = strdup(path);
	if (!s->session_path) {
		fail_session(s, "out of memory", NULL);
		return 0;
	}
	lf_debug("mutter: session %s", path);
	r = sd_bus_match_signal_async(s->bus, &s->closed_match, MUTTER_NAME, s->session_path,
				      SESSION_IFACE, "Closed", on_closed, NULL, s);
	if (r < 0) {
		fail_session(s, "cannot subscribe to Session.Closed", strerror(-r));
		return 0;
	}
	if (s->virtual_monitor)
		r = sd_bus_call_method_async(s->bus, &s->call, MUTTER_NAME, s->session_path,
					     SESSION_IFACE, "RecordVirtual", on_recorded, s,
					     "a{sv}", 1, "cursor-mode", "u", s->cursor_mode);
	else
		r = sd_bus_call_method_async(s->bus, &s->call, MUTTER_NAME, s->session_path,
					     SESSION_IFACE, "RecordMonitor", on_recorded, s,
					     "sa{sv}", s->connector, 1, "cursor-mode", "u",
					     s->cursor_mode);
	if (r < 0)
		fail_session(s, "cannot call Record", strerror(-r));
	return 0;
}

static void start_session(struct lf_mutter_source *s)
{
	int r;

	reset_session(s, true);
	s->phase = PHASE_SETUP;
	lf_info("mutter: creating a screencast session (%s%s, cursor-mode %u)",
		s->virtual_monitor ? "virtual monitor" : "monitor ",
		s->virtual_monitor ? "" : (s->connector[0] ? s->connector : "primary"),
		s->cursor_mode);
	r = sd_bus_call_method_async(s->bus, &s->call, MUTTER_NAME, MUTTER_PATH, MUTTER_NAME,
				     "CreateSession", on_created, s, "a{sv}", 0);
	if (r < 0)
		fail_session(s, "cannot call CreateSession", strerror(-r));
}

static void mutter_appeared(struct lf_mutter_source *s)
{
	s->mutter_present = true;
	s->backoff_ms = 0;
	s->failures = 0;
	lf_info("mutter: %s is on the bus", MUTTER_NAME);
	start_session(s);
}

static void mutter_vanished(struct lf_mutter_source *s, const char *why)
{
	if (s->phase >= PHASE_RETRY)
		lf_warn("mutter: %s", why);
	s->mutter_present = false;
	s->phase = PHASE_NO_MUTTER;
	pw_loop_update_timer(s->loop, s->retry_timer, NULL, NULL, false);
	reset_session(s, false);
	tell_lost(s, why);
}

static int on_owner_changed(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_mutter_source *s = data;
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
	    strcmp(name, MUTTER_NAME) != 0)
		return 0;
	if (*old_owner)
		mutter_vanished(s, "Mutter left the session bus");
	if (*new_owner)
		mutter_appeared(s);
	return 0;
}

static int on_get_owner(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_mutter_source *s = data;

	s->call = sd_bus_slot_unref(s->call);
	if (sd_bus_message_is_method_error(m, NULL)) {
		lf_notice("mutter: %s is not on the session bus yet; waiting for it", MUTTER_NAME);
		s->phase = PHASE_NO_MUTTER;
		return 0;
	}
	if (s->phase == PHASE_NO_MUTTER) /* NameOwnerChanged may have come first */
		mutter_appeared(s);
	return 0;
}

static int on_owner_match(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_mutter_source *s = data;
	const char *err = reply_error(m);
	int r;

	if (err) {
		lf_err("mutter: cannot watch %s on the session bus: %s", MUTTER_NAME, err);
		return 0;
	}
	/* Watching first, then asking: no appearance falls between the two. */
	r = sd_bus_call_method_async(s->bus, &s->call, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				     "org.freedesktop.DBus", "GetNameOwner", on_get_owner, s,
				     "s", MUTTER_NAME);
	if (r < 0)
		lf_err("mutter: GetNameOwner: %s", strerror(-r));
	return 0;
}

static void close_bus(struct lf_mutter_source *s)
{
	reset_session(s, false);
	s->owner_match = sd_bus_slot_unref(s->owner_match);
	lf_sdbus_loop_destroy(s->bl);
	s->bl = NULL;
	s->bus = sd_bus_close_unref(s->bus);
	s->bus_dead = false;
	s->mutter_present = false;
	s->phase = PHASE_NO_BUS;
}

static void on_bus_lost(void *data, int res)
{
	struct lf_mutter_source *s = data;

	lf_warn("mutter: session bus connection lost: %s", strerror(-res));
	s->bus_dead = true;
	tell_lost(s, "session bus connection lost");
	s->phase = PHASE_NO_BUS;
	arm_retry(s, next_backoff(s)); /* closed there, not in here */
}

static void on_retry(void *data, uint64_t expirations)
{
	struct lf_mutter_source *s = data;

	lf_node_lookup_destroy(s->dead_lookup);
	s->dead_lookup = NULL;
	if (!s->bus || s->bus_dead) {
		int r;

		close_bus(s);
		r = connect_bus(s);

		if (r < 0) {
			lf_warn("mutter: cannot connect to the session bus: %s; retrying", strerror(-r));
			arm_retry(s, next_backoff(s));
		}
		return;
	}
	if (s->phase == PHASE_RETRY && s->mutter_present) {
		start_session(s);
		lf_sdbus_loop_update(s->bl);
	}
}

static int connect_bus(struct lf_mutter_source *s)
{
	int r;

	r = sd_bus_open_user(&s->bus);
	if (r < 0)
		goto fail;
	sd_bus_set_description(s->bus, "lastframed-mutter");
	r = lf_sdbus_loop_new(s->loop, s->bus, on_bus_lost, s, &s->bl);
	if (r < 0)
		goto fail;
	s->phase = PHASE_NO_MUTTER;
	r = sd_bus_add_match_async(s->bus, &s->owner_match,
				   "type='signal',sender='org.freedesktop.DBus',"
				   "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
				   "member='NameOwnerChanged',arg0='" MUTTER_NAME "'",
				   on_owner_changed, on_owner_match, s);
	if (r < 0)
		goto fail;
	lf_sdbus_loop_update(s->bl);
	return 0;
fail:
	close_bus(s);
	return r;
}

int lf_mutter_source_new(struct pw_loop *loop, struct pw_context *context,
			 const struct lf_mutter_options *opts,
			 const struct lf_mutter_events *events, void *data,
			 struct lf_mutter_source **out)
{
	struct lf_mutter_source *s;
	int r;

	if (opts->cursor_mode > 2 ||
	    (opts->connector && strlen(opts->connector) >= sizeof(s->connector)))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->context = context;
	s->virtual_monitor = opts->virtual_monitor;
	snprintf(s->connector, sizeof(s->connector), "%s", opts->connector ? opts->connector : "");
	s->cursor_mode = opts->cursor_mode;
	s->events = events;
	s->data = data;
	s->phase = PHASE_NO_BUS;
	s->retry_timer = pw_loop_add_timer(loop, on_retry, s);
	if (!s->retry_timer) {
		r = errno ? -errno : -ENOMEM;
		goto fail;
	}
	r = connect_bus(s);
	if (r < 0) {
		/* The bus may come later (a service started early): keep trying. */
		lf_warn("mutter: cannot connect to the session bus: %s; retrying", strerror(-r));
		arm_retry(s, next_backoff(s));
	}
	*out = s;
	return 0;
fail:
	lf_mutter_source_destroy(s);
	return r;
}

void lf_mutter_source_destroy(struct lf_mutter_source *s)
{
	if (!s)
		return;
	/* Closing the connection ends the session: Mutter drops sessions of
	 * peers that leave the bus. */
	close_bus(s);
	lf_node_lookup_destroy(s->dead_lookup);
	if (s->retry_timer)
		pw_loop_destroy_source(s->loop, s->retry_timer);
	free(s);
}

const char *lf_mutter_source_waiting_for(struct lf_mutter_source *s)
{
	switch (s->phase) {
	case PHASE_NO_BUS: return "the session bus";
	case PHASE_NO_MUTTER: return "Mutter";
	case PHASE_STREAMING: return NULL;
	default: return "Mutter's screencast node";
	}
}
