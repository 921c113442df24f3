/* SPDX-License-Identifier: MIT */
/*
 * org.freedesktop.portal.ScreenCast over sd-bus, on the PipeWire loop. Every
 * step is asynchronous and bounded by a timeout: properties (which also
 * bus-activates the portal) → CreateSession → SelectSources (with the saved
 * restore token) → Start → OpenPipeWireRemote → the owner captures the node
 * through that socket. Each request's Response is subscribed to before the
 * call that triggers it, on the path the spec predicts from our unique name
 * and handle_token, so it cannot be missed. The D-Bus calls themselves live
 * in source-portal-calls.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/source-portal-int.h"
#include "base/log.h"

static void arm(struct spa_source *t, struct pw_loop *loop, uint32_t ms)
{
	struct timespec value = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L + 1 };

	pw_loop_update_timer(loop, t, &value, NULL, false);
}

void portal_arm_step(struct lf_portal_source *s, uint32_t ms)
{
	arm(s->step_timer, s->loop, ms);
}

static uint32_t next_backoff(struct lf_portal_source *s)
{
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : BACKOFF_FIRST_MS;
	if (s->backoff_ms > BACKOFF_MAX_MS)
		s->backoff_ms = BACKOFF_MAX_MS;
	return s->backoff_ms;
}

static void fire_and_forget(struct lf_portal_source *s, const char *path, const char *iface)
{
	int r = sd_bus_call_method_async(s->bus, NULL, PORTAL_NAME, path, iface, "Close",
					 NULL, NULL, "");
	if (r < 0)
		lf_debug("portal: %s.Close: %s", iface, strerror(-r));
}

/* Drop the session's calls, matches and timers. close: also tell the portal
 * (Request.Close takes a chooser off the screen, Session.Close ends the cast);
 * not when it is gone. */
void portal_reset_session(struct lf_portal_source *s, bool close)
{
	bool request_open = s->phase >= P_CREATE && s->phase <= P_START && s->request_path;

	s->call = sd_bus_slot_unref(s->call);
	s->response_match = sd_bus_slot_unref(s->response_match);
	s->closed_match = sd_bus_slot_unref(s->closed_match);
	s->pending = sd_bus_message_unref(s->pending);
	pw_loop_update_timer(s->loop, s->step_timer, NULL, NULL, false);
	if (close && s->bus && !s->bus_dead) {
		if (request_open)
			fire_and_forget(s, s->request_path, REQUEST_IFACE);
		if (s->session_path)
			fire_and_forget(s, s->session_path, SESSION_IFACE);
	}
	free(s->request_path);
	free(s->session_path);
	s->request_path = s->session_path = NULL;
}

static void tell_lost(struct lf_portal_source *s, const char *why)
{
	if (!s->announced)
		return;
	s->announced = false;
	if (s->events->lost)
		s->events->lost(s->data, why);
}

void portal_fail(struct lf_portal_source *s, const char *what, const char *detail, uint32_t delay_ms)
{
	char why[320];

	snprintf(why, sizeof(why), "ScreenCast portal: %s%s%s", what, detail ? ": " : "",
		 detail ? detail : "");
	/* A lasting failure retries forever: say it a few times, then quietly. */
	s->failures++;
	if (s->failures < QUIET_AFTER_FAILURES)
		lf_warn("%s", why);
	else if (s->failures == QUIET_AFTER_FAILURES)
		lf_warn("%s; still retrying, now logged at debug level", why);
	else
		lf_debug("%s", why);
	portal_reset_session(s, true);
	tell_lost(s, why);
	s->phase = P_RETRY;
	arm(s->retry_timer, s->loop, delay_ms ? delay_ms : next_backoff(s));
}

/* Start's answer is in: hand the node and the socket to the owner, who
 * confirms (stream_up) or gives up (stream_lost). */
void portal_granted(struct lf_portal_source *s, int fd, uint32_t node_id)
{
	s->phase = P_CONFIRM;
	s->announced = true;
	portal_arm_step(s, CONFIRM_TIMEOUT_MS);
	lf_info("portal: capturing node %u through the portal's PipeWire socket", node_id);
	/* Last: the owner may call stream_lost from inside. */
	if (s->events->remote)
		s->events->remote(s->data, fd, node_id);
	else
		close(fd);
}

void lf_portal_source_stream_up(struct lf_portal_source *s)
{
	if (!s || s->phase != P_CONFIRM)
		return;
	s->phase = P_STREAMING;
	s->backoff_ms = 0;
	s->failures = 0;
	pw_loop_update_timer(s->loop, s->step_timer, NULL, NULL, false);
	lf_info("portal: streaming");
}

void lf_portal_source_stream_lost(struct lf_portal_source *s, const char *why)
{
	if (!s || (s->phase != P_CONFIRM && s->phase != P_STREAMING))
		return;
	portal_fail(s, "the granted stream ended", why, 0);
	lf_sdbus_loop_update(s->bl);
}

static void on_step_timeout(void *data, uint64_t expirations)
{
	struct lf_portal_source *s = data;

	switch (s->phase) {
	case P_CONFIRM:
		portal_fail(s, "the granted node did not show up in PipeWire", NULL, 0);
		break;
	case P_CREATE:
	case P_SELECT:
	case P_START:
		portal_fail(s, "no answer to the request in time", s->request_path, 0);
		break;
	default:
		return;
	}
	lf_sdbus_loop_update(s->bl);
}

static int on_owner_changed(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_portal_source *s = data;
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
	    strcmp(name, PORTAL_NAME) != 0)
		return 0;
	if (*old_owner && s->phase > P_RETRY) {
		lf_warn("portal: %s left the session bus", PORTAL_NAME);
		/* Its sessions and requests went with it: nothing to close
		 * (a Close would bus-activate a new portal right now). */
		free(s->session_path);
		free(s->request_path);
		s->session_path = s->request_path = NULL;
		s->backoff_ms = 0;
		portal_fail(s, "the portal went away", NULL, 0);
	}
	if (*new_owner && s->phase == P_RETRY) {
		/* A restarted portal: no need to sit out the backoff. */
		s->backoff_ms = 0;
		arm(s->retry_timer, s->loop, 50);
	}
	return 0;
}

static void close_bus(struct lf_portal_source *s)
{
	portal_reset_session(s, false);
	s->owner_match = sd_bus_slot_unref(s->owner_match);
	lf_sdbus_loop_destroy(s->bl);
	s->bl = NULL;
	s->bus = sd_bus_close_unref(s->bus);
	s->bus_dead = false;
}

static void on_bus_lost(void *data, int res)
{
	struct lf_portal_source *s = data;

	lf_warn("portal: session bus connection lost: %s", strerror(-res));
	s->bus_dead = true;
	tell_lost(s, "session bus connection lost");
	s->phase = P_NO_BUS;
	arm(s->retry_timer, s->loop, next_backoff(s)); /* closed there, not in here */
}

static int connect_bus(struct lf_portal_source *s)
{
	int r;

	r = sd_bus_open_user(&s->bus);
	if (r < 0)
		goto fail;
	sd_bus_set_description(s->bus, "lastframed-portal");
	sd_bus_set_method_call_timeout(s->bus, CALL_TIMEOUT_USEC);
	r = lf_sdbus_loop_new(s->loop, s->bus, on_bus_lost, s, &s->bl);
	if (r < 0)
		goto fail;
	r = sd_bus_add_match_async(s->bus, &s->owner_match,
				   "type='signal',sender='org.freedesktop.DBus',"
				   "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
				   "member='NameOwnerChanged',arg0='" PORTAL_NAME "'",
				   on_owner_changed, NULL, s);
	if (r < 0)
		goto fail;
	portal_begin(s);
	lf_sdbus_loop_update(s->bl);
	return 0;
fail:
	close_bus(s);
	return r;
}

static void on_retry(void *data, uint64_t expirations)
{
	struct lf_portal_source *s = data;
	int r;

	if (!s->bus || s->bus_dead) {
		close_bus(s);
		r = connect_bus(s);
		if (r < 0) {
			s->phase = P_NO_BUS;
			lf_warn("portal: cannot connect to the session bus: %s; retrying", strerror(-r));
			arm(s->retry_timer, s->loop, next_backoff(s));
		}
		return;
	}
	if (s->phase == P_RETRY) {
		portal_begin(s);
		lf_sdbus_loop_update(s->bl);
	}
}

int lf_portal_source_new(struct pw_loop *loop, const struct lf_portal_options *opts,
			 const struct lf_portal_events *events, void *data,
			 struct lf_portal_source **out)
{
	struct lf_portal_source *s;
	int r;

	if (!loop || !opts || !events || !out || !opts->types || (opts->types & ~3u))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->types = opts->types;
	s->events = events;
	s->data = data;
	s->phase = P_NO_BUS;
	s->cancel_retry_ms = CANCEL_RETRY_MS;
	/* For tests: a real chooser cancelled should not stall them 30 s. */
	if (getenv("LASTFRAME_PORTAL_CANCEL_RETRY_MS"))
		s->cancel_retry_ms = (uint32_t)strtoul(getenv("LASTFRAME_PORTAL_CANCEL_RETRY_MS"), NULL, 10);
	if (opts->token_path)
		r = snprintf(s->token_path, sizeof(s->token_path), "%s", opts->token_path) <
		    (int)sizeof(s->token_path) ? 0 : -ENAMETOOLONG;
	else
		r = lf_portal_token_path(s->token_path, sizeof(s->token_path), s->types);
	if (r < 0) {
		lf_err("portal: no place for the restore token (set XDG_STATE_HOME or HOME): %s",
		       strerror(-r));
		goto fail;
	}
	portal_token_load(s);
	s->retry_timer = pw_loop_add_timer(loop, on_retry, s);
	s->step_timer = pw_loop_add_timer(loop, on_step_timeout, s);
	if (!s->retry_timer || !s->step_timer) {
		r = errno ? -errno : -ENOMEM;
		goto fail;
	}
	r = connect_bus(s);
	if (r < 0) {
		/* The bus may come later (a service started early): keep trying. */
		lf_warn("portal: cannot connect to the session bus: %s; retrying", strerror(-r));
		arm(s->retry_timer, s->loop, next_backoff(s));
	}
	*out = s;
	return 0;
fail:
	lf_portal_source_destroy(s);
	return r;
}

void lf_portal_source_destroy(struct lf_portal_source *s)
{
	if (!s)
		return;
	if (s->bus && !s->bus_dead)
		portal_reset_session(s, true);
	/* What is queued may not get out; the portal ends a session whose
	 * creator left the bus anyway. */
	close_bus(s);
	if (s->retry_timer)
		pw_loop_destroy_source(s->loop, s->retry_timer);
	if (s->step_timer)
		pw_loop_destroy_source(s->loop, s->step_timer);
	free(s);
}

const char *lf_portal_source_waiting_for(struct lf_portal_source *s)
{
	switch (s->phase) {
	case P_NO_BUS: return "the session bus";
	case P_SELECT: /* xdpw chooses here, most portals in Start */
	case P_START: return s->token_sent ? "the portal" : "the user to choose a screen";
	case P_CONFIRM: return "the screencast node";
	case P_STREAMING: return NULL;
	default: return "the portal";
	}
}
