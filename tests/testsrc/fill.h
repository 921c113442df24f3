/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdint.h>

#include <spa/buffer/buffer.h>

#include "tests/testsrc/buffers.h"
#include "tests/testsrc/testsrc.h"

enum ts_frame_kind { TS_KIND_FRAME, TS_KIND_CURSOR, TS_KIND_CORRUPT };

/* What buffer `counter` is, from --cursor-every and --corrupt-every. */
enum ts_frame_kind ts_frame_kind_of(const struct ts_options *o, uint32_t counter);
/* "frame", "cursor" or "corrupt", for --verbose. */
const char *ts_frame_kind_name(enum ts_frame_kind kind);

/* The counter pattern for frames; poison (fails --verify) for the others. */
void ts_fill_pixels(const struct ts_format *fmt, struct ts_buf *tb, struct spa_buffer *sb,
		    enum ts_frame_kind kind, uint32_t counter);
/* Header (CORRUPTED for TS_KIND_CORRUPT, pts, seq = counter), damage, and a
 * moving cursor with a new bitmap every 16 buffers. pts < 0: none. */
void ts_fill_meta(const struct ts_format *fmt, struct spa_buffer *sb, enum ts_frame_kind kind,
		  uint32_t counter, int64_t pts);
/* Chunk offset/stride/size per plane; size 0 + CORRUPTED for cursor-only. */
void ts_fill_chunks(const struct ts_format *fmt, struct ts_buf *tb, struct spa_buffer *sb,
		    enum ts_frame_kind kind);
