/* SPDX-License-Identifier: MIT */
/*
 * The ScreenCast portal's calls, in order, each one's answer starting the
 * next: GetAll (properties; bus-activates the portal) → CreateSession →
 * SelectSources → Start → OpenPipeWireRemote. Requests are answered by a
 * Response signal on /org/freedesktop/portal/desktop/request/SENDER/TOKEN:
 * we subscribe there first and call only once the match is in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/source-portal-int.h"
#include "base/log.h"

static const char *reply_error(sd_bus_message *m)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (!e)
		return NULL;
	return e->message ? e->message : e->name ? e->name : "unknown D-Bus error";
}

static const char *code_name(uint32_t code)
{
	switch (code) {
	case LF_PORTAL_CANCELLED: return "cancelled by the user (response 1)";
	case LF_PORTAL_ENDED: return "ended by the portal (response 2)";
	default: return "unknown response code";
	}
}

void portal_token_load(struct lf_portal_source *s)
{
	int r = lf_portal_token_load(s->token_path, s->token, sizeof(s->token));

	if (r == 0) {
		lf_info("portal: restore token from %s: later sessions need no user", s->token_path);
		return;
	}
	s->token[0] = '\0';
	if (r == -ENOENT)
		lf_info("portal: no restore token yet (%s): the portal will ask the user once",
			s->token_path);
	else if (r == -EINVAL)
		lf_warn("portal: ignoring %s: not a valid restore token; the portal will ask the user",
			s->token_path);
	else
		lf_warn("portal: cannot read the restore token %s: %s; the portal will ask the user",
			s->token_path, strerror(-r));
}

static void token_save(struct lf_portal_source *s, const char *token)
{
	int r;

	if (!strcmp(token, s->token))
		return;
	snprintf(s->token, sizeof(s->token), "%s", token);
	r = lf_portal_token_save(s->token_path, token);
	if (r < 0)
		lf_warn("portal: cannot save the restore token in %s: %s; the next start will ask the user again",
			s->token_path, strerror(-r));
	else
		lf_info("portal: saved the new restore token in %s", s->token_path);
}

/* The saved token may be why the portal said no: ask once more without it. */
static bool drop_token(struct lf_portal_source *s, const char *step, const char *why)
{
	if (!s->token_sent)
		return false;
	lf_warn("portal: %s (%s) with the saved restore token; asking again without it",
		step, why);
	s->token[0] = '\0';
	portal_fail(s, "asking without the restore token", NULL, 50);
	return true;
}

static int new_call(struct lf_portal_source *s, sd_bus_message **m, const char *member)
{
	return sd_bus_message_new_method_call(s->bus, m, PORTAL_NAME, PORTAL_PATH,
					      SCREENCAST_IFACE, member);
}

static void next_token(struct lf_portal_source *s, char *buf, size_t len, const char *prefix)
{
	snprintf(buf, len, "lastframe%s%u", prefix, ++s->handle_serial);
}

static int on_request_reply(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_portal_source *s = data;
	const char *err = reply_error(m);
	const char *handle;
	int r;

	s->call = sd_bus_slot_unref(s->call);
	/* xdg-desktop-portal refuses a token that is no UUID outright. */
	if (err && s->phase == P_SELECT && drop_token(s, "SelectSources was refused", err))
		return 0;
	if (err) {
		portal_fail(s, "the portal refused the request", err, 0);
		return 0;
	}
	r = sd_bus_message_read(m, "o", &handle);
	if (r < 0) {
		portal_fail(s, "bad request reply", strerror(-r), 0);
		return 0;
	}
	/* Portals before handle_token (2018) answer elsewhere: not supported. */
	if (!s->request_path || strcmp(handle, s->request_path) != 0)
		portal_fail(s, "the portal answered on an unexpected request path", handle, 0);
	return 0;
}

static int on_response_match(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_portal_source *s = data;
	const char *err = reply_error(m);
	uint32_t ms = s->phase == P_START ? START_TIMEOUT_MS : RESPONSE_TIMEOUT_MS;
	int r;

	if (err) {
		portal_fail(s, "cannot subscribe to the request's Response", err, 0);
		return 0;
	}
	if (!s->pending)
		return 0;
	r = sd_bus_call_async(s->bus, &s->call, s->pending, on_request_reply, s, CALL_TIMEOUT_USEC);
	s->pending = sd_bus_message_unref(s->pending);
	if (r < 0) {
		portal_fail(s, "cannot send the request", strerror(-r), 0);
		return 0;
	}
	portal_arm_step(s, ms);
	return 0;
}

static int on_response(sd_bus_message *m, void *data, sd_bus_error *ret_error);

/* Send m (owned) once its Response is subscribed to. */
static void request(struct lf_portal_source *s, sd_bus_message *m, const char *token,
		    enum portal_phase phase)
{
	char path[512];
	const char *unique = NULL;
	int r;

	s->call = sd_bus_slot_unref(s->call);
	s->response_match = sd_bus_slot_unref(s->response_match);
	s->pending = sd_bus_message_unref(s->pending);
	free(s->request_path);
	s->request_path = NULL;
	s->phase = phase;
	/* Known once the bus said Hello, which an answered call implies. */
	r = sd_bus_get_unique_name(s->bus, &unique);
	if (r >= 0)
		r = lf_portal_object_path(path, sizeof(path), "request", unique, token);
	if (r >= 0 && !(s->request_path = strdup(path)))
		r = -ENOMEM;
	if (r < 0) {
		sd_bus_message_unref(m);
		portal_fail(s, "cannot build the request path", strerror(-r), 0);
		return;
	}
	s->pending = m;
	r = sd_bus_match_signal_async(s->bus, &s->response_match, PORTAL_NAME, s->request_path,
				      REQUEST_IFACE, "Response", on_response, on_response_match, s);
	if (r < 0)
		portal_fail(s, "cannot subscribe to the request's Response", strerror(-r), 0);
}

static int on_remote(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_portal_source *s = data;
	const char *err = reply_error(m);
	int fd, r;

	s->call = sd_bus_slot_unref(s->call);
	if (err) {
		portal_fail(s, "OpenPipeWireRemote failed", err, 0);
		return 0;
	}
	r = sd_bus_message_read(m, "h", &fd);
	if (r < 0) {
		portal_fail(s, "bad OpenPipeWireRemote reply", strerror(-r), 0);
		return 0;
	}
	/* The message owns its fd; ours goes to PipeWire. */
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		portal_fail(s, "cannot keep the PipeWire socket", strerror(errno), 0);
		return 0;
	}
	portal_granted(s, fd, s->node_id);
	return 0;
}

static void open_remote(struct lf_portal_source *s)
{
	int r;

	s->phase = P_OPEN;
	s->call = sd_bus_slot_unref(s->call);
	r = sd_bus_call_method_async(s->bus, &s->call, PORTAL_NAME, PORTAL_PATH, SCREENCAST_IFACE,
				     "OpenPipeWireRemote", on_remote, s, "oa{sv}", s->session_path, 0);
	if (r < 0)
		portal_fail(s, "cannot call OpenPipeWireRemote", strerror(-r), 0);
}

static void start(struct lf_portal_source *s)
{
	sd_bus_message *m = NULL;
	char tok[32];
	int r;

	next_token(s, tok, sizeof(tok), "");
	r = new_call(s, &m, "Start");
	if (r >= 0)
		r = sd_bus_message_append(m, "osa{sv}", s->session_path, "", 1, "handle_token", "s", tok);
	if (r < 0) {
		sd_bus_message_unref(m);
		portal_fail(s, "cannot build Start", strerror(-r), 0);
		return;
	}
	if (s->token_sent)
		lf_info("portal: starting the cast with the saved grant");
	else
		lf_notice("portal: starting the cast; the portal may ask the user to choose a screen");
	request(s, m, tok, P_START);
}

static int append_options(struct lf_portal_source *s, sd_bus_message *m, const char *tok)
{
	uint32_t types = s->source_types ? s->types & s->source_types : s->types;
	uint32_t cursor = s->version >= 2 ? lf_portal_pick_cursor(s->cursor_modes) : 0;
	int r;

	s->token_sent = s->version >= 4 && s->token[0];
	if ((r = sd_bus_message_open_container(m, 'a', "{sv}")) < 0 ||
	    (r = sd_bus_message_append(m, "{sv}", "handle_token", "s", tok)) < 0 ||
	    (r = sd_bus_message_append(m, "{sv}", "types", "u", types)) < 0 ||
	    (r = sd_bus_message_append(m, "{sv}", "multiple", "b", 0)) < 0)
		return r;
	if (cursor && (r = sd_bus_message_append(m, "{sv}", "cursor_mode", "u", cursor)) < 0)
		return r;
	/* 2: persistent until revoked (version 4). */
	if (s->version >= 4 && (r = sd_bus_message_append(m, "{sv}", "persist_mode", "u", 2)) < 0)
		return r;
	if (s->token_sent &&
	    (r = sd_bus_message_append(m, "{sv}", "restore_token", "s", s->token)) < 0)
		return r;
	lf_debug("portal: SelectSources types %u cursor_mode %u%s", types, cursor,
		 s->token_sent ? " with the restore token" : "");
	return sd_bus_message_close_container(m);
}

static void select_sources(struct lf_portal_source *s)
{
	sd_bus_message *m = NULL;
	char tok[32];
	int r;

	next_token(s, tok, sizeof(tok), "");
	r = new_call(s, &m, "SelectSources");
	if (r >= 0)
		r = sd_bus_message_append(m, "o", s->session_path);
	if (r >= 0)
		r = append_options(s, m, tok);
	if (r < 0) {
		sd_bus_message_unref(m);
		portal_fail(s, "cannot build SelectSources", strerror(-r), 0);
		return;
	}
	request(s, m, tok, P_SELECT);
}

static int on_closed(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_portal_source *s = data;

	/* The portal already dropped it: no Close. */
	free(s->session_path);
	s->session_path = NULL;
	portal_fail(s, "the portal closed the session", NULL, 0);
	return 0;
}

static void on_created(struct lf_portal_source *s, const struct lf_portal_results *res)
{
	int r;

	if (!res->session_handle[0] || !sd_bus_object_path_is_valid(res->session_handle)) {
		portal_fail(s, "CreateSession answered without a valid session_handle", NULL, 0);
		return;
	}
	s->session_path = strdup(res->session_handle);
	if (!s->session_path) {
		portal_fail(s, "out of memory", NULL, 0);
		return;
	}
	lf_info("portal: session %s", s->session_path);
	r = sd_bus_match_signal_async(s->bus, &s->closed_match, PORTAL_NAME, s->session_path,
				      SESSION_IFACE, "Closed", on_closed, NULL, s);
	if (r < 0) {
		portal_fail(s, "cannot subscribe to Session.Closed", strerror(-r), 0);
		return;
	}
	select_sources(s);
}

static void on_started(struct lf_portal_source *s, uint32_t code, const struct lf_portal_results *res)
{
	if (code != LF_PORTAL_OK) {
		if (!drop_token(s, "Start failed", code_name(code)))
			portal_fail(s, "Start failed", code_name(code), 0);
		return;
	}
	if (res->n_streams == 0) {
		portal_fail(s, "Start granted no streams", NULL, 0);
		return;
	}
	if (res->n_streams > 1)
		lf_notice("portal: Start granted %u streams; capturing the first", res->n_streams);
	lf_info("portal: granted node %u (%dx%d, source type %u)", res->node_id, res->width,
		res->height, res->source_type);
	if (res->bad_token)
		lf_warn("portal: the portal's restore token is unusable; not saved");
	else if (res->restore_token[0])
		token_save(s, res->restore_token);
	s->node_id = res->node_id;
	open_remote(s);
}

static int on_response(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_portal_source *s = data;
	struct lf_portal_results res;
	uint32_t code;
	int r;

	pw_loop_update_timer(s->loop, s->step_timer, NULL, NULL, false);
	s->response_match = sd_bus_slot_unref(s->response_match);
	r = lf_portal_parse_response(m, &code, &res);
	if (r < 0) {
		portal_fail(s, "malformed Response", strerror(-r), 0);
		return 0;
	}
	if (code == LF_PORTAL_CANCELLED && (s->phase == P_SELECT || s->phase == P_START)) {
		/* Some portals choose in SelectSources (xdpw), others in Start. */
		char detail[64];

		snprintf(detail, sizeof(detail), "asking again in %u s", (s->cancel_retry_ms + 999) / 1000);
		portal_fail(s, "the user cancelled the screen choice", detail, s->cancel_retry_ms + !s->cancel_retry_ms);
		return 0;
	}
	switch (s->phase) {
	case P_CREATE:
		if (code != LF_PORTAL_OK)
			portal_fail(s, "CreateSession failed", code_name(code), 0);
		else
			on_created(s, &res);
		break;
	case P_SELECT:
		if (code == LF_PORTAL_OK)
			start(s);
		else if (!drop_token(s, "SelectSources failed", code_name(code)))
			portal_fail(s, "SelectSources failed", code_name(code), 0);
		break;
	case P_START:
		on_started(s, code, &res);
		break;
	default:
		break;
	}
	return 0;
}

static void create_session(struct lf_portal_source *s)
{
	sd_bus_message *m = NULL;
	char tok[32], stok[32];
	int r;

	next_token(s, tok, sizeof(tok), "");
	next_token(s, stok, sizeof(stok), "_session");
	r = new_call(s, &m, "CreateSession");
	if (r >= 0)
		r = sd_bus_message_append(m, "a{sv}", 2, "handle_token", "s", tok,
					  "session_handle_token", "s", stok);
	if (r < 0) {
		sd_bus_message_unref(m);
		portal_fail(s, "cannot build CreateSession", strerror(-r), 0);
		return;
	}
	request(s, m, tok, P_CREATE);
}

static int read_props(sd_bus_message *m, struct lf_portal_source *s)
{
	int r;

	if ((r = sd_bus_message_enter_container(m, 'a', "{sv}")) < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key;
		uint32_t *dst = NULL;

		if ((r = sd_bus_message_read(m, "s", &key)) < 0)
			return r;
		if (!strcmp(key, "AvailableSourceTypes"))
			dst = &s->source_types;
		else if (!strcmp(key, "AvailableCursorModes"))
			dst = &s->cursor_modes;
		else if (!strcmp(key, "version"))
			dst = &s->version;
		if (dst && sd_bus_message_verify_type(m, 'v', "u") > 0)
			r = sd_bus_message_read(m, "v", "u", dst);
		else
			r = sd_bus_message_skip(m, "v");
		if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int on_props(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct lf_portal_source *s = data;
	const char *err = reply_error(m);
	int r;

	s->call = sd_bus_slot_unref(s->call);
	if (err) {
		portal_fail(s, "not available", err, 0);
		return 0;
	}
	s->version = s->cursor_modes = s->source_types = 0;
	r = read_props(m, s);
	if (r < 0) {
		portal_fail(s, "bad ScreenCast properties", strerror(-r), 0);
		return 0;
	}
	if (s->source_types && !(s->source_types & s->types)) {
		portal_fail(s, "this portal cannot capture the requested source type", NULL, 0);
		return 0;
	}
	lf_info("portal: ScreenCast version %u, source types 0x%x, cursor modes 0x%x",
		s->version, s->source_types, s->cursor_modes);
	create_session(s);
	return 0;
}

void portal_begin(struct lf_portal_source *s)
{
	int r;

	portal_reset_session(s, true);
	s->phase = P_PROBE;
	s->call = sd_bus_slot_unref(s->call);
	/* Auto-start on: a portal that is not running yet is bus-activated. */
	r = sd_bus_call_method_async(s->bus, &s->call, PORTAL_NAME, PORTAL_PATH,
				     "org.freedesktop.DBus.Properties", "GetAll", on_props, s,
				     "s", SCREENCAST_IFACE);
	if (r < 0)
		portal_fail(s, "cannot ask for the ScreenCast properties", strerror(-r), 0);
}
