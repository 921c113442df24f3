/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * capture/: one PipeWire stream consuming a Video/Source node. It negotiates
 * (dmabuf with modifiers first, shared memory last), keeps only the newest
 * valid buffer of each process() burst, and hands frames to its owner.
 * Everything runs on the caller's pw_loop; nothing blocks.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <pipewire/pipewire.h>

#include "base/frame.h"

struct lf_capture;

/* The return guard (capture/return-guard.h): a PipeWire < 1.4.8 workaround. */
enum lf_return_guard_mode {
	LF_RETURN_GUARD_AUTO = 0, /* on when the running PipeWire needs it */
	LF_RETURN_GUARD_ON = 1,
	LF_RETURN_GUARD_OFF = 2,
};

struct lf_capture_options {
	const char *target;        /* node.name or object.serial; NULL = let the session manager pick */
	bool shm_only;             /* never offer dmabuf */
	const uint64_t *modifiers; /* override the EGL modifier list (n_modifiers > 0); else
				    * $LASTFRAME_MODIFIERS ("LINEAR,INVALID,0x…") when set */
	size_t n_modifiers;
	const char *render_node;   /* EGL device/GBM node to ask for modifiers; NULL = first found */
	/* Never import-probe the first dmabuf of a pair on the GPU (the probe
	 * only runs when the modifiers came from a hardware EGL device). */
	bool no_import_probe;
	/* The daemon has no GPU readback: offer only what CPU readers can map
	 * (LINEAR, INVALID) instead of the EGL list; an override still wins. */
	bool cpu_readable_only;
	/* The capture owns its pw_core connection so it can reconnect after a
	 * PipeWire restart (with backoff); PIPEWIRE_REMOTE is honoured. */
	uint32_t lease_buffers;    /* extra buffers to ask for so client leases don't starve the producer */
	/* Offer only this size (a Mutter virtual monitor takes the size the
	 * stream negotiates); 0 = any size, 1280x720 preferred. */
	uint32_t request_width, request_height;
	/* Connect nowhere until lf_capture_set_remote hands a connection (a
	 * portal's OpenPipeWireRemote); such connections are not remade by
	 * capture/ when they break: remote_lost tells the owner instead. */
	bool remote_only;
	enum lf_return_guard_mode return_guard;
};

struct lf_capture_stats {
	uint64_t frames_in;        /* buffers dequeued */
	uint64_t frames_out;       /* frames handed to the owner */
	uint64_t frames_dropped;   /* superseded in a burst */
	uint64_t frames_deferred;  /* MemPtr frames held uncopied: nobody connected */
	uint64_t frames_corrupted; /* CORRUPTED / empty / cursor-only */
	uint64_t copies;           /* MemPtr frames copied into the pool */
	uint64_t renegotiations;
	uint32_t fps_milli;        /* measured delivered frame rate * 1000 */
	bool return_guard;         /* the guard is on for the running PipeWire */
	uint64_t returns_guarded;  /* buffers given back with our busy mark kept */
	uint64_t returns_unguarded;/* marks given up early so the producer has buffers */
	uint64_t buffers_refused;  /* reused by the producer while PipeWire would refuse them */
};

struct lf_capture_events {
	/* New negotiated format (a new generation of buffers follows), or
	 * NULL when the format was cleared / the stream paused. capture/
	 * calls it right before the first frame of each new generation (the
	 * buffer type is only known then) and reports a cleared format or a
	 * pause through state_changed(), after which the next frame announces
	 * the format again. */
	void (*format_changed)(void *data, const struct lf_video_format *fmt, uint32_t generation);
	/* Stream state changed (node gone, paused, streaming); why is for logs and STATUS=. */
	void (*state_changed)(void *data, enum lf_stream_state state, const char *why);
	/* A new frame; ownership of f passes to the callee. */
	void (*frame)(void *data, struct lf_frame *f);
	/* remote_only: the connection from lf_capture_set_remote broke or its
	 * node went away; nothing comes until the owner hands a new one. */
	void (*remote_lost)(void *data, const char *why);
};

int lf_capture_new(struct pw_loop *loop, struct pw_context *context,
		   const struct lf_capture_options *opts,
		   const struct lf_capture_events *events, void *data,
		   struct lf_capture **out);
void lf_capture_destroy(struct lf_capture *c);

/* (Re)connect to a target: used by sources that learn the node later (Mutter). */
int lf_capture_set_target(struct lf_capture *c, const char *target);

/* Capture node_id (a global id as that connection sees it) through fd, a
 * connected PipeWire socket (ownership passes, also on error). Drops the
 * connection in use; fd < 0: only that (wait for the next). */
int lf_capture_set_remote(struct lf_capture *c, int fd, uint32_t node_id);

/* A client (or the daemon's import probe) could not use this pair: drop it and
 * renegotiate; ends at shared memory. */
int lf_capture_report_import_failure(struct lf_capture *c, uint32_t drm_format, uint64_t modifier);

/* Whether anyone consumes frames now (the daemon: a client is connected).
 * Without consumers, MemPtr frames are not copied: the newest producer buffer
 * is held instead and copied (and delivered) as soon as demand returns.
 * Starts true. */
void lf_capture_set_demand(struct lf_capture *c, bool wanted);

/* The format in use, or NULL. */
const struct lf_video_format *lf_capture_get_format(struct lf_capture *c);
enum lf_stream_state lf_capture_get_state(struct lf_capture *c);
void lf_capture_get_stats(struct lf_capture *c, struct lf_capture_stats *st);

/* Print what lf_capture_new with these options would offer (formats, DRM
 * modifiers with their libdrm names, where they came from): for
 * `lastframed --list-formats`. opts may be NULL. */
int lf_capture_print_formats(FILE *out, const struct lf_capture_options *opts);
