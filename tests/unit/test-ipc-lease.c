/* SPDX-License-Identifier: MIT */
/* ipc/lease.c: credits, leases and the per-client known-buffer set. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "ipc/lease.h"

static struct lf_buffer b[4];

START_TEST(credits)
{
	struct lf_lease_set ls;

	lf_lease_set_init(&ls, 2);
	ck_assert(lf_lease_set_has_credit(&ls));
	ck_assert_int_eq(lf_lease_set_take(&ls, 1, 1, 10, 100, &b[0]), 0);
	ck_assert(lf_lease_set_has_credit(&ls));
	ck_assert_int_eq(lf_lease_set_take(&ls, 1, 2, 11, 200, &b[1]), 0);
	ck_assert(!lf_lease_set_has_credit(&ls));
	ck_assert_int_eq(lf_lease_set_take(&ls, 1, 3, 12, 300, &b[2]), -ENOSPC);
	ck_assert_uint_eq(ls.n, 2);
}
END_TEST

START_TEST(max_is_clamped)
{
	struct lf_lease_set ls;

	lf_lease_set_init(&ls, 100);
	ck_assert_uint_eq(ls.max, LF_LEASE_MAX);
	lf_lease_set_init(&ls, 0);
	ck_assert(!lf_lease_set_has_credit(&ls)); /* control clients */
	ck_assert_int_eq(lf_lease_set_take(&ls, 1, 1, 1, 1, &b[0]), -ENOSPC);
}
END_TEST

START_TEST(duplicate_seq)
{
	struct lf_lease_set ls;

	lf_lease_set_init(&ls, 3);
	ck_assert_int_eq(lf_lease_set_take(&ls, 1, 1, 10, 100, &b[0]), 0);
	ck_assert_int_eq(lf_lease_set_take(&ls, 1, 1, 10, 100, &b[0]), -EEXIST);
}
END_TEST

START_TEST(release_matches_all_three)
{
	struct lf_lease_set ls;
	struct lf_buffer *out = NULL;

	lf_lease_set_init(&ls, 3);
	lf_lease_set_take(&ls, 1, 1, 10, 100, &b[0]);
	lf_lease_set_take(&ls, 1, 2, 11, 200, &b[1]);
	lf_lease_set_take(&ls, 2, 1, 12, 300, &b[2]);
	ck_assert_int_eq(lf_lease_set_release(&ls, 1, 1, 11, &out), -ENOENT); /* wrong seq */
	ck_assert_int_eq(lf_lease_set_release(&ls, 2, 2, 11, &out), -ENOENT); /* wrong gen */
	ck_assert_int_eq(lf_lease_set_release(&ls, 1, 3, 11, &out), -ENOENT); /* wrong id */
	ck_assert_int_eq(lf_lease_set_release(&ls, 1, 2, 11, &out), 0);
	ck_assert_ptr_eq(out, &b[1]);
	ck_assert_uint_eq(ls.n, 2);
	ck_assert_int_eq(lf_lease_set_release(&ls, 1, 2, 11, &out), -ENOENT); /* twice */
	/* old generation leases are still releasable */
	ck_assert_int_eq(lf_lease_set_release(&ls, 1, 1, 10, &out), 0);
	ck_assert_ptr_eq(out, &b[0]);
	ck_assert_int_eq(lf_lease_set_release(&ls, 2, 1, 12, &out), 0);
	ck_assert_ptr_eq(out, &b[2]);
	ck_assert_uint_eq(ls.n, 0);
	ck_assert(lf_lease_set_has_credit(&ls));
}
END_TEST

START_TEST(earliest_and_pop)
{
	struct lf_lease_set ls;

	lf_lease_set_init(&ls, 3);
	ck_assert_uint_eq(lf_lease_set_earliest(&ls), UINT64_MAX);
	ck_assert_ptr_null(lf_lease_set_pop(&ls));
	lf_lease_set_take(&ls, 1, 1, 10, 500, &b[0]);
	lf_lease_set_take(&ls, 1, 2, 11, 300, &b[1]);
	lf_lease_set_take(&ls, 1, 3, 12, 400, &b[2]);
	ck_assert_uint_eq(lf_lease_set_earliest(&ls), 300);
	/* release from the middle keeps the order: pop gives the newest */
	struct lf_buffer *out;
	ck_assert_int_eq(lf_lease_set_release(&ls, 1, 2, 11, &out), 0);
	ck_assert_uint_eq(lf_lease_set_earliest(&ls), 400);
	ck_assert_ptr_eq(lf_lease_set_pop(&ls), &b[2]);
	ck_assert_ptr_eq(lf_lease_set_pop(&ls), &b[0]);
	ck_assert_ptr_null(lf_lease_set_pop(&ls));
	ck_assert_uint_eq(lf_lease_set_earliest(&ls), UINT64_MAX);
}
END_TEST

START_TEST(known_basic)
{
	struct lf_known_set ks;
	uint32_t ev = 0;

	lf_known_set_reset(&ks, 1);
	ck_assert(!lf_known_set_has(&ks, 1, 5));
	ck_assert_int_eq(lf_known_set_add(&ks, 1, 5, &ev), 0);
	ck_assert(lf_known_set_has(&ks, 1, 5));
	ck_assert(!lf_known_set_has(&ks, 2, 5)); /* other generation */
	ck_assert_int_eq(lf_known_set_add(&ks, 1, 5, &ev), 0); /* idempotent */
	ck_assert_uint_eq(ks.n, 1);
	/* adding in a new generation forgets the old one */
	ck_assert_int_eq(lf_known_set_add(&ks, 2, 6, &ev), 0);
	ck_assert(!lf_known_set_has(&ks, 1, 5));
	ck_assert(!lf_known_set_has(&ks, 2, 5));
	ck_assert(lf_known_set_has(&ks, 2, 6));
	ck_assert_uint_eq(ks.n, 1);
}
END_TEST

START_TEST(known_full_evicts)
{
	struct lf_known_set ks;
	uint32_t ev = 0;

	lf_known_set_reset(&ks, 1);
	for (uint32_t i = 0; i < LF_KNOWN_MAX; i++)
		ck_assert_int_eq(lf_known_set_add(&ks, 1, 100 + i, &ev), 0);
	ck_assert_int_eq(lf_known_set_add(&ks, 1, 1000, &ev), 1);
	ck_assert_uint_eq(ev, 100);
	ck_assert(!lf_known_set_has(&ks, 1, 100));
	ck_assert(lf_known_set_has(&ks, 1, 1000));
	ck_assert_int_eq(lf_known_set_add(&ks, 1, 1001, &ev), 1);
	ck_assert_uint_eq(ev, 101);
	ck_assert_uint_eq(ks.n, LF_KNOWN_MAX);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipc-lease");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, credits);
	tcase_add_test(tc, max_is_clamped);
	tcase_add_test(tc, duplicate_seq);
	tcase_add_test(tc, release_matches_all_three);
	tcase_add_test(tc, earliest_and_pop);
	tcase_add_test(tc, known_basic);
	tcase_add_test(tc, known_full_evicts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
