/* SPDX-License-Identifier: MIT */
/* daemon/options.c: flags, the config file, and which one wins. */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/options.h"

static int parse(struct lf_config *c, enum lf_config_action *act, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	char *a;

	argv[argc++] = (char *)"lastframed";
	va_start(ap, act);
	while ((a = va_arg(ap, char *)) && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	lf_config_init(c);
	return lf_config_parse_args(c, argc, argv, act);
}

START_TEST(defaults)
{
	struct lf_config c;
	enum lf_config_action act;

	ck_assert_int_eq(parse(&c, &act, NULL), 0);
	ck_assert_int_eq(act, LF_CONFIG_RUN);
	ck_assert_int_eq(c.source, LF_SOURCE_AUTO);
	ck_assert_int_eq(c.cursor, LF_CURSOR_HIDDEN);
	ck_assert_int_eq(c.log_level, LOG_INFO);
	ck_assert_str_eq(c.socket_path, "");
	ck_assert(!c.shm_only);
}
END_TEST

START_TEST(source_specs)
{
	struct lf_config c;

	lf_config_init(&c);
	ck_assert_int_eq(lf_config_parse_source(&c, "node:my-node"), 0);
	ck_assert_int_eq(c.source, LF_SOURCE_NODE);
	ck_assert_str_eq(c.target, "my-node");

	ck_assert_int_eq(lf_config_parse_source(&c, "mutter"), 0);
	ck_assert_int_eq(c.source, LF_SOURCE_MUTTER);
	ck_assert_int_eq(c.mutter_record, LF_MUTTER_MONITOR);
	ck_assert_str_eq(c.connector, "");

	ck_assert_int_eq(lf_config_parse_source(&c, "mutter:monitor=Meta-0"), 0);
	ck_assert_str_eq(c.connector, "Meta-0");

	ck_assert_int_eq(lf_config_parse_source(&c, "mutter:virtual=1920x1080"), 0);
	ck_assert_int_eq(c.mutter_record, LF_MUTTER_VIRTUAL);
	ck_assert_uint_eq(c.virtual_width, 1920);
	ck_assert_uint_eq(c.virtual_height, 1080);
	ck_assert_str_eq(c.connector, "");

	ck_assert_int_eq(lf_config_parse_source(&c, "mutter:virtual"), 0);
	ck_assert_uint_eq(c.virtual_width, 0);

	ck_assert_int_eq(lf_config_parse_source(&c, "portal"), 0);
	ck_assert_int_eq(c.source, LF_SOURCE_PORTAL);
	ck_assert_uint_eq(c.portal_types, LF_PORTAL_MONITOR);
	ck_assert_int_eq(lf_config_parse_source(&c, "portal:window"), 0);
	ck_assert_uint_eq(c.portal_types, LF_PORTAL_WINDOW);
	ck_assert_int_eq(lf_config_parse_source(&c, "portal:any"), 0);
	ck_assert_uint_eq(c.portal_types, LF_PORTAL_MONITOR | LF_PORTAL_WINDOW);
	ck_assert_int_eq(lf_config_parse_source(&c, "portal:monitor"), 0);
	ck_assert_uint_eq(c.portal_types, LF_PORTAL_MONITOR);

	ck_assert_int_eq(lf_config_parse_source(&c, "auto"), 0);
	ck_assert_int_eq(c.source, LF_SOURCE_AUTO);
}
END_TEST

START_TEST(bad_source_specs_leave_config_alone)
{
	static const char *const bad[] = {
		"", "node:", "mutter:", "mutter:virtual=", "mutter:virtual=0x720",
		"mutter:virtual=1280x", "mutter:virtual=x720", "mutter:virtual=99999x1",
		"mutter:virtual=12a0x720", "mutter:monitor=", "mutter:window", "mutterx",
		"portal:", "portal:screen", "portal:monitor:x", "portalx", "Portal",
	};
	struct lf_config c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lf_config_init(&c);
		ck_assert_int_eq(lf_config_parse_source(&c, "node:keep"), 0);
		ck_assert_msg(lf_config_parse_source(&c, bad[i]) == -EINVAL, "accepted '%s'", bad[i]);
		ck_assert_int_eq(c.source, LF_SOURCE_NODE);
		ck_assert_str_eq(c.target, "keep");
	}
}
END_TEST

START_TEST(flags)
{
	struct lf_config c;
	enum lf_config_action act;

	ck_assert_int_eq(parse(&c, &act, "--source", "mutter:virtual", "--cursor", "metadata",
			       "-s", "/tmp/x.sock", "--shm-only", "-v", "--fence-timeout-ms", "250",
			       "--max-clients", "8", "--lease-timeout-ms", "3000", "--no-fence-wait", NULL), 0);
	ck_assert(c.no_fence_wait);
	ck_assert_int_eq(c.source, LF_SOURCE_MUTTER);
	ck_assert_int_eq(c.mutter_record, LF_MUTTER_VIRTUAL);
	ck_assert_int_eq(c.cursor, LF_CURSOR_METADATA);
	ck_assert_str_eq(c.socket_path, "/tmp/x.sock");
	ck_assert(c.shm_only);
	ck_assert_int_eq(c.log_level, LOG_DEBUG);
	ck_assert_uint_eq(c.fence_timeout_ms, 250);
	ck_assert_uint_eq(c.max_clients, 8);
	ck_assert_uint_eq(c.lease_timeout_ms, 3000);

	/* --target is node: */
	ck_assert_int_eq(parse(&c, &act, "--target", "42", NULL), 0);
	ck_assert_int_eq(c.source, LF_SOURCE_NODE);
	ck_assert_str_eq(c.target, "42");
	ck_assert_int_eq(parse(&c, &act, "-t", "name", "--log-level", "warning", NULL), 0);
	ck_assert_str_eq(c.target, "name");
	ck_assert_int_eq(c.log_level, LOG_WARNING);

	ck_assert_int_eq(parse(&c, &act, "--help", NULL), 0);
	ck_assert_int_eq(act, LF_CONFIG_HELP);
	ck_assert_int_eq(parse(&c, &act, "-V", NULL), 0);
	ck_assert_int_eq(act, LF_CONFIG_VERSION);
}
END_TEST

START_TEST(bad_flags)
{
	struct lf_config c;
	enum lf_config_action act;

	ck_assert_int_eq(parse(&c, &act, "--source", "bogus", NULL), -EINVAL);
	ck_assert_int_eq(parse(&c, &act, "--cursor", "shown", NULL), -EINVAL);
	ck_assert_int_eq(parse(&c, &act, "--fence-timeout-ms", "0", NULL), -EINVAL);
	ck_assert_int_eq(parse(&c, &act, "--fence-timeout-ms", "-5", NULL), -EINVAL);
	ck_assert_int_eq(parse(&c, &act, "--max-clients", "10k", NULL), -EINVAL);
	ck_assert_int_eq(parse(&c, &act, "--log-level", "loud", NULL), -EINVAL);
	ck_assert_int_eq(parse(&c, &act, "--no-such-flag", NULL), -EINVAL);
	ck_assert_int_eq(parse(&c, &act, "stray", NULL), -EINVAL);
	ck_assert_int_eq(parse(&c, &act, "--socket", "", NULL), -EINVAL);
}
END_TEST

START_TEST(modifiers_and_list_formats)
{
	struct lf_config c;
	enum lf_config_action act;
	char err[512] = "";

	ck_assert_int_eq(parse(&c, &act, "--modifiers", "LINEAR,0x0300000000606010", NULL), 0);
	ck_assert_str_eq(c.modifiers, "LINEAR,0x0300000000606010");
	ck_assert_int_eq(act, LF_CONFIG_RUN);
	ck_assert_int_eq(parse(&c, &act, "--modifiers", "bogus", NULL), -EINVAL);
	ck_assert_int_eq(parse(&c, &act, "--modifiers", "", NULL), -EINVAL);
	/* --list-formats honours the other flags given with it. */
	ck_assert_int_eq(parse(&c, &act, "--list-formats", "--shm-only", NULL), 0);
	ck_assert_int_eq(act, LF_CONFIG_LIST_FORMATS);
	ck_assert(c.shm_only);

	ck_assert_int_eq(parse(&c, &act, "--allow-users", "root,1234", "--allow-groups", "0", NULL), 0);
	ck_assert_uint_eq(c.n_allow_uids, 2);
	ck_assert_uint_eq(c.allow_uids[0], 0);
	ck_assert_uint_eq(c.allow_uids[1], 1234);
	ck_assert_uint_eq(c.n_allow_gids, 1);
	ck_assert_int_eq(parse(&c, &act, "--allow-users", "no-such-user-lf", NULL), -EINVAL);
	ck_assert_int_eq(parse(&c, &act, "--allow-groups", ",", NULL), -EINVAL);

	lf_config_init(&c);
	ck_assert_int_eq(lf_config_parse_text(&c, "modifiers = INVALID\n", "t.conf", err, sizeof(err)), 0);
	ck_assert_str_eq(c.modifiers, "INVALID");
	ck_assert_int_lt(lf_config_parse_text(&c, "modifiers = 0xzz\n", "t.conf", err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "t.conf:1"));
}
END_TEST

START_TEST(file_keys)
{
	struct lf_config c;
	char err[512] = "";

	lf_config_init(&c);
	ck_assert_int_eq(lf_config_parse_text(&c,
		"# lastframed.conf\n"
		"\n"
		"source = mutter:monitor=Meta-0\n"
		"  cursor=embedded  \r\n"
		"socket = /run/user/1000/lf\n"
		"shm-only = yes\n"
		"; another comment\n"
		"log-level = debug\n"
		"fence-timeout-ms=50\n"
		"max-clients = 3\n"
		"lease-timeout-ms = 2000", "test.conf", err, sizeof(err)), 0);
	ck_assert_int_eq(c.source, LF_SOURCE_MUTTER);
	ck_assert_str_eq(c.connector, "Meta-0");
	ck_assert_int_eq(c.cursor, LF_CURSOR_EMBEDDED);
	ck_assert_str_eq(c.socket_path, "/run/user/1000/lf");
	ck_assert(c.shm_only);
	ck_assert_int_eq(c.log_level, LOG_DEBUG);
	ck_assert(c.log_level_given);
	ck_assert_uint_eq(c.fence_timeout_ms, 50);
	ck_assert_uint_eq(c.max_clients, 3);
	ck_assert_uint_eq(c.lease_timeout_ms, 2000);
}
END_TEST

START_TEST(file_errors_name_the_line)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "source = mutter\nfrobnicate = 1\n", "t.conf:2: unknown key 'frobnicate'" },
		{ "\n\njust words\n", "t.conf:3: expected 'key = value'" },
		{ "cursor = sometimes\n", "t.conf:1: invalid cursor mode 'sometimes'" },
		{ "shm-only = maybe\n", "t.conf:1: invalid boolean" },
		{ "max-clients = 0\n", "t.conf:1: invalid value '0' for max-clients" },
		{ "source =\n", "t.conf:1: invalid source ''" },
	};
	struct lf_config c;
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lf_config_init(&c);
		err[0] = '\0';
		ck_assert_int_eq(lf_config_parse_text(&c, cases[i].text, "t.conf", err, sizeof(err)),
				 -EINVAL);
		ck_assert_msg(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0,
			      "got '%s', want '%s...'", err, cases[i].want);
		/* nothing half-applied */
		ck_assert_int_eq(c.source, LF_SOURCE_AUTO);
	}
}
END_TEST

START_TEST(flags_win_over_file)
{
	struct lf_config c;
	enum lf_config_action act;
	char err[512];

	ck_assert_int_eq(parse(&c, &act, "--source", "node:from-flag", "--cursor", "metadata", NULL), 0);
	ck_assert_int_eq(lf_config_parse_text(&c, "source = mutter\ncursor = embedded\nshm-only = true\n",
					      "t.conf", err, sizeof(err)), 0);
	ck_assert_int_eq(c.source, LF_SOURCE_NODE);
	ck_assert_str_eq(c.target, "from-flag");
	ck_assert_int_eq(c.cursor, LF_CURSOR_METADATA);
	ck_assert(c.shm_only); /* not given as a flag: the file's value */

	/* A bad value is reported even when a flag overrides the key. */
	ck_assert_int_eq(parse(&c, &act, "--cursor", "metadata", NULL), 0);
	ck_assert_int_eq(lf_config_parse_text(&c, "cursor = bad\n", "t.conf", err, sizeof(err)), -EINVAL);

	/* -v beats log-level in the file */
	ck_assert_int_eq(parse(&c, &act, "-v", NULL), 0);
	ck_assert_int_eq(lf_config_parse_text(&c, "log-level = err\n", "t.conf", err, sizeof(err)), 0);
	ck_assert_int_eq(c.log_level, LOG_DEBUG);
}
END_TEST

START_TEST(load_files)
{
	char dir[] = "/tmp/lf-config-XXXXXX", path[256], err[512];
	struct lf_config c;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* The default path missing is fine. */
	setenv("XDG_CONFIG_HOME", dir, 1);
	lf_config_init(&c);
	ck_assert_int_eq(lf_config_load(&c, err, sizeof(err)), 0);

	/* The default path is read. */
	snprintf(path, sizeof(path), "%s/lastframe", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/lastframe/lastframed.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("source = mutter:virtual\nbogus = 1\n", f);
	fclose(f);
	lf_config_init(&c);
	ck_assert_int_eq(lf_config_load(&c, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "lastframed.conf:2: unknown key 'bogus'"), "%s", err);

	/* --no-config skips it. */
	lf_config_init(&c);
	c.no_config = true;
	ck_assert_int_eq(lf_config_load(&c, err, sizeof(err)), 0);

	/* An explicit path that is missing is an error. */
	lf_config_init(&c);
	snprintf(c.config_path, sizeof(c.config_path), "%s/nope.conf", dir);
	ck_assert_int_eq(lf_config_load(&c, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, "cannot open config file"), "%s", err);

	unlink(path);
	snprintf(path, sizeof(path), "%s/lastframe", dir);
	rmdir(path);
	rmdir(dir);
	unsetenv("XDG_CONFIG_HOME");
}
END_TEST

START_TEST(import_probe)
{
	struct lf_config c;
	enum lf_config_action act;
	char err[512] = "";

	ck_assert_int_eq(parse(&c, &act, NULL), 0);
	ck_assert(c.import_probe);
	ck_assert_int_eq(parse(&c, &act, "--no-import-probe", "--list-formats", NULL), 0);
	ck_assert(!c.import_probe);
	ck_assert_int_eq(act, LF_CONFIG_LIST_FORMATS);

	lf_config_init(&c);
	ck_assert_int_eq(lf_config_parse_text(&c, "import-probe = false\n", "t.conf", err,
					      sizeof(err)), 0);
	ck_assert(!c.import_probe);
	ck_assert_int_eq(lf_config_parse_text(&c, "import-probe = yes\n", "t.conf", err,
					      sizeof(err)), 0);
	ck_assert(c.import_probe);
	ck_assert_int_eq(lf_config_parse_text(&c, "import-probe = maybe\n", "t.conf", err,
					      sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "t.conf:1: invalid boolean 'maybe' for import-probe"));

	/* The flag wins over the file. */
	ck_assert_int_eq(parse(&c, &act, "--no-import-probe", NULL), 0);
	ck_assert_int_eq(lf_config_parse_text(&c, "import-probe = true\n", "t.conf", err,
					      sizeof(err)), 0);
	ck_assert(!c.import_probe);
}
END_TEST

/* The PipeWire < 1.4.8 return guard: auto by default, on/off by flag or file. */
START_TEST(return_guard)
{
	struct lf_config c;
	enum lf_config_action act;
	char err[512] = "";

	ck_assert_int_eq(parse(&c, &act, NULL), 0);
	ck_assert_int_eq(c.return_guard, LF_GUARD_AUTO);
	ck_assert_int_eq(parse(&c, &act, "--return-guard", "off", NULL), 0);
	ck_assert_int_eq(c.return_guard, LF_GUARD_OFF);
	ck_assert_int_eq(parse(&c, &act, "--return-guard=on", NULL), 0);
	ck_assert_int_eq(c.return_guard, LF_GUARD_ON);
	ck_assert_int_eq(parse(&c, &act, "--return-guard", "maybe", NULL), -EINVAL);

	lf_config_init(&c);
	ck_assert_int_eq(lf_config_parse_text(&c, "return-guard = no\n", "t.conf", err,
					      sizeof(err)), 0);
	ck_assert_int_eq(c.return_guard, LF_GUARD_OFF);
	ck_assert_int_eq(lf_config_parse_text(&c, "return-guard = auto\n", "t.conf", err,
					      sizeof(err)), 0);
	ck_assert_int_eq(c.return_guard, LF_GUARD_AUTO);
	ck_assert_int_eq(lf_config_parse_text(&c, "return-guard = sometimes\n", "t.conf", err,
					      sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "t.conf:1: invalid value 'sometimes' for return-guard"));
	/* The flag wins over the file. */
	ck_assert_int_eq(parse(&c, &act, "--return-guard", "on", NULL), 0);
	ck_assert_int_eq(lf_config_parse_text(&c, "return-guard = off\n", "t.conf", err,
					      sizeof(err)), 0);
	ck_assert_int_eq(c.return_guard, LF_GUARD_ON);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon-config");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, source_specs);
	tcase_add_test(tc, bad_source_specs_leave_config_alone);
	tcase_add_test(tc, flags);
	tcase_add_test(tc, bad_flags);
	tcase_add_test(tc, modifiers_and_list_formats);
	tcase_add_test(tc, file_keys);
	tcase_add_test(tc, file_errors_name_the_line);
	tcase_add_test(tc, flags_win_over_file);
	tcase_add_test(tc, load_files);
	tcase_add_test(tc, import_probe);
	tcase_add_test(tc, return_guard);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
