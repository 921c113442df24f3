/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The Mutter source: a org.gnome.Mutter.ScreenCast session (RecordMonitor or
 * RecordVirtual) driven by sd-bus on the caller's pw_loop, asynchronously.
 * It hands out the object.serial of Mutter's PipeWire node (for
 * lf_capture_set_target) and recreates the session, with backoff, when Mutter
 * goes away and comes back, closes the session, or the session bus drops.
 */
#include <stdbool.h>
#include <stdint.h>

#include <pipewire/pipewire.h>

struct lf_mutter_source;

struct lf_mutter_options {
	bool virtual_monitor;  /* RecordVirtual instead of RecordMonitor */
	const char *connector; /* RecordMonitor: NULL or "" = primary monitor */
	uint32_t cursor_mode;  /* Mutter's cursor-mode: 0 hidden, 1 embedded, 2 metadata */
};

struct lf_mutter_events {
	/* The stream's node is up; target is its object.serial. */
	void (*node)(void *data, const char *target);
	/* The stream is gone (why: for logs and STATUS=); a new session follows
	 * when Mutter is (or comes) back. */
	void (*lost)(void *data, const char *why);
};

/* Uses the session bus ($DBUS_SESSION_BUS_ADDRESS or $XDG_RUNTIME_DIR/bus)
 * and a short-lived PipeWire connection from context to resolve node ids. */
int lf_mutter_source_new(struct pw_loop *loop, struct pw_context *context,
			 const struct lf_mutter_options *opts,
			 const struct lf_mutter_events *events, void *data,
			 struct lf_mutter_source **out);
/* Stops the session (Session.Stop, not waited for) and closes the bus. */
void lf_mutter_source_destroy(struct lf_mutter_source *s);

/* What the source waits for now, for STATUS=: "Mutter", "Mutter's screencast
 * node", or NULL when streaming. */
const char *lf_mutter_source_waiting_for(struct lf_mutter_source *s);

/* capture/source-mutter-node.c: resolve a node id to its object.serial with
 * a private registry (ids are reused; the serial is what target.object takes). */
struct lf_node_lookup;
typedef void (*lf_node_lookup_fn)(void *data, int res, const char *target);
int lf_node_lookup_new(struct pw_context *context, uint32_t node_id,
		       lf_node_lookup_fn done, void *data, struct lf_node_lookup **out);
/* Not from inside done(): the connection is still dispatching then. */
void lf_node_lookup_destroy(struct lf_node_lookup *l);
