/* SPDX-License-Identifier: MIT */
/*
 * The return guard (capture/return-guard.h): a buffer given back keeps one
 * busy mark of ours while it waits in pw_stream's `queued` ring, so the
 * producer (which reads the same count) cannot reuse it while PipeWire
 * < 1.4.8 would refuse it; the mark goes when the ring lets go of it, or
 * early when the producer would otherwise run out of buffers. Driven here
 * with plain counters standing in for the shared SPA_META_Busy/Header
 * memory and a scripted ring fill; the integration test
 * (test-capture-fanout-burst) shows the effect on real PipeWire.
 */
#include <check.h>

#include "capture/capture-int.h"
#include "capture/return-guard.h"

#define N 8

static struct lf_return_guard g;
static uint32_t busy[N];   /* spa_meta_busy.count as the producer sees it */
static uint64_t seq[N];    /* spa_meta_header.seq the producer writes */
static int buf[N];         /* identities */

static void setup(void)
{
	lf_return_guard_init(&g, true);
	for (int i = 0; i < N; i++) {
		busy[i] = 1; /* dequeued by the consumer */
		seq[i] = (uint64_t)i;
	}
}

/* What pw_stream_queue_buffer() does to the count. */
static void give_back(int i)
{
	lf_return_guard_push(&g, &buf[i], &busy[i], &seq[i]);
	busy[i]--;
}

START_TEST(mark_held_while_in_the_ring)
{
	give_back(0);
	give_back(1);
	/* Both wait in the ring: the producer must still see them busy. */
	lf_return_guard_sync(&g, 2, N);
	ck_assert_uint_eq(busy[0], 1);
	ck_assert_uint_eq(busy[1], 1);
	/* A cycle took the oldest out: only its mark goes. */
	lf_return_guard_sync(&g, 1, N);
	ck_assert_uint_eq(busy[0], 0);
	ck_assert_uint_eq(busy[1], 1);
	lf_return_guard_sync(&g, 0, N);
	ck_assert_uint_eq(busy[1], 0);
	ck_assert_uint_eq(g.stats.marked, 2);
	ck_assert_uint_eq(g.stats.released_early, 0);
	ck_assert_uint_eq(g.n, 0);
}
END_TEST

START_TEST(limit_keeps_the_producer_fed)
{
	for (int i = 0; i < 4; i++)
		give_back(i);
	/* The ring drains only with frames, which need a free buffer: past
	 * the limit the oldest (next out of the ring anyway) go first. */
	lf_return_guard_sync(&g, 4, 1);
	ck_assert_uint_eq(busy[0], 0);
	ck_assert_uint_eq(busy[1], 0);
	ck_assert_uint_eq(busy[2], 0);
	ck_assert_uint_eq(busy[3], 1);
	ck_assert_uint_eq(g.n_marked, 1);
	ck_assert_uint_eq(g.stats.released_early, 3);
	/* Popping an entry whose mark already went touches nothing. */
	lf_return_guard_sync(&g, 1, 1);
	ck_assert_uint_eq(busy[3], 1);
	lf_return_guard_sync(&g, 0, 1);
	ck_assert_uint_eq(busy[3], 0);
	ck_assert_uint_eq(g.n_marked, 0);
}
END_TEST

START_TEST(off_marks_nothing_but_still_sees_refusals)
{
	lf_return_guard_init(&g, false);
	give_back(0);
	give_back(1);
	ck_assert_uint_eq(busy[0], 0);
	ck_assert_uint_eq(busy[1], 0);
	/* The producer reuses buffer 1 while it still waits in the ring:
	 * PipeWire refuses that frame. Counted once. */
	seq[1] = 100;
	lf_return_guard_sample(&g);
	lf_return_guard_sync(&g, 2, N);
	lf_return_guard_sample(&g);
	lf_return_guard_sync(&g, 2, N);
	ck_assert_uint_eq(g.stats.refused, 1);
	ck_assert_uint_eq(g.stats.marked, 0);
	/* Reuse after the ring let go is normal. */
	lf_return_guard_sync(&g, 1, N);
	seq[0] = 200;
	lf_return_guard_sample(&g);
	lf_return_guard_sync(&g, 1, N);
	ck_assert_uint_eq(g.stats.refused, 1);
}
END_TEST

START_TEST(change_after_the_fill_was_read_is_not_a_refusal)
{
	give_back(0);
	/* Sampled before the producer wrote; the fill read says "still
	 * there", the write came after: no refusal claimed. */
	lf_return_guard_sample(&g);
	seq[0] = 50;
	lf_return_guard_sync(&g, 1, N);
	ck_assert_uint_eq(g.stats.refused, 0);
}
END_TEST

START_TEST(failed_return_is_undone)
{
	give_back(0);
	lf_return_guard_push(&g, &buf[1], &busy[1], &seq[1]);
	lf_return_guard_undo(&g); /* pw_stream_queue_buffer() refused it */
	ck_assert_uint_eq(busy[1], 1);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(g.n_marked, 1);
}
END_TEST

START_TEST(removed_buffers_are_forgotten)
{
	give_back(0);
	give_back(1);
	give_back(2);
	/* PipeWire removes buffer 1: the producer may keep it for the next
	 * consumer, so our mark goes now, and it is never touched again. */
	lf_return_guard_forget(&g, &buf[1]);
	ck_assert_uint_eq(busy[1], 0);
	busy[1] = 77;
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.n_marked, 2);
	lf_return_guard_sync(&g, 1, N);
	ck_assert_uint_eq(busy[0], 0);
	ck_assert_uint_eq(busy[1], 77);
	ck_assert_uint_eq(busy[2], 1);
	/* The stream goes while buffer 2 still waits in its ring: no mark
	 * may outlive us (the producer would be a buffer short for good);
	 * the totals stay. */
	lf_return_guard_clear(&g);
	ck_assert_uint_eq(busy[2], 0);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(g.n_marked, 0);
	ck_assert_uint_eq(g.stats.marked, 3);
	ck_assert(g.enabled);
}
END_TEST

START_TEST(no_busy_meta_no_mark)
{
	lf_return_guard_push(&g, &buf[0], NULL, NULL);
	ck_assert_uint_eq(g.n_marked, 0);
	lf_return_guard_sample(&g);
	lf_return_guard_sync(&g, 0, N);
	ck_assert_uint_eq(g.n, 0);
}
END_TEST

START_TEST(more_returns_than_slots_never_overflow)
{
	for (int k = 0; k < 3 * LF_RETURN_GUARD_MAX; k++)
		give_back(k % N), busy[k % N] = 1;
	ck_assert_uint_le(g.n, LF_RETURN_GUARD_MAX);
	lf_return_guard_sync(&g, 0, N);
	ck_assert_uint_eq(g.n_marked, 0);
}
END_TEST

/* auto: on for every PipeWire that refuses a buffer still in the ring. */
START_TEST(versions_that_need_it)
{
	static const struct { const char *v; bool on; } cases[] = {
		{ "0.3.65", true }, { "0.3.85", true }, { "1.0.0", true }, { "1.2.8", true },
		{ "1.4.7", true }, { "1.4.8", false }, { "1.4.10", false }, { "1.5.81", false },
		{ "1.6.0", false }, { "2.0.1", false }, { "1.4", true }, { "garbage", true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(capture_return_guard_wanted(LF_RETURN_GUARD_AUTO, cases[i].v) == cases[i].on,
			      "%s", cases[i].v);
	ck_assert(capture_return_guard_wanted(LF_RETURN_GUARD_ON, "1.6.0"));
	ck_assert(!capture_return_guard_wanted(LF_RETURN_GUARD_OFF, "0.3.65"));
	ck_assert(capture_return_guard_wanted(LF_RETURN_GUARD_AUTO, NULL));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("capture-return-guard");
	TCase *tc = tcase_create("guard");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, mark_held_while_in_the_ring);
	tcase_add_test(tc, limit_keeps_the_producer_fed);
	tcase_add_test(tc, off_marks_nothing_but_still_sees_refusals);
	tcase_add_test(tc, change_after_the_fill_was_read_is_not_a_refusal);
	tcase_add_test(tc, failed_return_is_undone);
	tcase_add_test(tc, removed_buffers_are_forgotten);
	tcase_add_test(tc, no_busy_meta_no_mark);
	tcase_add_test(tc, more_returns_than_slots_never_overflow);
	tcase_add_test(tc, versions_that_need_it);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
