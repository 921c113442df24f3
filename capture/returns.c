/* SPDX-License-Identifier: MIT */
/*
 * Every buffer capture/ gives back to its pw_stream goes through here, so the
 * return guard (capture/return-guard.h: why) mirrors the stream's `queued`
 * ring exactly.
 */
#include <spa/buffer/buffer.h>
#include <spa/buffer/meta.h>

#include "capture/capture-int.h"
#include "base/log.h"

/* Buffers the producer keeps free of our marks: one to fill now, one spare. */
#define GUARD_MIN_FREE 1

/* Every version before the fix (1.4.8 on the 1.4 branch, 1.5.81 on main). */
static bool version_needs_guard(const char *v)
{
	unsigned major = 0, minor = 0, micro = 0;

	if (!v || sscanf(v, "%u.%u.%u", &major, &minor, &micro) < 2)
		return true; /* unknown: the guard is harmless where not needed */
	if (major != 1)
		return major < 1;
	return minor < 4 || (minor == 4 && micro < 8);
}

bool capture_return_guard_wanted(enum lf_return_guard_mode mode, const char *version)
{
	switch (mode) {
	case LF_RETURN_GUARD_ON: return true;
	case LF_RETURN_GUARD_OFF: return false;
	default: return version_needs_guard(version);
	}
}

struct pw_buffer *capture_dequeue(struct lf_capture *c)
{
	struct pw_buffer *b = pw_stream_dequeue_buffer(c->stream);

	if (b)
		c->outstanding++;
	return b;
}

void capture_returns_sync(struct lf_capture *c)
{
	struct pw_time t = { 0 };
	uint32_t busy, limit;

	if (!c->stream || c->guard.n == 0)
		return;
	lf_return_guard_sample(&c->guard);
	if (pw_stream_get_time_n(c->stream, &t, sizeof(t)) < 0)
		return;
	/* What the producer cannot use anyway: ours, and those waiting in
	 * the stream for our process event. */
	busy = c->outstanding + t.avail_buffers + GUARD_MIN_FREE;
	limit = c->n_buffers > busy ? c->n_buffers - busy : 0;
	lf_return_guard_sync(&c->guard, t.queued_buffers, limit);
}

void capture_return(struct lf_capture *c, struct pw_buffer *b)
{
	struct spa_buffer *sb = b->buffer;
	struct spa_meta_busy *busy = spa_buffer_find_meta_data(sb, SPA_META_Busy, sizeof(*busy));
	struct spa_meta_header *h = spa_buffer_find_meta_data(sb, SPA_META_Header, sizeof(*h));

	if (c->outstanding)
		c->outstanding--;
	lf_return_guard_push(&c->guard, b, busy ? &busy->count : NULL, h ? &h->seq : NULL);
	if (pw_stream_queue_buffer(c->stream, b) < 0) {
		lf_return_guard_undo(&c->guard);
		lf_debug("capture: the stream did not take a buffer back");
	}
	capture_returns_sync(c);
}
