/* SPDX-License-Identifier: MIT */
/*
 * fence/ waiter logic on a real pw_loop with fake sync_files: a plane's
 * "dmabuf" fd is an eventfd (or pipe end) and the fake export dups it, so
 * writing the eventfd "signals the fence". Kernel errors are injected through
 * the ops seam.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pipewire/pipewire.h>

#include "fence/fence-kernel.h"
#include "tests/unit/unit-util.h"

struct mock {
	int err;       /* export fails with -err when non-zero */
	int calls;
};

static int mock_export(void *data, int fd)
{
	struct mock *m = data;

	m->calls++;
	if (m->err)
		return -m->err;
	if (fd < 0)
		return -EBADF;
	int r = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return r < 0 ? -errno : r;
}

static const struct lf_fence_kernel_ops mock_ops = { .export_sync_file = mock_export };

#define MAX_GOT 16
struct sink {
	int n_ready, n_early;
	uint64_t seq[MAX_GOT];
	uint32_t flags[MAX_GOT];
	uint32_t n_fences[MAX_GOT];
	uint32_t early_fences, early_flags;
};

static void on_early(void *data, const struct lf_frame *f)
{
	struct sink *s = data;
	s->n_early++;
	s->early_fences = f->n_fences;
	s->early_flags = f->flags;
}

static void on_ready(void *data, struct lf_frame *f)
{
	struct sink *s = data;
	if (s->n_ready < MAX_GOT) {
		s->seq[s->n_ready] = f->seq;
		s->flags[s->n_ready] = f->flags;
		s->n_fences[s->n_ready] = f->n_fences;
	}
	s->n_ready++;
	lf_frame_free(f);
}

static const struct lf_fence_events events = { .early = on_early, .ready = on_ready };

static int released;
static void on_release(struct lf_buffer *b, void *data) { released++; }

static struct pw_loop *loop;
static struct lf_fence_waiter *w;
static struct sink sink;
static struct mock mock;
static int fds_before;

static void setup_opts(uint32_t timeout_ms, bool publish)
{
	struct lf_fence_options o = { .timeout_ms = timeout_ms, .publish_on_timeout = publish };

	pw_init(NULL, NULL);
	fds_before = tu_count_fds();
	loop = pw_loop_new(NULL);
	ck_assert_ptr_nonnull(loop);
	memset(&sink, 0, sizeof(sink));
	memset(&mock, 0, sizeof(mock));
	released = 0;
	ck_assert_int_eq(lf_fence_waiter_new(loop, &o, &events, &sink, &w), 0);
	lf_fence_waiter_set_kernel_ops(w, &mock_ops, &mock);
}

static void setup(void) { setup_opts(100, false); }

static void teardown(void)
{
	lf_fence_waiter_destroy(w);
	pw_loop_destroy(loop);
	ck_assert_int_eq(tu_count_fds(), fds_before);
}

static struct lf_buffer *buf_new(enum lf_buffer_type type, int fd0, int fd1)
{
	struct lf_buffer *b = calloc(1, sizeof(*b));

	b->type = type;
	b->n_planes = fd1 == -2 ? 1 : 2;
	b->planes[0].fd = fd0;
	b->planes[1].fd = fd1;
	b->release = on_release;
	return b;
}

static void submit(struct lf_buffer *b, uint64_t seq)
{
	struct lf_frame *f = lf_frame_new(b);
	f->seq = seq;
	lf_fence_waiter_submit(w, f);
}

/* Run the loop until cond() or ~2 s pass (a safety net, not a timing check). */
static void spin_until(bool (*cond)(void))
{
	pw_loop_enter(loop);
	for (int i = 0; i < 400 && !cond(); i++)
		pw_loop_iterate(loop, 5);
	pw_loop_leave(loop);
}

static void spin_a_bit(void)
{
	pw_loop_enter(loop);
	for (int i = 0; i < 5; i++)
		pw_loop_iterate(loop, 1);
	pw_loop_leave(loop);
}

static bool have_two(void) { return sink.n_ready >= 2; }
static bool have_one(void) { return sink.n_ready >= 1; }
static struct lf_fence_stats stats(void);
static bool have_timeout(void) { return stats().timeouts >= 1; }

static void signal_efd(int fd)
{
	uint64_t one = 1;
	ck_assert_int_eq(write(fd, &one, sizeof(one)), sizeof(one));
}

static struct lf_fence_stats stats(void)
{
	struct lf_fence_stats st;
	lf_fence_waiter_get_stats(w, &st);
	return st;
}

START_TEST(non_dmabuf_passes_through)
{
	struct lf_buffer *b = buf_new(LF_BUFFER_MEMFD, 5, -2);

	submit(b, 1);
	ck_assert_int_eq(sink.n_ready, 1);
	ck_assert_int_eq(mock.calls, 0);
	ck_assert_int_eq(released, 1);
	ck_assert_uint_eq(stats().waited + stats().already_signalled, 0);
	free(b);
}
END_TEST

START_TEST(enotty_disables_once_per_stream)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct lf_buffer *b = buf_new(LF_BUFFER_DMABUF, efd, -2);

	mock.err = _i == 0 ? ENOTTY : _i == 1 ? EINVAL : EOPNOTSUPP;
	submit(b, 1);
	submit(b, 2);
	submit(b, 3);
	ck_assert_int_eq(sink.n_ready, 3);
	ck_assert_int_eq(mock.calls, 1); /* not retried for every frame */
	ck_assert(stats().disabled);
	ck_assert_uint_eq(stats().errors, 0);
	/* A new stream tries again. */
	lf_fence_waiter_flush(w);
	ck_assert(!stats().disabled);
	mock.err = 0;
	signal_efd(efd);
	submit(b, 4);
	ck_assert_int_eq(mock.calls, 2);
	ck_assert_int_eq(sink.n_ready, 4);
	ck_assert_uint_eq(stats().already_signalled, 1);
	ck_assert_int_eq(released, 4);
	close(efd);
	free(b);
}
END_TEST

START_TEST(ebadf_drops_and_counts)
{
	struct lf_buffer *b = buf_new(LF_BUFFER_DMABUF, -1, -2);

	submit(b, 1);
	ck_assert_int_eq(sink.n_ready, 0);
	ck_assert_uint_eq(stats().errors, 1);
	ck_assert(!stats().disabled);
	ck_assert_int_eq(released, 1);
	free(b);
}
END_TEST

START_TEST(already_signalled_is_immediate)
{
	int efd = eventfd(1, EFD_CLOEXEC);
	struct lf_buffer *b = buf_new(LF_BUFFER_DMABUF, efd, -2);

	submit(b, 7);
	ck_assert_int_eq(sink.n_ready, 1);   /* no loop iteration needed */
	ck_assert_int_eq(sink.n_early, 0);
	ck_assert_uint_eq(sink.seq[0], 7);
	ck_assert_uint_eq(sink.n_fences[0], 0);
	ck_assert_uint_eq(sink.flags[0] & LF_FRAME_FLAG_FENCE_PENDING, 0);
	ck_assert_uint_eq(stats().already_signalled, 1);
	ck_assert_uint_eq(stats().waited, 0);
	close(efd);
	free(b);
}
END_TEST

START_TEST(pending_waits_then_ready)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct lf_buffer *b = buf_new(LF_BUFFER_DMABUF, efd, -2);

	submit(b, 1);
	ck_assert_int_eq(sink.n_early, 1);
	ck_assert_uint_eq(sink.early_fences, 1);
	ck_assert(sink.early_flags & LF_FRAME_FLAG_FENCE_PENDING);
	spin_a_bit();
	ck_assert_int_eq(sink.n_ready, 0);
	ck_assert_int_eq(released, 0);
	signal_efd(efd);
	spin_until(have_one);
	ck_assert_int_eq(sink.n_ready, 1);
	ck_assert_uint_eq(sink.flags[0] & LF_FRAME_FLAG_FENCE_PENDING, 0);
	ck_assert_uint_eq(sink.n_fences[0], 0);
	ck_assert_uint_eq(stats().waited, 1);
	ck_assert_uint_gt(stats().wait_p50_ns, 0);
	ck_assert_int_eq(released, 1);
	close(efd);
	free(b);
}
END_TEST

START_TEST(newer_ready_supersedes_older)
{
	int a = eventfd(0, EFD_CLOEXEC), c = eventfd(0, EFD_CLOEXEC);
	struct lf_buffer *ba = buf_new(LF_BUFFER_DMABUF, a, -2);
	struct lf_buffer *bc = buf_new(LF_BUFFER_DMABUF, c, -2);

	submit(ba, 1);
	submit(bc, 2);
	signal_efd(c);
	spin_until(have_one);
	ck_assert_int_eq(sink.n_ready, 1);
	ck_assert_uint_eq(sink.seq[0], 2);
	ck_assert_uint_eq(stats().superseded, 1);
	ck_assert_int_eq(released, 2); /* the old one's ref went at once */
	/* The old fence signalling later changes nothing. */
	signal_efd(a);
	spin_a_bit();
	ck_assert_int_eq(sink.n_ready, 1);
	close(a); close(c);
	free(ba); free(bc);
}
END_TEST

START_TEST(in_order_when_older_signals_first)
{
	int a = eventfd(0, EFD_CLOEXEC), c = eventfd(0, EFD_CLOEXEC);
	struct lf_buffer *ba = buf_new(LF_BUFFER_DMABUF, a, -2);
	struct lf_buffer *bc = buf_new(LF_BUFFER_DMABUF, c, -2);

	submit(ba, 1);
	submit(bc, 2);
	signal_efd(a);
	spin_until(have_one);
	signal_efd(c);
	spin_until(have_two);
	ck_assert_int_eq(sink.n_ready, 2);
	ck_assert_uint_eq(sink.seq[0], 1);
	ck_assert_uint_eq(sink.seq[1], 2);
	ck_assert_uint_eq(stats().superseded, 0);
	ck_assert_uint_eq(stats().waited, 2);
	close(a); close(c);
	free(ba); free(bc);
}
END_TEST

START_TEST(already_signalled_supersedes_pending)
{
	int a = eventfd(0, EFD_CLOEXEC), c = eventfd(1, EFD_CLOEXEC);
	struct lf_buffer *ba = buf_new(LF_BUFFER_DMABUF, a, -2);
	struct lf_buffer *bc = buf_new(LF_BUFFER_DMABUF, c, -2);
	struct lf_buffer *bm = buf_new(LF_BUFFER_MEMFD, 3, -2);

	submit(ba, 1);
	submit(bc, 2);
	ck_assert_int_eq(sink.n_ready, 1);
	ck_assert_uint_eq(sink.seq[0], 2);
	ck_assert_uint_eq(stats().superseded, 1);
	/* A pass-through frame also never overtakes a pending one. */
	submit(ba, 3);
	submit(bm, 4);
	ck_assert_int_eq(sink.n_ready, 2);
	ck_assert_uint_eq(sink.seq[1], 4);
	ck_assert_uint_eq(stats().superseded, 2);
	ck_assert_int_eq(released, 4);
	close(a); close(c);
	free(ba); free(bc); free(bm);
}
END_TEST

START_TEST(timeout_drops_and_stream_goes_on)
{
	int a = eventfd(0, EFD_CLOEXEC), c = eventfd(0, EFD_CLOEXEC);
	struct lf_buffer *ba = buf_new(LF_BUFFER_DMABUF, a, -2);
	struct lf_buffer *bc = buf_new(LF_BUFFER_DMABUF, c, -2);

	submit(ba, 1);
	spin_until(have_timeout);
	ck_assert_int_eq(sink.n_ready, 0);
	ck_assert_uint_eq(stats().timeouts, 1);
	ck_assert_int_eq(released, 1);
	submit(bc, 2);
	signal_efd(c);
	spin_until(have_one);
	ck_assert_int_eq(sink.n_ready, 1);
	ck_assert_uint_eq(sink.seq[0], 2);
	close(a); close(c);
	free(ba); free(bc);
}
END_TEST

START_TEST(timeout_publishes_when_asked)
{
	int a = eventfd(0, EFD_CLOEXEC);
	struct lf_buffer *ba = buf_new(LF_BUFFER_DMABUF, a, -2);

	lf_fence_waiter_destroy(w);
	{
		struct lf_fence_options o = { .timeout_ms = 20, .publish_on_timeout = true };
		ck_assert_int_eq(lf_fence_waiter_new(loop, &o, &events, &sink, &w), 0);
		lf_fence_waiter_set_kernel_ops(w, &mock_ops, &mock);
	}
	submit(ba, 1);
	spin_until(have_one);
	ck_assert_int_eq(sink.n_ready, 1);
	ck_assert(sink.flags[0] & LF_FRAME_FLAG_FENCE_TIMEOUT);
	ck_assert_uint_eq(sink.flags[0] & LF_FRAME_FLAG_FENCE_PENDING, 0);
	ck_assert_uint_eq(stats().timeouts, 1);
	close(a);
	free(ba);
}
END_TEST

START_TEST(erroring_sync_file_at_submit)
{
	int p[2];
	struct lf_buffer *b;

	/* A pipe's write end whose reader is gone polls POLLERR. */
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	b = buf_new(LF_BUFFER_DMABUF, p[1], -2);
	submit(b, 1);
	ck_assert_int_eq(sink.n_ready, 0);
	ck_assert_uint_eq(stats().errors, 1);
	ck_assert_int_eq(released, 1);
	close(p[1]);
	free(b);
}
END_TEST

START_TEST(erroring_sync_file_while_waiting)
{
	int p[2], c = eventfd(0, EFD_CLOEXEC);
	struct lf_buffer *b, *bc = buf_new(LF_BUFFER_DMABUF, c, -2);

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	b = buf_new(LF_BUFFER_DMABUF, p[0], -2);
	submit(b, 1);
	ck_assert_int_eq(sink.n_early, 1);
	/* Writer gone without data: the "sync_file" hangs up. */
	close(p[1]);
	spin_a_bit();
	ck_assert_uint_eq(stats().errors, 1);
	ck_assert_int_eq(sink.n_ready, 0);
	ck_assert_int_eq(released, 1);
	signal_efd(c);
	submit(bc, 2);
	ck_assert_int_eq(sink.n_ready, 1);
	close(p[0]); close(c);
	free(b); free(bc);
}
END_TEST

START_TEST(planes_need_all_fences)
{
	int a = eventfd(0, EFD_CLOEXEC), c = eventfd(0, EFD_CLOEXEC);
	struct lf_buffer *b2 = buf_new(LF_BUFFER_DMABUF, a, c);
	struct lf_buffer *same = buf_new(LF_BUFFER_DMABUF, a, a);

	submit(b2, 1);
	ck_assert_uint_eq(sink.early_fences, 2);
	signal_efd(a);
	spin_a_bit();
	ck_assert_int_eq(sink.n_ready, 0);
	signal_efd(c);
	spin_until(have_one);
	ck_assert_int_eq(sink.n_ready, 1);
	/* Planes sharing one dmabuf get one sync_file. */
	mock.calls = 0;
	submit(same, 2);
	ck_assert_int_eq(mock.calls, 1);
	ck_assert_int_eq(sink.n_ready, 2);
	close(a); close(c);
	free(b2); free(same);
}
END_TEST

START_TEST(flush_drops_pending)
{
	int a = eventfd(0, EFD_CLOEXEC);
	struct lf_buffer *b = buf_new(LF_BUFFER_DMABUF, a, -2);

	submit(b, 1);
	submit(b, 2);
	ck_assert_int_eq(released, 0);
	lf_fence_waiter_flush(w);
	ck_assert_int_eq(released, 1);
	signal_efd(a);
	spin_a_bit();
	ck_assert_int_eq(sink.n_ready, 0);
	close(a);
	free(b);
}
END_TEST

START_TEST(many_pending_stay_bounded)
{
	int a = eventfd(0, EFD_CLOEXEC);
	struct lf_buffer *b = buf_new(LF_BUFFER_DMABUF, a, -2);

	for (int i = 1; i <= 50; i++)
		submit(b, i);
	ck_assert_uint_ge(stats().superseded, 40);
	signal_efd(a);
	spin_until(have_one);
	/* All signal together: only the newest goes out. */
	ck_assert_int_eq(sink.n_ready, 1);
	ck_assert_uint_eq(sink.seq[0], 50);
	ck_assert_uint_eq(stats().superseded, 49);
	ck_assert_int_eq(released, 1);
	close(a);
	free(b);
}
END_TEST

START_TEST(percentiles)
{
	int a = eventfd(1, EFD_CLOEXEC);
	struct lf_buffer *b = buf_new(LF_BUFFER_DMABUF, a, -2);

	for (int i = 1; i <= 300; i++)
		submit(b, i);
	ck_assert_uint_eq(stats().already_signalled, 300);
	ck_assert_uint_le(stats().wait_p50_ns, stats().wait_p99_ns);
	close(a);
	free(b);
}
END_TEST

START_TEST(no_wait_hands_on_at_once)
{
	int a = eventfd(0, EFD_CLOEXEC);
	struct lf_buffer *b = buf_new(LF_BUFFER_DMABUF, a, -2);
	struct lf_fence_options o = { .no_wait = true };

	lf_fence_waiter_destroy(w);
	ck_assert_int_eq(lf_fence_waiter_new(loop, &o, &events, &sink, &w), 0);
	lf_fence_waiter_set_kernel_ops(w, &mock_ops, &mock);
	submit(b, 1);
	ck_assert_int_eq(sink.n_ready, 1);
	ck_assert_int_eq(mock.calls, 0);
	close(a);
	free(b);
}
END_TEST

/* The real ioctl on a memfd (what the host's test producer labels as a
 * dmabuf): waiting goes off for the stream, frames pass. */
START_TEST(real_ioctl_memfd_disables)
{
	int m = memfd_create("fake-dmabuf", MFD_CLOEXEC);
	struct lf_buffer *b = buf_new(LF_BUFFER_DMABUF, m, -2);

	lf_fence_waiter_set_kernel_ops(w, NULL, NULL);
	submit(b, 1);
	submit(b, 2);
	ck_assert_int_eq(sink.n_ready, 2);
	ck_assert(stats().disabled);
	ck_assert_uint_eq(stats().errors, 0);
	close(m);
	free(b);
}
END_TEST

START_TEST(real_ioctl_bad_fd)
{
	int fd = eventfd(0, EFD_CLOEXEC);
	struct lf_buffer *b = buf_new(LF_BUFFER_DMABUF, fd, -2);

	close(fd); /* a stale fd number: EBADF from the kernel */
	ck_assert_int_eq(lf_fence_export_sync_file(-1), -EBADF);
	lf_fence_waiter_set_kernel_ops(w, NULL, NULL);
	submit(b, 1);
	ck_assert_int_eq(sink.n_ready, 0);
	ck_assert_uint_eq(stats().errors, 1);
	ck_assert(!stats().disabled);
	ck_assert_int_eq(released, 1);
	free(b);
}
END_TEST

START_TEST(malformed_frame_is_an_error_not_unsupported)
{
	struct lf_buffer *b = buf_new(LF_BUFFER_DMABUF, 3, -2);

	b->n_planes = 0;
	submit(b, 1);
	b->n_planes = LF_MAX_PLANES + 1;
	submit(b, 2);
	ck_assert_int_eq(sink.n_ready, 0);
	ck_assert_uint_eq(stats().errors, 2);
	ck_assert(!stats().disabled);
	ck_assert_int_eq(mock.calls, 0);
	ck_assert_int_eq(released, 2);
	free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fence-waiter");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, non_dmabuf_passes_through);
	tcase_add_loop_test(tc, enotty_disables_once_per_stream, 0, 3);
	tcase_add_test(tc, ebadf_drops_and_counts);
	tcase_add_test(tc, already_signalled_is_immediate);
	tcase_add_test(tc, pending_waits_then_ready);
	tcase_add_test(tc, newer_ready_supersedes_older);
	tcase_add_test(tc, in_order_when_older_signals_first);
	tcase_add_test(tc, already_signalled_supersedes_pending);
	tcase_add_test(tc, timeout_drops_and_stream_goes_on);
	tcase_add_test(tc, timeout_publishes_when_asked);
	tcase_add_test(tc, erroring_sync_file_at_submit);
	tcase_add_test(tc, erroring_sync_file_while_waiting);
	tcase_add_test(tc, planes_need_all_fences);
	tcase_add_test(tc, flush_drops_pending);
	tcase_add_test(tc, many_pending_stay_bounded);
	tcase_add_test(tc, percentiles);
	tcase_add_test(tc, no_wait_hands_on_at_once);
	tcase_add_test(tc, real_ioctl_memfd_disables);
	tcase_add_test(tc, real_ioctl_bad_fd);
	tcase_add_test(tc, malformed_frame_is_an_error_not_unsupported);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
