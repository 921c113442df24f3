/* SPDX-License-Identifier: MIT */
/* capture/portal-util.c: request paths, Response results, the restore token. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/portal-util.h"

/* Messages need a bus in some state other than "unset"; one that is still
 * authenticating over a socketpair nobody answers is enough to build,
 * seal and read them. */
static sd_bus *bus;
static int peer = -1;

static void bus_setup(void)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_ge(sd_bus_new(&bus), 0);
	ck_assert_int_ge(sd_bus_set_fd(bus, sv[0], sv[0]), 0);
	ck_assert_int_ge(sd_bus_start(bus), 0);
	peer = sv[1];
}

static void bus_teardown(void)
{
	bus = sd_bus_close_unref(bus);
	close(peer);
}

static sd_bus_message *response(void)
{
	sd_bus_message *m = NULL;

	ck_assert_int_ge(sd_bus_message_new_signal(bus, &m, "/org/freedesktop/portal/desktop/request/1_2/t",
						   "org.freedesktop.portal.Request", "Response"), 0);
	return m;
}

static void seal(sd_bus_message *m)
{
	ck_assert_int_ge(sd_bus_message_seal(m, 1, 0), 0);
	ck_assert_int_ge(sd_bus_message_rewind(m, true), 0);
}

START_TEST(object_paths)
{
	char buf[256];

	ck_assert_int_eq(lf_portal_object_path(buf, sizeof(buf), "request", ":1.42", "lastframe3"), 0);
	ck_assert_str_eq(buf, "/org/freedesktop/portal/desktop/request/1_42/lastframe3");
	ck_assert_int_eq(lf_portal_object_path(buf, sizeof(buf), "session", ":1.7", "s_1"), 0);
	ck_assert_str_eq(buf, "/org/freedesktop/portal/desktop/session/1_7/s_1");
	/* Not a unique name, a token that cannot be a path element, no room. */
	ck_assert_int_eq(lf_portal_object_path(buf, sizeof(buf), "request", "org.x", "t"), -EINVAL);
	ck_assert_int_eq(lf_portal_object_path(buf, sizeof(buf), "request", ":1.2", "a-b"), -EINVAL);
	ck_assert_int_eq(lf_portal_object_path(buf, sizeof(buf), "request", ":1.2", ""), -EINVAL);
	ck_assert_int_eq(lf_portal_object_path(buf, 20, "request", ":1.2", "t"), -ENAMETOOLONG);
}
END_TEST

START_TEST(start_results)
{
	sd_bus_message *m = response();
	struct lf_portal_results r;
	uint32_t code = 99;

	ck_assert_int_ge(sd_bus_message_append(m, "u", 0), 0);
	ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
	ck_assert_int_ge(sd_bus_message_append(m, "{sv}", "restore_token", "s", "3c1f-77"), 0);
	ck_assert_int_ge(sd_bus_message_append(m, "{sv}", "persist_mode", "u", 2), 0);
	ck_assert_int_ge(sd_bus_message_open_container(m, 'e', "sv"), 0);
	ck_assert_int_ge(sd_bus_message_append(m, "s", "streams"), 0);
	ck_assert_int_ge(sd_bus_message_open_container(m, 'v', "a(ua{sv})"), 0);
	ck_assert_int_ge(sd_bus_message_append(m, "a(ua{sv})", 2,
					       42, 3, "size", "(ii)", 1280, 720,
					       "source_type", "u", 1, "position", "(ii)", 0, 0,
					       43, 0), 0);
	ck_assert_int_ge(sd_bus_message_close_container(m), 0);
	ck_assert_int_ge(sd_bus_message_close_container(m), 0);
	ck_assert_int_ge(sd_bus_message_close_container(m), 0);
	seal(m);
	ck_assert_int_eq(lf_portal_parse_response(m, &code, &r), 0);
	ck_assert_uint_eq(code, 0);
	ck_assert_uint_eq(r.n_streams, 2);
	ck_assert_uint_eq(r.node_id, 42);
	ck_assert_int_eq(r.width, 1280);
	ck_assert_int_eq(r.height, 720);
	ck_assert_uint_eq(r.source_type, 1);
	ck_assert_str_eq(r.restore_token, "3c1f-77");
	ck_assert(!r.bad_token);
	sd_bus_message_unref(m);
}
END_TEST

START_TEST(no_streams_and_errors)
{
	sd_bus_message *m = response();
	struct lf_portal_results r;
	uint32_t code;

	/* Start granted, but nothing to cast. */
	ck_assert_int_ge(sd_bus_message_append(m, "ua{sv}", 0, 1, "streams", "a(ua{sv})", 0), 0);
	seal(m);
	ck_assert_int_eq(lf_portal_parse_response(m, &code, &r), 0);
	ck_assert_uint_eq(r.n_streams, 0);
	ck_assert_str_eq(r.restore_token, "");
	sd_bus_message_unref(m);

	/* Cancelled and failed: the codes come through, results may be empty. */
	m = response();
	ck_assert_int_ge(sd_bus_message_append(m, "ua{sv}", 1, 0), 0);
	seal(m);
	ck_assert_int_eq(lf_portal_parse_response(m, &code, &r), 0);
	ck_assert_uint_eq(code, LF_PORTAL_CANCELLED);
	sd_bus_message_unref(m);

	/* A session_handle as 'o' (the spec) or 's' (xdg-desktop-portal). */
	m = response();
	ck_assert_int_ge(sd_bus_message_append(m, "ua{sv}", 0, 1, "session_handle", "o",
					       "/org/freedesktop/portal/desktop/session/1_2/s"), 0);
	seal(m);
	ck_assert_int_eq(lf_portal_parse_response(m, &code, &r), 0);
	ck_assert_str_eq(r.session_handle, "/org/freedesktop/portal/desktop/session/1_2/s");
	sd_bus_message_unref(m);

	/* Wrong types: streams of another signature are skipped, a token that
	 * is not a string (or not printable) is flagged, not kept. */
	m = response();
	ck_assert_int_ge(sd_bus_message_append(m, "ua{sv}", 0, 3, "streams", "u", 7,
					       "restore_token", "u", 5, "session_handle", "s", "x"), 0);
	seal(m);
	ck_assert_int_eq(lf_portal_parse_response(m, &code, &r), 0);
	ck_assert_uint_eq(r.n_streams, 0);
	ck_assert(r.bad_token);
	ck_assert_str_eq(r.restore_token, "");
	sd_bus_message_unref(m);

	m = response();
	ck_assert_int_ge(sd_bus_message_append(m, "ua{sv}", 0, 1, "restore_token", "s", "a b"), 0);
	seal(m);
	ck_assert_int_eq(lf_portal_parse_response(m, &code, &r), 0);
	ck_assert(r.bad_token);
	ck_assert_str_eq(r.restore_token, "");
	sd_bus_message_unref(m);

	/* Not a Response body at all. */
	m = response();
	ck_assert_int_ge(sd_bus_message_append(m, "s", "hello"), 0);
	seal(m);
	ck_assert_int_lt(lf_portal_parse_response(m, &code, &r), 0);
	sd_bus_message_unref(m);
}
END_TEST

START_TEST(tokens_and_cursor)
{
	char big[LF_PORTAL_TOKEN_MAX + 2];

	ck_assert(lf_portal_token_valid("0c7d2e90-9c2f-4c3e-a1a5-7a4b3c2d1e0f"));
	ck_assert(!lf_portal_token_valid(""));
	ck_assert(!lf_portal_token_valid("with space"));
	ck_assert(!lf_portal_token_valid("new\nline"));
	ck_assert(!lf_portal_token_valid(NULL));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert(!lf_portal_token_valid(big));
	big[LF_PORTAL_TOKEN_MAX] = '\0';
	ck_assert(lf_portal_token_valid(big));

	ck_assert_uint_eq(lf_portal_pick_cursor(7), 4);
	ck_assert_uint_eq(lf_portal_pick_cursor(3), 2);
	ck_assert_uint_eq(lf_portal_pick_cursor(1), 1);
	ck_assert_uint_eq(lf_portal_pick_cursor(0), 0);
}
END_TEST

START_TEST(token_file)
{
	char dir[] = "/tmp/lf-portal-token.XXXXXX", path[512], buf[LF_PORTAL_TOKEN_MAX + 1];
	struct stat st;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("XDG_STATE_HOME", dir, 1);
	ck_assert_int_eq(lf_portal_token_path(path, sizeof(path), 1), 0);
	ck_assert_str_eq(path + strlen(dir), "/lastframe/portal-monitor.token");
	ck_assert_int_eq(lf_portal_token_path(path, sizeof(path), 3), 0);
	ck_assert_str_eq(path + strlen(dir), "/lastframe/portal-any.token");
	ck_assert_int_eq(lf_portal_token_path(path, sizeof(path), 2), 0);
	ck_assert_str_eq(path + strlen(dir), "/lastframe/portal-window.token");

	ck_assert_int_eq(lf_portal_token_load(path, buf, sizeof(buf)), -ENOENT);
	/* The state dir is made; the file is 0600 and replaced whole. */
	ck_assert_int_eq(lf_portal_token_save(path, "first-token"), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(lf_portal_token_load(path, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "first-token");
	ck_assert_int_eq(lf_portal_token_save(path, "second"), 0);
	ck_assert_int_eq(lf_portal_token_load(path, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "second");
	ck_assert_int_eq(lf_portal_token_save(path, "not valid"), -EINVAL);
	ck_assert_int_eq(lf_portal_token_load(path, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "second");

	/* Garbage on disk: refused, not used. */
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("two words\n", f);
	fclose(f);
	ck_assert_int_eq(lf_portal_token_load(path, buf, sizeof(buf)), -EINVAL);
	f = fopen(path, "w");
	fclose(f);
	ck_assert_int_eq(lf_portal_token_load(path, buf, sizeof(buf)), -EINVAL);

	/* An unwritable place: an error, nothing left behind. */
	snprintf(path, sizeof(path), "%s/file/sub/t.token", dir);
	f = fopen(strcat(strcpy(buf, dir), "/file"), "w");
	fclose(f);
	ck_assert_int_lt(lf_portal_token_save(path, "tok"), 0);
	ck_assert_int_eq(system((snprintf(path, sizeof(path), "rm -rf '%s'", dir), path)), 0);
	unsetenv("XDG_STATE_HOME");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("portal-util");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, bus_setup, bus_teardown);
	tcase_add_test(tc, object_paths);
	tcase_add_test(tc, start_results);
	tcase_add_test(tc, no_streams_and_errors);
	tcase_add_test(tc, tokens_and_cursor);
	tcase_add_test(tc, token_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
