/* SPDX-License-Identifier: MIT */
#include "capture/meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <spa/buffer/meta.h>
#include <spa/param/video/raw.h>

#define BITMAP_BYTES (LF_CURSOR_MAX * LF_CURSOR_MAX * 4)

int lf_meta_init(struct lf_meta_state *m)
{
	memset(m, 0, sizeof(*m));
	m->published = calloc(1, BITMAP_BYTES);
	m->pending = calloc(1, BITMAP_BYTES);
	if (!m->published || !m->pending) {
		lf_meta_clear(m);
		return -ENOMEM;
	}
	return 0;
}

void lf_meta_clear(struct lf_meta_state *m)
{
	free(m->published);
	free(m->pending);
	m->published = m->pending = NULL;
}

void lf_meta_reset(struct lf_meta_state *m)
{
	memset(&m->cursor, 0, sizeof(m->cursor));
	m->pending_changed = false;
	m->pending_w = m->pending_h = 0;
}

bool lf_meta_header(struct spa_buffer *b, uint64_t *pts_ns)
{
	struct spa_meta_header *h = spa_buffer_find_meta_data(b, SPA_META_Header, sizeof(*h));

	*pts_ns = 0;
	if (!h)
		return false;
	if (h->pts > 0)
		*pts_ns = (uint64_t)h->pts;
	return (h->flags & SPA_META_HEADER_FLAG_CORRUPTED) != 0;
}

bool lf_meta_convert_row(uint32_t spa_format, const uint8_t *s, uint8_t *d, uint32_t width)
{
	/* ARGB8888 (DRM) is B, G, R, A in memory. */
	for (uint32_t x = 0; x < width; x++, s += 4, d += 4) {
		switch (spa_format) {
		case SPA_VIDEO_FORMAT_BGRA: d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3]; break;
		case SPA_VIDEO_FORMAT_RGBA: d[0] = s[2]; d[1] = s[1]; d[2] = s[0]; d[3] = s[3]; break;
		case SPA_VIDEO_FORMAT_ARGB: d[0] = s[3]; d[1] = s[2]; d[2] = s[1]; d[3] = s[0]; break;
		case SPA_VIDEO_FORMAT_ABGR: d[0] = s[1]; d[1] = s[2]; d[2] = s[3]; d[3] = s[0]; break;
		case SPA_VIDEO_FORMAT_BGRx: d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = 0xff; break;
		case SPA_VIDEO_FORMAT_RGBx: d[0] = s[2]; d[1] = s[1]; d[2] = s[0]; d[3] = 0xff; break;
		default: return false;
		}
	}
	return true;
}

static void update_bitmap(struct lf_meta_state *m, struct spa_meta *meta,
			  struct spa_meta_cursor *c)
{
	struct spa_meta_bitmap *bm;
	uint64_t end;
	uint32_t w, h;
	int32_t stride;

	if (c->bitmap_offset < sizeof(*c) ||
	    (uint64_t)c->bitmap_offset + sizeof(*bm) > meta->size)
		return;
	bm = SPA_PTROFF(c, c->bitmap_offset, struct spa_meta_bitmap);
	if (bm->format == 0)
		return; /* no new bitmap information */
	w = bm->size.width;
	h = bm->size.height;
	if (bm->offset == 0 || w == 0 || h == 0) {
		/* No image: the cursor is invisible. */
		m->cursor.visible = false;
		m->pending_w = m->pending_h = 0;
		m->pending_changed = true;
		return;
	}
	stride = bm->stride ? bm->stride : (int32_t)(w * 4);
	if (w > LF_CURSOR_MAX || h > LF_CURSOR_MAX || stride < (int32_t)(w * 4) ||
	    bm->offset < sizeof(*bm))
		return;
	end = (uint64_t)c->bitmap_offset + bm->offset + (uint64_t)stride * (h - 1) + w * 4;
	if (end > meta->size)
		return;
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *src = SPA_PTROFF(bm, bm->offset + (uint64_t)stride * y, uint8_t);
		if (!lf_meta_convert_row(bm->format, src, m->pending + (size_t)y * w * 4, w))
			return;
	}
	m->pending_w = w;
	m->pending_h = h;
	m->pending_changed = true;
	m->cursor.hotspot_x = c->hotspot.x;
	m->cursor.hotspot_y = c->hotspot.y;
	m->cursor.visible = true;
}

void lf_meta_update_cursor(struct lf_meta_state *m, struct spa_buffer *b)
{
	struct spa_meta *meta = spa_buffer_find_meta(b, SPA_META_Cursor);
	struct spa_meta_cursor *c;

	if (!meta || meta->size < sizeof(*c) || !meta->data)
		return;
	c = meta->data;
	/* id 0: no new cursor data. The meta exists whenever we asked for
	 * it, so only real data makes the cursor "present". */
	if (!spa_meta_cursor_is_valid(c))
		return;
	m->cursor.present = true;
	m->cursor.x = c->position.x;
	m->cursor.y = c->position.y;
	if (c->bitmap_offset)
		update_bitmap(m, meta, c);
	else if (m->cursor.width == 0 && m->pending_w == 0)
		m->cursor.visible = true; /* position only, no bitmap known yet */
}

static void fill_damage(struct spa_buffer *b, struct lf_frame *f)
{
	struct spa_meta *meta = spa_buffer_find_meta(b, SPA_META_VideoDamage);
	struct spa_meta_region *r;
	int64_t x0 = INT64_MAX, y0 = INT64_MAX, x1 = INT64_MIN, y1 = INT64_MIN;
	uint32_t n = 0;

	if (!meta || !meta->data)
		return;
	spa_meta_for_each(r, meta) {
		if (!spa_meta_region_is_valid(r))
			break;
		if (n < LF_MAX_DAMAGE) {
			f->damage[n].x = r->region.position.x;
			f->damage[n].y = r->region.position.y;
			f->damage[n].width = r->region.size.width;
			f->damage[n].height = r->region.size.height;
		}
		x0 = SPA_MIN(x0, (int64_t)r->region.position.x);
		y0 = SPA_MIN(y0, (int64_t)r->region.position.y);
		x1 = SPA_MAX(x1, (int64_t)r->region.position.x + r->region.size.width);
		y1 = SPA_MAX(y1, (int64_t)r->region.position.y + r->region.size.height);
		n++;
	}
	if (n == 0)
		return;
	if (n > LF_MAX_DAMAGE) {
		/* Too many rectangles: their bounding box is still correct. */
		n = 1;
		f->damage[0].x = (int32_t)x0;
		f->damage[0].y = (int32_t)y0;
		f->damage[0].width = (uint32_t)(x1 - x0);
		f->damage[0].height = (uint32_t)(y1 - y0);
	}
	f->n_damage = n;
	f->flags |= LF_FRAME_FLAG_DAMAGE;
}

void lf_meta_fill_frame(struct lf_meta_state *m, struct spa_buffer *b, struct lf_frame *f)
{
	struct spa_meta_region *crop = spa_buffer_find_meta_data(b, SPA_META_VideoCrop,
								 sizeof(*crop));

	if (crop && spa_meta_region_is_valid(crop)) {
		f->crop.x = crop->region.position.x;
		f->crop.y = crop->region.position.y;
		f->crop.width = crop->region.size.width;
		f->crop.height = crop->region.size.height;
		f->flags |= LF_FRAME_FLAG_CROP;
	}
	fill_damage(b, f);
	if (m->pending_changed) {
		/* Publish the staged bitmap; the previous frame's bitmap stays
		 * valid until this frame is handed out (frame.h contract). */
		uint8_t *t = m->published;
		m->published = m->pending;
		m->pending = t;
		m->cursor.width = m->pending_w;
		m->cursor.height = m->pending_h;
		m->cursor.bitmap = m->cursor.width ? m->published : NULL;
		m->cursor.bitmap_changed = true;
		m->pending_changed = false;
	} else {
		m->cursor.bitmap_changed = false;
	}
	if (!m->cursor.present)
		return;
	f->cursor = m->cursor;
	f->flags |= LF_FRAME_FLAG_CURSOR;
	if (f->cursor.bitmap_changed)
		f->flags |= LF_FRAME_FLAG_CURSOR_BITMAP;
}
