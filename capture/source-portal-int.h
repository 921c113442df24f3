/* SPDX-License-Identifier: MIT */
#pragma once
/* Internal state of the portal source, shared by its two files (not an interface). */
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "capture/portal-util.h"
#include "capture/sdbus-loop.h"
#include "capture/source-portal.h"

#define PORTAL_NAME      "org.freedesktop.portal.Desktop"
#define PORTAL_PATH      "/org/freedesktop/portal/desktop"
#define SCREENCAST_IFACE "org.freedesktop.portal.ScreenCast"
#define REQUEST_IFACE    "org.freedesktop.portal.Request"
#define SESSION_IFACE    "org.freedesktop.portal.Session"

#define CALL_TIMEOUT_USEC  (10 * 1000000ull) /* a method reply; covers bus-activating the portal */
#define RESPONSE_TIMEOUT_MS 10000            /* CreateSession's and SelectSources' Response */
#define START_TIMEOUT_MS   300000            /* Start's Response: a user may be choosing */
#define CONFIRM_TIMEOUT_MS 5000              /* the granted node must show up in PipeWire */
#define BACKOFF_FIRST_MS   200
#define BACKOFF_MAX_MS     2000              /* a restarted portal/compositor is back within seconds */
#define CANCEL_RETRY_MS    30000             /* the user said no: do not pester */
#define QUIET_AFTER_FAILURES 5

enum portal_phase {
	P_NO_BUS,    /* session bus not connected (retry pending) */
	P_RETRY,     /* a new session after the backoff */
	P_PROBE,     /* ScreenCast properties in flight (activates the portal) */
	P_CREATE,    /* CreateSession request */
	P_SELECT,    /* SelectSources request */
	P_START,     /* Start request: a chooser may be up */
	P_OPEN,      /* OpenPipeWireRemote */
	P_CONFIRM,   /* handed to the owner, waiting for its stream */
	P_STREAMING,
};

struct lf_portal_source {
	struct pw_loop *loop;
	uint32_t types;
	char token_path[4096];
	const struct lf_portal_events *events;
	void *data;

	sd_bus *bus;
	struct lf_sdbus_loop *bl;
	bool bus_dead;              /* lost: closed from the retry timer */
	struct spa_source *retry_timer;
	struct spa_source *step_timer; /* a Response or the owner's confirmation is late */
	sd_bus_slot *owner_match;
	sd_bus_slot *call;          /* the one method call in flight */
	sd_bus_slot *response_match;
	sd_bus_slot *closed_match;
	sd_bus_message *pending;    /* the call waiting for its Response match */
	char *request_path;
	char *session_path;
	enum portal_phase phase;
	uint32_t version, cursor_modes, source_types; /* the portal's properties */
	uint32_t handle_serial;
	uint32_t node_id;           /* Start's first stream */
	char token[LF_PORTAL_TOKEN_MAX + 1]; /* "" = none */
	bool token_sent;            /* in this session's SelectSources */
	bool announced;             /* owner got remote() since the last lost() */
	uint32_t backoff_ms;
	uint32_t failures;          /* in a row, for the log level */
	uint32_t cancel_retry_ms;   /* after the user cancelled */
};

/* source-portal.c */
void portal_arm_step(struct lf_portal_source *s, uint32_t ms);
void portal_reset_session(struct lf_portal_source *s, bool close);
/* A step failed: tear the session down, retry after delay_ms (0 = backoff). */
void portal_fail(struct lf_portal_source *s, const char *what, const char *detail, uint32_t delay_ms);
void portal_granted(struct lf_portal_source *s, int fd, uint32_t node_id);

/* source-portal-calls.c */
void portal_begin(struct lf_portal_source *s);
void portal_token_load(struct lf_portal_source *s);
