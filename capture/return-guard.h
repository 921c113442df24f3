/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The return guard: a workaround for PipeWire < 1.4.8 (docs/hacking.md).
 *
 * A buffer a consumer gives back (pw_stream_queue_buffer) waits in its
 * stream's `queued` ring until a later graph cycle takes it out, one per
 * cycle that brings a frame. Its busy count (SPA_META_Busy, shared with the
 * producer) drops at once, so the producer may fill and send it while it is
 * still in the ring; the consumer stream then refuses it (queue_push() sees
 * BUFFER_FLAG_QUEUED and returns -EINVAL) and the frame is lost without a
 * trace, the last one of a burst included. PipeWire 1.4.8 and 1.5.81
 * ("stream: remove QUEUED buffer flag") accept such a buffer.
 *
 * The guard keeps one busy mark of its own on every buffer given back until
 * the ring has let go of it, so the producer cannot pick a buffer the stream
 * would refuse. It mirrors the ring (every return goes through it, in order)
 * and learns how many entries are still there from pw_time.queued_buffers.
 * So that the producer never starves (the ring only drains when frames
 * come), at most `limit` marks are held; past that the oldest entries lose
 * theirs early.
 *
 * Pure logic on plain memory: capture/returns.c wires it to the pw_stream;
 * tests/unit/test-capture-return-guard.c drives it.
 */
#include <stdbool.h>
#include <stdint.h>

#define LF_RETURN_GUARD_MAX 64 /* pw_stream's MAX_BUFFERS */

struct lf_return_entry {
	const void *buf;          /* identity only */
	uint32_t *busy;           /* the buffer's spa_meta_busy.count, or NULL */
	const uint64_t *seq;      /* the producer's spa_meta_header.seq, or NULL */
	uint64_t seq_at_return;
	uint64_t seq_seen;        /* lf_return_guard_sample() */
	bool marked;              /* holds one busy count of ours */
	bool refused;             /* already counted as refused */
};

struct lf_return_guard_stats {
	uint64_t marked;          /* returns that kept a busy mark while in the ring */
	uint64_t released_early;  /* marks given up before the ring let go (starvation guard) */
	uint64_t refused;         /* the producer reused a buffer still in the ring */
};

struct lf_return_guard {
	bool enabled;
	struct lf_return_entry ring[LF_RETURN_GUARD_MAX];
	uint32_t head, n;         /* entries in return order; the ring pops from head */
	uint32_t n_marked;
	struct lf_return_guard_stats stats;
};

void lf_return_guard_init(struct lf_return_guard *g, bool enabled);

/* About to give buf back: remember it (and mark it busy when enabled).
 * Call lf_return_guard_undo() when the return then fails. */
void lf_return_guard_push(struct lf_return_guard *g, const void *buf, uint32_t *busy,
			  const uint64_t *seq);
void lf_return_guard_undo(struct lf_return_guard *g);

/* Before reading the ring's fill: note what the producer last wrote in each
 * entry. An entry still in the ring after that read whose content changed
 * since its return was reused while the stream would refuse it. */
void lf_return_guard_sample(struct lf_return_guard *g);
/* The stream's ring holds `fill` buffers now: drop the marks of the entries
 * it let go of, count the refused ones (see _sample), then keep at most
 * `limit` marks. */
void lf_return_guard_sync(struct lf_return_guard *g, uint32_t fill, uint32_t limit);

/* buf is going away (PipeWire's remove_buffer, its memory still mapped):
 * drop its mark and forget it. A producer keeps its buffers, busy counts
 * included, for the next consumer: a mark left behind would starve it. */
void lf_return_guard_forget(struct lf_return_guard *g, const void *buf);
/* The stream is about to go (its buffers still mapped): drop every mark,
 * forget everything; the counters stay. */
void lf_return_guard_clear(struct lf_return_guard *g);
