/* SPDX-License-Identifier: MIT */
/* capture/buffers.c: lf_buffer wrappers of pw_buffers — ids, generations,
 * plane layout from chunks, and orphaning when PipeWire removes a buffer
 * that a frame still holds. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <spa/buffer/buffer.h>
#include <spa/param/video/raw.h>

#include "capture/capture-int.h"

/* A fake pw_buffer with n_datas memfd-backed datas. */
struct fake {
	struct pw_buffer pwb;
	struct spa_buffer sb;
	struct spa_data datas[2];
	struct spa_chunk chunks[2];
};

static void fake_init(struct fake *f, uint32_t n_datas, uint32_t type)
{
	memset(f, 0, sizeof(*f));
	f->pwb.buffer = &f->sb;
	f->sb.n_datas = n_datas;
	f->sb.datas = f->datas;
	for (uint32_t i = 0; i < n_datas; i++) {
		f->datas[i].type = type;
		f->datas[i].fd = memfd_create("t", MFD_CLOEXEC);
		ck_assert_int_ge(f->datas[i].fd, 0);
		ck_assert_int_eq(ftruncate(f->datas[i].fd, 1 << 20), 0);
		f->datas[i].mapoffset = 4096;
		f->datas[i].maxsize = 1 << 19;
		f->datas[i].chunk = &f->chunks[i];
	}
}

static void fake_close(struct fake *f)
{
	for (uint32_t i = 0; i < f->sb.n_datas; i++)
		if (f->datas[i].fd >= 0)
			close(f->datas[i].fd);
}

static struct lf_capture *cap_new(uint32_t spa_format, uint32_t drm, uint32_t planes)
{
	struct lf_capture *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	spa_list_init(&c->buffers);
	c->set_stale = true;
	c->fmt.width = 64;
	c->fmt.height = 32;
	c->fmt.spa_format = spa_format;
	c->fmt.drm_format = drm;
	c->fmt.n_planes = planes;
	return c;
}

START_TEST(ids_and_generations)
{
	struct lf_capture *c = cap_new(SPA_VIDEO_FORMAT_BGRx, DRM_FORMAT_XRGB8888, 1);
	struct fake a, b, d;

	fake_init(&a, 1, SPA_DATA_MemFd);
	fake_init(&b, 1, SPA_DATA_MemFd);
	fake_init(&d, 1, SPA_DATA_DmaBuf);
	capture_buffer_add(c, &a.pwb);
	capture_buffer_add(c, &b.pwb);
	ck_assert_uint_eq(capture_buffer_get(&a.pwb)->generation, 1);
	ck_assert_uint_eq(capture_buffer_get(&b.pwb)->id, 1);
	ck_assert_uint_eq(capture_buffer_get(&a.pwb)->type, LF_BUFFER_MEMFD);
	/* A removal makes the next added buffer start a new set. */
	capture_buffer_remove(c, &b.pwb);
	ck_assert_ptr_null(capture_buffer_get(&b.pwb));
	capture_buffer_add(c, &d.pwb);
	ck_assert_uint_eq(capture_buffer_get(&d.pwb)->generation, 2);
	ck_assert_uint_eq(capture_buffer_get(&d.pwb)->id, 0);
	ck_assert_uint_eq(capture_buffer_get(&d.pwb)->type, LF_BUFFER_DMABUF);
	capture_buffers_orphan_all(c);
	ck_assert(spa_list_is_empty(&c->buffers));
	fake_close(&a);
	fake_close(&b);
	fake_close(&d);
	free(c);
}
END_TEST

START_TEST(planes_from_chunks)
{
	struct lf_capture *c = cap_new(SPA_VIDEO_FORMAT_NV12, DRM_FORMAT_NV12, 2);
	struct lf_buffer *lb;
	struct fake one, two;

	/* One data holding both planes, stride 0 (= packed). */
	fake_init(&one, 1, SPA_DATA_MemFd);
	one.chunks[0] = (struct spa_chunk){ .offset = 128, .size = 64 * 32 * 3 / 2, .stride = 0 };
	capture_buffer_add(c, &one.pwb);
	ck_assert(capture_buffer_update_planes(c, &one.pwb));
	lb = capture_buffer_get(&one.pwb);
	ck_assert_uint_eq(lb->n_planes, 2);
	ck_assert_int_eq(lb->planes[0].fd, one.datas[0].fd);
	ck_assert_uint_eq(lb->planes[0].offset, 4096 + 128);
	ck_assert_uint_eq(lb->planes[0].stride, 64);
	ck_assert_uint_eq(lb->planes[1].offset, 4096 + 128 + 64 * 32);
	ck_assert_uint_eq(lb->planes[1].size, 64 * 16);
	/* Too small a chunk for both planes: not a frame. */
	one.chunks[0].size = 64 * 32;
	ck_assert(!capture_buffer_update_planes(c, &one.pwb));

	/* One data per plane (dmabuf style), explicit strides. */
	fake_init(&two, 2, SPA_DATA_DmaBuf);
	two.chunks[0] = (struct spa_chunk){ .offset = 0, .size = 128 * 32, .stride = 128 };
	two.chunks[1] = (struct spa_chunk){ .offset = 8192, .size = 128 * 16, .stride = 128 };
	capture_buffer_add(c, &two.pwb);
	ck_assert(capture_buffer_update_planes(c, &two.pwb));
	lb = capture_buffer_get(&two.pwb);
	ck_assert_int_eq(lb->planes[1].fd, two.datas[1].fd);
	ck_assert_uint_eq(lb->planes[1].offset, 4096 + 8192);
	ck_assert_uint_eq(lb->planes[1].stride, 128);
	two.chunks[1].size = 0;
	ck_assert(!capture_buffer_update_planes(c, &two.pwb));

	capture_buffers_orphan_all(c);
	fake_close(&one);
	fake_close(&two);
	free(c);
}
END_TEST

START_TEST(orphan_keeps_fds)
{
	struct lf_capture *c = cap_new(SPA_VIDEO_FORMAT_NV12, DRM_FORMAT_NV12, 2);
	struct lf_frame *f;
	struct fake fk;
	int orig;
	void *m;

	fake_init(&fk, 1, SPA_DATA_DmaBuf);
	fk.chunks[0] = (struct spa_chunk){ .offset = 0, .size = 64 * 32 * 3 / 2, .stride = 64 };
	orig = fk.datas[0].fd;
	ck_assert_int_eq(pwrite(orig, "lastframe", 9, 4096), 9);
	capture_buffer_add(c, &fk.pwb);
	ck_assert(capture_buffer_update_planes(c, &fk.pwb));
	f = lf_frame_new(capture_buffer_get(&fk.pwb)); /* a client holds it */
	ck_assert_ptr_nonnull(f);

	/* PipeWire removes the buffer and closes its fd. */
	capture_buffer_remove(c, &fk.pwb);
	ck_assert_ptr_null(fk.pwb.user_data);
	close(orig);
	fk.datas[0].fd = -1;

	/* The holder's planes now use our duplicate: same memory, shared by
	 * both planes, still mappable. */
	ck_assert_int_ge(f->buf->planes[0].fd, 0);
	ck_assert_int_eq(f->buf->planes[0].fd, f->buf->planes[1].fd);
	m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, f->buf->planes[0].fd, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_mem_eq((uint8_t *)m + 4096, "lastframe", 9);
	munmap(m, 8192);
	/* The last unref frees it without touching PipeWire (no stream here:
	 * a queue_buffer call would crash); leaks show under valgrind/ASan. */
	lf_frame_free(f);
	ck_assert(spa_list_is_empty(&c->buffers));
	free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("capture-buffers");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, ids_and_generations);
	tcase_add_test(tc, planes_from_chunks);
	tcase_add_test(tc, orphan_keeps_fds);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
