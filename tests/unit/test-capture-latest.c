/* SPDX-License-Identifier: MIT */
/*
 * capture/stream.c, latest frame only: of the buffers one process event
 * dequeues, the newest valid one becomes the frame and every other one goes
 * back to the stream at once. The integration test (test-capture-burst) can
 * only show the newest frame arriving; whether PipeWire hands the daemon
 * several buffers in one go there depends on timing, so the choice itself is
 * checked here against a scripted stream.
 */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <spa/buffer/buffer.h>
#include <spa/buffer/meta.h>
#include <spa/param/video/raw.h>

#include "capture/capture-int.h"

#define W 64
#define H 32
#define STRIDE (W * 4)
#define MAX_Q 8

/* The scripted stream: these two replace libpipewire's for this binary. */
static struct pw_buffer *script[MAX_Q];
static int n_script, next_script;
static struct pw_buffer *given_back[2 * MAX_Q];
static int n_given_back;

struct pw_buffer *pw_stream_dequeue_buffer(struct pw_stream *stream)
{
	(void)stream;
	return next_script < n_script ? script[next_script++] : NULL;
}

int pw_stream_queue_buffer(struct pw_stream *stream, struct pw_buffer *b)
{
	(void)stream;
	ck_assert_int_lt(n_given_back, 2 * MAX_Q);
	given_back[n_given_back++] = b;
	return 0;
}

/* The return guard asks how many buffers wait in the stream's ring: none. */
int pw_stream_get_time_n(struct pw_stream *stream, struct pw_time *time, size_t size)
{
	(void)stream;
	memset(time, 0, size);
	return 0;
}

struct fake {
	struct pw_buffer pwb;
	struct spa_buffer sb;
	struct spa_data data;
	struct spa_chunk chunk;
	struct spa_meta meta;
	struct spa_meta_header hdr;
};

static struct lf_frame *delivered;
static int n_delivered;

static void on_frame(void *data, struct lf_frame *f)
{
	(void)data;
	lf_frame_free(delivered);
	delivered = f;
	n_delivered++;
}

static const struct lf_capture_events events = { .frame = on_frame };

static struct lf_capture *cap;
static struct fake fakes[MAX_Q];

static void setup(void)
{
	cap = calloc(1, sizeof(*cap));
	ck_assert_ptr_nonnull(cap);
	spa_list_init(&cap->buffers);
	cap->set_stale = true;
	cap->stream = (struct pw_stream *)&fakes; /* never dereferenced by the script */
	cap->events = &events;
	cap->target_id = SPA_ID_INVALID;
	cap->linked_source = SPA_ID_INVALID;
	cap->fmt.width = W;
	cap->fmt.height = H;
	cap->fmt.spa_format = SPA_VIDEO_FORMAT_BGRx;
	cap->fmt.drm_format = DRM_FORMAT_XRGB8888;
	cap->fmt.n_planes = 1;
	cap->have_format = true;
	for (int i = 0; i < MAX_Q; i++) {
		struct fake *f = &fakes[i];

		memset(f, 0, sizeof(*f));
		f->pwb.buffer = &f->sb;
		f->sb.n_datas = 1;
		f->sb.datas = &f->data;
		f->sb.n_metas = 1;
		f->sb.metas = &f->meta;
		f->meta = (struct spa_meta){ .type = SPA_META_Header, .size = sizeof(f->hdr),
					     .data = &f->hdr };
		f->hdr.seq = (uint64_t)i;
		f->data.type = SPA_DATA_MemFd;
		f->data.fd = memfd_create("latest", MFD_CLOEXEC);
		ck_assert_int_ge(f->data.fd, 0);
		ck_assert_int_eq(ftruncate(f->data.fd, STRIDE * H), 0);
		f->data.maxsize = STRIDE * H;
		f->data.chunk = &f->chunk;
		f->chunk = (struct spa_chunk){ .size = STRIDE * H, .stride = STRIDE };
		capture_buffer_add(cap, &f->pwb);
	}
	n_script = next_script = n_given_back = n_delivered = 0;
	delivered = NULL;
}

static void teardown(void)
{
	lf_frame_free(delivered);
	delivered = NULL;
	capture_buffers_orphan_all(cap);
	for (int i = 0; i < MAX_Q; i++)
		close(fakes[i].data.fd);
	free(cap);
}

/* These buffers come out of the next process event, in this order. */
static void queue_up(int n, const int *which)
{
	for (int i = 0; i < n; i++)
		script[n_script++] = &fakes[which[i]].pwb;
}

static void assert_delivered(int which)
{
	ck_assert_int_eq(n_delivered, 1);
	ck_assert_ptr_nonnull(delivered);
	ck_assert_ptr_eq(delivered->buf, capture_buffer_get(&fakes[which].pwb));
}

static void assert_given_back(int n, const int *which)
{
	ck_assert_int_eq(n_given_back, n);
	for (int i = 0; i < n; i++)
		ck_assert_ptr_eq(given_back[i], &fakes[which[i]].pwb);
}

START_TEST(newest_of_a_burst)
{
	queue_up(4, (int[]){ 0, 1, 2, 3 });
	capture_stream_process(cap);
	assert_delivered(3);
	/* The older ones go back before the frame is handed on. */
	assert_given_back(3, (int[]){ 0, 1, 2 });
	ck_assert_uint_eq(cap->stats.frames_in, 4);
	ck_assert_uint_eq(cap->stats.frames_dropped, 3);
	ck_assert_uint_eq(cap->stats.frames_out, 1);
	/* The frame holds its buffer until the next one replaces it. */
	queue_up(1, (int[]){ 4 });
	capture_stream_process(cap);
	ck_assert_int_eq(n_delivered, 2);
	assert_given_back(4, (int[]){ 0, 1, 2, 3 });
}
END_TEST

START_TEST(corrupted_newest_keeps_the_valid_one)
{
	fakes[2].hdr.flags = SPA_META_HEADER_FLAG_CORRUPTED;
	queue_up(3, (int[]){ 0, 1, 2 });
	capture_stream_process(cap);
	assert_delivered(1);
	assert_given_back(2, (int[]){ 0, 2 });
	ck_assert_uint_eq(cap->stats.frames_corrupted, 1);
	ck_assert_uint_eq(cap->stats.frames_dropped, 1);
}
END_TEST

START_TEST(cursor_only_is_never_a_frame)
{
	/* What compositors send when only the pointer moved. */
	fakes[0].chunk.size = 0;
	fakes[1].chunk.flags = SPA_CHUNK_FLAG_CORRUPTED;
	queue_up(2, (int[]){ 0, 1 });
	capture_stream_process(cap);
	ck_assert_int_eq(n_delivered, 0);
	assert_given_back(2, (int[]){ 0, 1 });
	ck_assert_uint_eq(cap->stats.frames_corrupted, 2);
	ck_assert_uint_eq(cap->stats.frames_out, 0);
}
END_TEST

START_TEST(chunk_past_the_buffer_is_refused)
{
	fakes[1].chunk.offset = STRIDE;
	queue_up(2, (int[]){ 0, 1 });
	capture_stream_process(cap);
	assert_delivered(0);
	assert_given_back(1, (int[]){ 1 });
}
END_TEST

START_TEST(no_format_no_frame)
{
	cap->have_format = false;
	queue_up(2, (int[]){ 0, 1 });
	capture_stream_process(cap);
	ck_assert_int_eq(n_delivered, 0);
	assert_given_back(2, (int[]){ 0, 1 });
}
END_TEST

START_TEST(empty_event_changes_nothing)
{
	capture_stream_process(cap);
	ck_assert_int_eq(n_delivered, 0);
	ck_assert_int_eq(n_given_back, 0);
	ck_assert_uint_eq(cap->stats.frames_in, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("capture-latest");
	TCase *tc = tcase_create("latest");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, newest_of_a_burst);
	tcase_add_test(tc, corrupted_newest_keeps_the_valid_one);
	tcase_add_test(tc, cursor_only_is_never_a_frame);
	tcase_add_test(tc, chunk_past_the_buffer_is_refused);
	tcase_add_test(tc, no_format_no_frame);
	tcase_add_test(tc, empty_event_changes_nothing);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
