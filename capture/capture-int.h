/* SPDX-License-Identifier: MIT */
#pragma once
/* Internal state of capture/, shared by its files (not an interface). */
#include <pipewire/pipewire.h>
#include <spa/utils/list.h>

#include "capture/capture.h"
#include "capture/egl-probe.h"
#include "capture/meta.h"
#include "capture/modifiers.h"
#include "capture/pool.h"
#include "capture/return-guard.h"

/* Deferred work, run from an event source so callbacks never tear down the
 * object that is calling them. */
#define WORK_TEARDOWN     (1u << 0) /* PipeWire went away: drop core, retry later */
#define WORK_CREATE       (1u << 1) /* (re)create the stream */
#define WORK_DESTROY      (1u << 2) /* target node gone: drop the stream */
#define WORK_RENEGOTIATE  (1u << 3) /* offer the shrunken EnumFormat list */
#define WORK_REMOTE_LOST  (1u << 4) /* remote_only: tell the owner (remote_lost_why) */

#define FPS_RING 32

#define BACKOFF_MIN_MS 100  /* first reconnect attempt after PipeWire went away */
#define BACKOFF_MAX_MS 5000

struct cap_buffer; /* buffers.c */

struct lf_capture {
	struct pw_loop *loop;
	struct pw_context *context;
	struct lf_capture_options opts;
	char *target;
	uint64_t *override_mods;
	const struct lf_capture_events *events;
	void *data;

	struct pw_core *core;
	struct spa_hook core_listener;
	struct pw_registry *registry;
	struct spa_hook registry_listener;
	uint32_t target_id;           /* registry id of the target node, SPA_ID_INVALID */
	uint32_t linked_source;       /* no target: the node the session manager linked us to */
	int remote_fd;                /* opts.remote_only: the next connection, -1 when none */
	uint32_t remote_node;         /* its node's global id until the registry names it */
	const char *remote_lost_why;  /* static text for WORK_REMOTE_LOST */

	struct pw_stream *stream;
	struct spa_hook stream_listener;

	struct spa_source *work;
	uint32_t pending;
	struct spa_source *retry;     /* reconnect backoff timer */
	uint32_t backoff_ms;          /* next PipeWire reconnect delay */
	uint32_t stream_backoff_ms;   /* next stream re-creation delay after an error */
	bool destroying;

	enum lf_stream_state state;
	struct lf_video_format fmt;
	bool have_format;
	uint32_t generation;          /* of the current buffer set */
	uint32_t emitted_generation;  /* last one format_changed announced */
	bool set_stale;               /* next add_buffer starts a new generation */
	uint32_t next_buffer_id;
	struct spa_list buffers;      /* cap_buffer.link */

	struct lf_modset mods;
	bool mods_from_egl;
	bool warned_unknown_failure;
	struct lf_egl_probe *probe;   /* NULL: not active (no GPU, switched off) */
	struct lf_probe_book probe_book;

	struct lf_pool pool;
	struct lf_meta_state meta;

	/* No client connected: MemPtr frames are not copied; the newest
	 * producer buffer is held (dequeued) and copied when one arrives. */
	bool idle;
	struct pw_buffer *held;
	uint64_t held_pts, held_recv_ns;

	/* Returns (capture/returns.c): buffers dequeued and not yet given
	 * back, the stream's buffer count, the guard's mirror of its ring. */
	uint32_t outstanding;
	uint32_t n_buffers;
	struct lf_return_guard guard;

	uint64_t seq;
	struct lf_capture_stats stats;
	uint64_t fps_ring[FPS_RING];
	uint32_t fps_pos, fps_n;
};

/* capture.c */
void capture_set_state(struct lf_capture *c, enum lf_stream_state st, const char *why);
void capture_schedule(struct lf_capture *c, uint32_t work);
/* remote_only: the owner hears remote_lost(why) from the work event, never
 * from inside a PipeWire or owner callback. why is a static string. */
void capture_remote_lost(struct lf_capture *c, const char *why);

/* reconnect.c */
int capture_core_connect(struct lf_capture *c);
void capture_core_teardown(struct lf_capture *c);
void capture_retry_arm(struct lf_capture *c);
/* The stream failed (e.g. "no node available"): recreate it later. */
void capture_stream_retry_later(struct lf_capture *c);
void capture_on_retry(void *data, uint64_t expirations);
int capture_registry_rebind(struct lf_capture *c);

/* stream.c */
int capture_stream_create(struct lf_capture *c);
/* The stream's process event: keep the newest valid buffer dequeued, give
 * every other one back (tests/unit/test-capture-latest.c drives it). */
void capture_stream_process(void *data);
void capture_stream_destroy(struct lf_capture *c);

/* returns.c: every dequeue and return of a pw_buffer goes through these. */
bool capture_return_guard_wanted(enum lf_return_guard_mode mode, const char *version);
struct pw_buffer *capture_dequeue(struct lf_capture *c);
void capture_return(struct lf_capture *c, struct pw_buffer *b);
/* Catch up with the stream's ring (each process event). */
void capture_returns_sync(struct lf_capture *c);

/* negotiate.c */
int capture_build_modifiers(struct lf_capture *c);
int capture_offer_formats(struct lf_capture *c, bool update);
void capture_on_format(struct lf_capture *c, const struct spa_pod *param);
/* Open the import probe when it applies; NULL when it is active, else why not. */
const char *capture_probe_setup(struct lf_capture *c);
/* The first dmabuf of a newly negotiated pair: import it on the GPU once; a
 * refusal drops the pair and renegotiates, like a client's report. */
void capture_probe_buffer(struct lf_capture *c, const struct lf_buffer *lb);

/* buffers.c */
void capture_buffer_add(struct lf_capture *c, struct pw_buffer *b);
void capture_buffer_remove(struct lf_capture *c, struct pw_buffer *b);
void capture_buffers_orphan_all(struct lf_capture *c);
struct lf_buffer *capture_buffer_get(struct pw_buffer *b);
/* Refresh the planes' offset/stride/size of a dequeued buffer from its chunks. */
bool capture_buffer_update_planes(struct lf_capture *c, struct pw_buffer *b);
