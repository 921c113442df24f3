/* SPDX-License-Identifier: MIT */
/* capture/: buffer metadata → frames (cursor, damage, crop, header) and the
 * MemPtr copy pool (slots, read-only fds, orphaning). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <spa/buffer/buffer.h>
#include <spa/buffer/meta.h>
#include <spa/param/video/raw.h>

#include "capture/meta.h"
#include "capture/pool.h"

/* A fake spa_buffer with the metas the tests need. */
struct fake {
	struct spa_buffer b;
	struct spa_meta metas[4];
	struct spa_meta_header header;
	struct spa_meta_region crop;
	struct spa_meta_region damage[20];
	uint8_t cursor[sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + 8 * 8 * 4];
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->metas[0] = (struct spa_meta){ SPA_META_Header, sizeof(f->header), &f->header };
	f->metas[1] = (struct spa_meta){ SPA_META_VideoCrop, sizeof(f->crop), &f->crop };
	f->metas[2] = (struct spa_meta){ SPA_META_VideoDamage, sizeof(f->damage), f->damage };
	f->metas[3] = (struct spa_meta){ SPA_META_Cursor, sizeof(f->cursor), f->cursor };
	f->b.n_metas = 4;
	f->b.metas = f->metas;
}

/* A cursor at (x, y) with a w x h RGBA bitmap of one colour. */
static void fake_cursor(struct fake *f, int x, int y, uint32_t w, uint32_t h, uint32_t rgba)
{
	struct spa_meta_cursor *c = (void *)f->cursor;
	struct spa_meta_bitmap *bm = SPA_PTROFF(c, sizeof(*c), struct spa_meta_bitmap);

	c->id = 1;
	c->position.x = x;
	c->position.y = y;
	c->hotspot.x = 2;
	c->hotspot.y = 3;
	c->bitmap_offset = w ? sizeof(*c) : 0;
	if (!w)
		return;
	bm->format = SPA_VIDEO_FORMAT_RGBA;
	bm->size.width = w;
	bm->size.height = h;
	bm->stride = (int32_t)(w * 4);
	bm->offset = sizeof(*bm);
	for (uint32_t i = 0; i < w * h; i++)
		memcpy(SPA_PTROFF(bm, bm->offset + i * 4, void), &rgba, 4);
}

START_TEST(header_flags)
{
	struct fake f;
	uint64_t pts;

	fake_init(&f);
	f.header.pts = 1234;
	ck_assert(!lf_meta_header(&f.b, &pts));
	ck_assert_uint_eq(pts, 1234);
	f.header.flags = SPA_META_HEADER_FLAG_CORRUPTED;
	ck_assert(lf_meta_header(&f.b, &pts));
	f.header.pts = -1;
	f.header.flags = 0;
	ck_assert(!lf_meta_header(&f.b, &pts));
	ck_assert_uint_eq(pts, 0);
	f.b.n_metas = 0;
	ck_assert(!lf_meta_header(&f.b, &pts));
}
END_TEST

START_TEST(cursor_state)
{
	struct lf_meta_state m;
	struct lf_frame fr;
	struct fake f;

	ck_assert_int_eq(lf_meta_init(&m), 0);
	fake_init(&f);
	/* A Cursor meta that was never filled (id 0) is no cursor. */
	lf_meta_update_cursor(&m, &f.b);
	memset(&fr, 0, sizeof(fr));
	lf_meta_fill_frame(&m, &f.b, &fr);
	ck_assert(!(fr.flags & LF_FRAME_FLAG_CURSOR));
	/* RGBA red, opaque: ARGB8888 in memory is B G R A. */
	fake_cursor(&f, 10, 20, 8, 8, 0xff0000ffu);
	lf_meta_update_cursor(&m, &f.b);
	memset(&fr, 0, sizeof(fr));
	lf_meta_fill_frame(&m, &f.b, &fr);
	ck_assert(fr.flags & LF_FRAME_FLAG_CURSOR);
	ck_assert(fr.flags & LF_FRAME_FLAG_CURSOR_BITMAP);
	ck_assert(fr.cursor.visible);
	ck_assert_int_eq(fr.cursor.x, 10);
	ck_assert_int_eq(fr.cursor.hotspot_y, 3);
	ck_assert_uint_eq(fr.cursor.width, 8);
	ck_assert_uint_eq(fr.cursor.bitmap[0], 0x00);
	ck_assert_uint_eq(fr.cursor.bitmap[2], 0xff);
	ck_assert_uint_eq(fr.cursor.bitmap[3], 0xff);

	/* A cursor-only buffer moves it; the next frame carries the move
	 * without a new bitmap. */
	fake_cursor(&f, 30, 40, 0, 0, 0);
	lf_meta_update_cursor(&m, &f.b);
	memset(&fr, 0, sizeof(fr));
	lf_meta_fill_frame(&m, &f.b, &fr);
	ck_assert_int_eq(fr.cursor.x, 30);
	ck_assert(!(fr.flags & LF_FRAME_FLAG_CURSOR_BITMAP));
	ck_assert(fr.cursor.visible);
	ck_assert_ptr_nonnull(fr.cursor.bitmap);

	/* An empty bitmap hides it. */
	{
		struct spa_meta_cursor *c = (void *)f.cursor;
		struct spa_meta_bitmap *bm = SPA_PTROFF(c, sizeof(*c), struct spa_meta_bitmap);
		c->bitmap_offset = sizeof(*c);
		bm->format = SPA_VIDEO_FORMAT_RGBA;
		bm->size.width = bm->size.height = 0;
		bm->offset = 0;
	}
	lf_meta_update_cursor(&m, &f.b);
	memset(&fr, 0, sizeof(fr));
	lf_meta_fill_frame(&m, &f.b, &fr);
	ck_assert(!fr.cursor.visible);
	ck_assert_ptr_null(fr.cursor.bitmap);

	/* Bad bitmaps (too big, bad offset) are ignored, not read. */
	fake_cursor(&f, 1, 1, 8, 8, 0x12345678u);
	((struct spa_meta_bitmap *)(f.cursor + sizeof(struct spa_meta_cursor)))->size.height = 4000;
	lf_meta_update_cursor(&m, &f.b);
	memset(&fr, 0, sizeof(fr));
	lf_meta_fill_frame(&m, &f.b, &fr);
	ck_assert(!(fr.flags & LF_FRAME_FLAG_CURSOR_BITMAP));
	((struct spa_meta_cursor *)f.cursor)->bitmap_offset = 100000;
	lf_meta_update_cursor(&m, &f.b);

	/* id 0: no new cursor data. */
	((struct spa_meta_cursor *)f.cursor)->id = 0;
	((struct spa_meta_cursor *)f.cursor)->position.x = 999;
	lf_meta_update_cursor(&m, &f.b);
	memset(&fr, 0, sizeof(fr));
	lf_meta_fill_frame(&m, &f.b, &fr);
	ck_assert_int_eq(fr.cursor.x, 1);
	lf_meta_clear(&m);
}
END_TEST

START_TEST(convert_rows)
{
	uint8_t src[4] = { 1, 2, 3, 4 }, dst[4];

	ck_assert(lf_meta_convert_row(SPA_VIDEO_FORMAT_BGRA, src, dst, 1));
	ck_assert_mem_eq(dst, ((uint8_t[]){ 1, 2, 3, 4 }), 4);
	ck_assert(lf_meta_convert_row(SPA_VIDEO_FORMAT_RGBA, src, dst, 1));
	ck_assert_mem_eq(dst, ((uint8_t[]){ 3, 2, 1, 4 }), 4);
	ck_assert(lf_meta_convert_row(SPA_VIDEO_FORMAT_ARGB, src, dst, 1));
	ck_assert_mem_eq(dst, ((uint8_t[]){ 4, 3, 2, 1 }), 4);
	ck_assert(lf_meta_convert_row(SPA_VIDEO_FORMAT_ABGR, src, dst, 1));
	ck_assert_mem_eq(dst, ((uint8_t[]){ 2, 3, 4, 1 }), 4);
	ck_assert(lf_meta_convert_row(SPA_VIDEO_FORMAT_BGRx, src, dst, 1));
	ck_assert_mem_eq(dst, ((uint8_t[]){ 1, 2, 3, 0xff }), 4);
	ck_assert(!lf_meta_convert_row(SPA_VIDEO_FORMAT_NV12, src, dst, 1));
}
END_TEST

START_TEST(damage_and_crop)
{
	struct lf_meta_state m;
	struct lf_frame fr;
	struct fake f;

	ck_assert_int_eq(lf_meta_init(&m), 0);
	fake_init(&f);
	f.crop.region = (struct spa_region){ { 5, 6 }, { 100, 50 } };
	f.damage[0].region = (struct spa_region){ { 0, 0 }, { 10, 10 } };
	f.damage[1].region = (struct spa_region){ { 20, 30 }, { 5, 5 } };
	memset(&fr, 0, sizeof(fr));
	lf_meta_fill_frame(&m, &f.b, &fr);
	ck_assert(fr.flags & LF_FRAME_FLAG_CROP);
	ck_assert_int_eq(fr.crop.x, 5);
	ck_assert_uint_eq(fr.crop.width, 100);
	ck_assert(fr.flags & LF_FRAME_FLAG_DAMAGE);
	ck_assert_uint_eq(fr.n_damage, 2);
	ck_assert_uint_eq(fr.damage[1].height, 5);
	ck_assert(!(fr.flags & LF_FRAME_FLAG_CURSOR)); /* no valid cursor ever seen */

	/* More rectangles than a frame holds: their bounding box. */
	for (int i = 0; i < 20; i++)
		f.damage[i].region = (struct spa_region){ { i * 10, 7 }, { 10, 1 + i } };
	memset(&fr, 0, sizeof(fr));
	lf_meta_fill_frame(&m, &f.b, &fr);
	ck_assert_uint_eq(fr.n_damage, 1);
	ck_assert_int_eq(fr.damage[0].x, 0);
	ck_assert_int_eq(fr.damage[0].y, 7);
	ck_assert_uint_eq(fr.damage[0].width, 200);
	ck_assert_uint_eq(fr.damage[0].height, 20);
	lf_meta_clear(&m);
}
END_TEST

START_TEST(pool_slots)
{
	struct lf_pool p;
	struct lf_buffer *a, *b, *c;
	uint8_t *ma, *mb;
	struct lf_frame *fa;
	void *w;

	lf_pool_init(&p);
	ck_assert_int_eq(lf_pool_get(&p, &a, &ma), -EINVAL); /* not sized yet */
	ck_assert_int_eq(lf_pool_reset(&p, 8192, 3, 2, 1), 0);
	ck_assert_uint_eq(p.n_slots, 1);
	ck_assert_int_eq(lf_pool_get(&p, &a, &ma), 0);
	ck_assert_uint_eq(a->generation, 3);
	ck_assert_uint_eq(a->type, LF_BUFFER_MEMFD);
	memset(ma, 0xab, 8192);
	fa = lf_frame_new(a);
	/* Held: the next get gives another slot, then the pool is full. */
	ck_assert_int_eq(lf_pool_get(&p, &b, &mb), 0);
	ck_assert_ptr_ne(a, b);
	lf_buffer_ref(b);
	ck_assert_int_eq(lf_pool_get(&p, &c, &mb), -EBUSY);
	lf_buffer_unref(b);
	ck_assert_int_eq(lf_pool_get(&p, &c, &mb), 0);
	ck_assert_ptr_eq(c, b);

	/* Clients get a read-only fd: it cannot be mapped writable, and the
	 * size is sealed. */
	ck_assert_int_eq(fcntl(a->planes[0].fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	w = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, a->planes[0].fd, 0);
	ck_assert_ptr_eq(w, MAP_FAILED);
	w = mmap(NULL, 8192, PROT_READ, MAP_SHARED, a->planes[0].fd, 0);
	ck_assert_ptr_ne(w, MAP_FAILED);
	ck_assert_uint_eq(((uint8_t *)w)[100], 0xab);
	munmap(w, 8192);
	ck_assert_int_lt(ftruncate(a->planes[0].fd, 100), 0);

	/* Reset while a frame holds slot a: a is orphaned, stays readable,
	 * and is freed by the last unref (ASan/valgrind check the rest). */
	ck_assert_int_eq(lf_pool_reset(&p, 4096, 4, 2, 0), 0);
	ck_assert_uint_eq(p.n_slots, 0);
	ck_assert_int_ge(fcntl(fa->buf->planes[0].fd, F_GETFD), 0);
	lf_frame_free(fa);
	ck_assert_int_eq(lf_pool_get(&p, &a, &ma), 0);
	ck_assert_uint_eq(a->generation, 4);
	lf_pool_set_generation(&p, 5);
	ck_assert_uint_eq(a->generation, 5);
	lf_pool_destroy(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("capture-meta");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, header_flags);
	tcase_add_test(tc, cursor_state);
	tcase_add_test(tc, convert_rows);
	tcase_add_test(tc, damage_and_crop);
	tcase_add_test(tc, pool_slots);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
