/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Buffer metadata → lf_frame: header (pts, CORRUPTED), crop, damage and the
 * cursor. The cursor is state: cursor-only buffers (never frames) update it
 * too, and the next frame carries it. Bitmaps are converted to ARGB8888.
 */
#include <stdbool.h>
#include <stdint.h>

#include <spa/buffer/buffer.h>

#include "base/frame.h"

#define LF_CURSOR_MAX 256

struct lf_meta_state {
	struct lf_cursor cursor;     /* latest known state, bitmap → published */
	uint8_t *published;          /* bitmap handed out with the last frame */
	uint8_t *pending;            /* bitmap being updated between frames */
	uint32_t pending_w, pending_h;
	bool pending_changed;
};

int lf_meta_init(struct lf_meta_state *m);
void lf_meta_clear(struct lf_meta_state *m);
/* Forget the cursor (new stream). */
void lf_meta_reset(struct lf_meta_state *m);

/* Header flags say CORRUPTED. pts_ns is 0 without a header. */
bool lf_meta_header(struct spa_buffer *b, uint64_t *pts_ns);
/* Update the cursor state from any dequeued buffer (frames and cursor-only ones). */
void lf_meta_update_cursor(struct lf_meta_state *m, struct spa_buffer *b);
/* Fill crop, damage and cursor of a frame about to be handed out. */
void lf_meta_fill_frame(struct lf_meta_state *m, struct spa_buffer *b, struct lf_frame *f);
/* Convert one bitmap row to ARGB8888; false for an unsupported format. */
bool lf_meta_convert_row(uint32_t spa_format, const uint8_t *src, uint8_t *dst, uint32_t width);
