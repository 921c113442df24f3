/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The pure parts of the ScreenCast portal source (capture/source-portal.c):
 * request/session object paths, the Response results, the restore token and
 * its file. No bus, no loop: tests/unit/test-portal-util.c drives them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#define LF_PORTAL_TOKEN_MAX 256

/* The portal's response codes (Request.Response). */
enum lf_portal_response {
	LF_PORTAL_OK = 0,
	LF_PORTAL_CANCELLED = 1, /* the user said no */
	LF_PORTAL_ENDED = 2,     /* any other failure */
};

/* /org/freedesktop/portal/desktop/KIND/SENDER/TOKEN, KIND "request" or
 * "session", SENDER the caller's unique name without ':' and with '.' → '_'.
 * -EINVAL for a name or token that cannot form a path element. */
int lf_portal_object_path(char *buf, size_t len, const char *kind, const char *unique_name,
			  const char *token);

/* What a Response's results say; only what the source uses. */
struct lf_portal_results {
	char session_handle[256];           /* CreateSession */
	char restore_token[LF_PORTAL_TOKEN_MAX + 1]; /* Start; "" when none */
	bool bad_token;                     /* a restore_token was there but unusable */
	uint32_t n_streams;                 /* Start */
	uint32_t node_id;                   /* the first stream's */
	int32_t width, height;              /* its size, 0 when not given */
	uint32_t source_type;               /* its source_type, 0 when not given */
};

/* Reads "ua{sv}" (a Response signal's body) from m. Unknown keys are
 * skipped. Returns 0, or a negative errno for a malformed message. */
int lf_portal_parse_response(sd_bus_message *m, uint32_t *code, struct lf_portal_results *out);

/* Printable ASCII without spaces or quotes, 1..LF_PORTAL_TOKEN_MAX bytes. */
bool lf_portal_token_valid(const char *token);

/* Cursor mode to ask for out of AvailableCursorModes: metadata (4), else
 * embedded (2), else hidden (1); 0 = ask for none (the portal's default). */
uint32_t lf_portal_pick_cursor(uint32_t available);

/* $XDG_STATE_HOME/lastframe/portal-KIND.token ($HOME/.local/state when
 * unset), KIND "monitor", "window" or "any" for the SourceType bits. */
int lf_portal_token_path(char *buf, size_t len, uint32_t types);
/* 0 and the token; -ENOENT without a file; -EINVAL when the file does not
 * hold a valid token; other negative errnos from reading it. */
int lf_portal_token_load(const char *path, char *buf, size_t len);
/* Atomically (a 0600 temporary file renamed over path); makes the directory
 * (0700) when missing. */
int lf_portal_token_save(const char *path, const char *token);
