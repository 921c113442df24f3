/* SPDX-License-Identifier: MIT */
/* daemon/notify.c: the STATUS= text. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <spa/param/video/raw.h>

#include "daemon/notify.h"

static const struct lf_video_format fmt = {
	.width = 1280, .height = 720, .spa_format = SPA_VIDEO_FORMAT_BGRx,
};

START_TEST(streaming)
{
	struct lf_status_info info = { .state = LF_STREAM_STREAMING, .format = &fmt,
				       .fps_milli = 59940, .n_clients = 3 };
	char buf[256];

	lf_status_format(buf, sizeof(buf), &info);
	ck_assert_str_eq(buf, "streaming 1280x720 BGRx 59.9 fps to 3 clients");
	info.n_clients = 1;
	info.fps_milli = 5000;
	lf_status_format(buf, sizeof(buf), &info);
	ck_assert_str_eq(buf, "streaming 1280x720 BGRx 5.0 fps to 1 client");
}
END_TEST

START_TEST(waiting_and_paused)
{
	struct lf_status_info info = { .state = LF_STREAM_NONE };
	char buf[256];

	lf_status_format(buf, sizeof(buf), &info);
	ck_assert_str_eq(buf, "waiting for screencast node, 0 clients");
	info.waiting_for = "Mutter";
	lf_status_format(buf, sizeof(buf), &info);
	ck_assert_str_eq(buf, "waiting for Mutter, 0 clients");
	info.state = LF_STREAM_PAUSED;
	lf_status_format(buf, sizeof(buf), &info);
	ck_assert_str_eq(buf, "paused, 0 clients");
	info.format = &fmt;
	info.n_clients = 2;
	lf_status_format(buf, sizeof(buf), &info);
	ck_assert_str_eq(buf, "paused (1280x720 BGRx), 2 clients");
	/* streaming with no format yet reads as paused */
	info.state = LF_STREAM_STREAMING;
	info.format = NULL;
	lf_status_format(buf, sizeof(buf), &info);
	ck_assert_str_eq(buf, "paused, 2 clients");
}
END_TEST

START_TEST(truncates_safely)
{
	struct lf_status_info info = { .state = LF_STREAM_STREAMING, .format = &fmt,
				       .fps_milli = 60000, .n_clients = 64 };
	char buf[12];

	memset(buf, 'x', sizeof(buf));
	lf_status_format(buf, sizeof(buf), &info);
	ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon-status");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, streaming);
	tcase_add_test(tc, waiting_and_paused);
	tcase_add_test(tc, truncates_safely);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
