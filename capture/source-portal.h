/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The portal source: an org.freedesktop.portal.ScreenCast session driven by
 * sd-bus on the caller's pw_loop, asynchronously (CreateSession →
 * SelectSources → Start → OpenPipeWireRemote). It hands its owner a PipeWire
 * socket and the node to capture through it (lf_capture_set_remote), keeps
 * the restore token on disk so later sessions need no user, and recreates the
 * session, with backoff, when the portal, the compositor or PipeWire go away
 * or the session is closed.
 */
#include <stdbool.h>
#include <stdint.h>

#include <pipewire/pipewire.h>

struct lf_portal_source;

struct lf_portal_options {
	uint32_t types;          /* SourceType bits: 1 monitor, 2 window */
	const char *token_path;  /* NULL = lf_portal_token_path() */
};

struct lf_portal_events {
	/* A granted stream: capture node_id through fd (ownership passes). */
	void (*remote)(void *data, int fd, uint32_t node_id);
	/* The granted stream is gone (why: for logs); a new session follows. */
	void (*lost)(void *data, const char *why);
};

int lf_portal_source_new(struct pw_loop *loop, const struct lf_portal_options *opts,
			 const struct lf_portal_events *events, void *data,
			 struct lf_portal_source **out);
/* Closes the session (not waited for) and the bus. */
void lf_portal_source_destroy(struct lf_portal_source *s);

/* The owner's stream reached the node: the session is good (resets backoff). */
void lf_portal_source_stream_up(struct lf_portal_source *s);
/* The owner's stream lost its node or connection: a new session, after
 * backoff. Safe to call from inside events->remote. */
void lf_portal_source_stream_lost(struct lf_portal_source *s, const char *why);

/* For STATUS= and `lastframe info`: "the portal", "the user to choose a
 * screen", "the screencast node", or NULL when streaming. */
const char *lf_portal_source_waiting_for(struct lf_portal_source *s);
