/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * fence/: wait for a dmabuf frame's implicit fences without blocking.
 * For each plane, DMA_BUF_IOCTL_EXPORT_SYNC_FILE(READ) gives a sync_file; the
 * sync_files go on the loop and the frame is handed on when all signalled.
 * A newer frame that becomes ready supersedes older pending ones; frames are
 * never handed on out of order.
 */
#include <stdbool.h>
#include <stdint.h>

#include <pipewire/pipewire.h>

#include "base/frame.h"

struct lf_fence_waiter;

struct lf_fence_options {
	uint32_t timeout_ms;      /* default 100 */
	bool publish_on_timeout;  /* hand on with LF_FRAME_FLAG_FENCE_TIMEOUT instead of dropping */
	bool no_wait;             /* never wait: hand every frame on at once (a test's negative control) */
};

struct lf_fence_stats {
	uint64_t waited;          /* frames that had to wait */
	uint64_t already_signalled; /* fences signalled on arrival: handed on at once */
	uint64_t timeouts;        /* dropped (or published flagged) after timeout_ms */
	uint64_t superseded;      /* pending frames dropped for a newer ready one */
	uint64_t errors;          /* export failed (EBADF, ...) or a sync_file in error: dropped */
	/* Submit → hand-on time over the last 256 fenced frames (already
	 * signalled ones count their export+poll time). */
	uint64_t wait_p50_ns, wait_p99_ns;
	bool disabled;            /* this stream's buffers can't export sync files
				   * (memfd labelled dmabuf, kernel < 6.0): frames pass unfenced */
};

struct lf_fence_events {
	/* Called synchronously from submit with the frame's sync_files attached
	 * (f->fences, f->n_fences, LF_FRAME_FLAG_FENCE_PENDING): for clients that
	 * wait on the GPU themselves. f is borrowed. May be NULL. */
	void (*early)(void *data, const struct lf_frame *f);
	/* The frame is safe to read; ownership passes to the callee. */
	void (*ready)(void *data, struct lf_frame *f);
};

int lf_fence_waiter_new(struct pw_loop *loop, const struct lf_fence_options *opts,
			const struct lf_fence_events *events, void *data,
			struct lf_fence_waiter **out);
void lf_fence_waiter_destroy(struct lf_fence_waiter *w);

/* Takes ownership of f. Non-dmabuf frames pass straight to ready(). */
void lf_fence_waiter_submit(struct lf_fence_waiter *w, struct lf_frame *f);
/* Drop every pending frame (format change, shutdown). */
void lf_fence_waiter_flush(struct lf_fence_waiter *w);
void lf_fence_waiter_get_stats(struct lf_fence_waiter *w, struct lf_fence_stats *st);
