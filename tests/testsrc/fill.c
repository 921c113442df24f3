/* SPDX-License-Identifier: MIT */
/*
 * What lastframe-testsrc writes into a buffer: the counter pattern (or
 * poison for buffers no client may see), the metadata a compositor sets,
 * and chunks, including the cursor-only shape Mutter and KWin send.
 */
#include <spa/buffer/meta.h>
#include <spa/param/video/raw.h>

#include "tests/testsrc/fill.h"

#define CURSOR_BITMAP 32

enum ts_frame_kind ts_frame_kind_of(const struct ts_options *o, uint32_t counter)
{
	if (o->cursor_every && (counter + 1) % o->cursor_every == 0)
		return TS_KIND_CURSOR;
	if (o->corrupt_every && (counter + 1) % o->corrupt_every == 0)
		return TS_KIND_CORRUPT;
	return TS_KIND_FRAME;
}


const char *ts_frame_kind_name(enum ts_frame_kind kind)
{
	static const char *const names[] = { "frame", "cursor", "corrupt" };

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

void ts_fill_pixels(const struct ts_format *fmt, struct ts_buf *tb, struct spa_buffer *sb,
		    enum ts_frame_kind kind, uint32_t counter)
{
	uint8_t *planes[TS_MAX_PLANES];

	if (ts_buf_planes(tb, sb, fmt, planes) < 0)
		return;
	/* Buffers that must never reach a client get pixels that fail --verify. */
	if (kind == TS_KIND_FRAME)
		lf_pattern_fill(fmt->pattern, counter, fmt->width, fmt->height, planes,
				fmt->strides);
	else
		lf_pattern_fill_poison(fmt->pattern, fmt->width, fmt->height, planes,
				       fmt->strides);
}

void ts_fill_meta(const struct ts_format *fmt, struct spa_buffer *sb, enum ts_frame_kind kind,
		  uint32_t counter, int64_t pts)
{
	struct spa_meta_header *h;
	struct spa_meta_cursor *mc;
	struct spa_meta *m;

	if ((h = spa_buffer_find_meta_data(sb, SPA_META_Header, sizeof(*h)))) {
		h->flags = kind == TS_KIND_CORRUPT ? SPA_META_HEADER_FLAG_CORRUPTED : 0;
		h->offset = 0;
		h->pts = pts;
		h->dts_offset = 0;
		h->seq = counter;
	}
	if ((m = spa_buffer_find_meta(sb, SPA_META_VideoDamage))) {
		struct spa_meta_region *r = spa_meta_first(m);
		if (spa_meta_check(r, m)) {
			r->region = SPA_REGION(0, 0, fmt->width, fmt->height);
			r++;
		}
		if (spa_meta_check(r, m))
			r->region = SPA_REGION(0, 0, 0, 0);
	}
	if ((m = spa_buffer_find_meta(sb, SPA_META_Cursor)) && m->size >= sizeof(*mc)) {
		size_t need = sizeof(*mc) + sizeof(struct spa_meta_bitmap) +
			      CURSOR_BITMAP * CURSOR_BITMAP * 4;
		mc = m->data;
		mc->id = 1;
		mc->flags = 0;
		mc->position.x = (int32_t)((counter * 8) % (fmt->width - CURSOR_BITMAP));
		mc->position.y = (int32_t)((counter * 4) % (fmt->height - CURSOR_BITMAP));
		mc->hotspot.x = mc->hotspot.y = 1;
		mc->bitmap_offset = 0;
		/* A new bitmap every 16 buffers; otherwise "unchanged". */
		if (counter % 16 == 0 && m->size >= need) {
			struct spa_meta_bitmap *bm = SPA_PTROFF(mc, sizeof(*mc), struct spa_meta_bitmap);
			uint32_t *px = SPA_PTROFF(bm, sizeof(*bm), uint32_t);
			uint32_t color = 0xff000000u | (counter * 0x10101u & 0xffffffu);

			mc->bitmap_offset = sizeof(*mc);
			/* 0xAARRGGBB words are B,G,R,A bytes in memory: SPA's BGRA
			 * (SPA names byte order; ARGB would be A,R,G,B bytes). */
			bm->format = SPA_VIDEO_FORMAT_BGRA;
			bm->size.width = bm->size.height = CURSOR_BITMAP;
			bm->stride = CURSOR_BITMAP * 4;
			bm->offset = sizeof(*bm);
			for (uint32_t i = 0; i < CURSOR_BITMAP * CURSOR_BITMAP; i++)
				px[i] = (i % CURSOR_BITMAP) < (i / CURSOR_BITMAP) ? color : 0;
		}
	}
}

void ts_fill_chunks(const struct ts_format *fmt, struct ts_buf *tb, struct spa_buffer *sb,
		    enum ts_frame_kind kind)
{
	for (uint32_t i = 0; i < fmt->n_datas && i < sb->n_datas; i++) {
		struct spa_chunk *c = sb->datas[i].chunk;
		/* One data for all planes (MemPtr): the chunk covers the frame. */
		uint32_t size = fmt->n_datas == 1 ? fmt->total_size : fmt->plane_sizes[i];

		c->offset = ts_buf_chunk_offset(tb, fmt, i);
		c->stride = (int32_t)fmt->strides[i];
		/* Cursor-only: no picture at all, the way Mutter and KWin send them. */
		c->size = kind == TS_KIND_CURSOR ? 0 : size;
		c->flags = kind == TS_KIND_CURSOR ? SPA_CHUNK_FLAG_CORRUPTED : 0;
	}
}
