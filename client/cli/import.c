/* SPDX-License-Identifier: MIT */
/* lastframe report-import-failure: a test helper for renegotiation. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli/cli.h"

static int run_import(struct lf_cli *cli, int argc, char **argv);

const struct lf_cli_cmd lf_cmd_report_import_failure = {
	.name = "report-import-failure",
	.summary = "tell the daemon a format/modifier cannot be imported (testing)",
	.run = run_import,
	.hidden = true,
	.help =
	"Usage: lastframe [OPTIONS] report-import-failure FOURCC MODIFIER\n"
	"\n"
	"Tell lastframed that this client cannot import buffers of pixel format\n"
	"FOURCC with DRM format modifier MODIFIER, as a GPU client would after a\n"
	"failed EGL/Vulkan import. The daemon then renegotiates with the producer\n"
	"without that modifier. Meant for testing renegotiation.\n"
	"\n"
	"FOURCC: a DRM fourcc (XR24), a format name (BGRx) or a number.\n"
	"MODIFIER: a number (0x0100000000000002), LINEAR or INVALID.\n"
	"\n"
	"Options:\n"
	"  -s, --socket PATH   the daemon's socket\n"
	"  -t, --timeout SEC   how long to wait for the daemon (default 5)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 reported (the daemon received it), 1 error, 2 usage error.\n",
};

static int parse_modifier(const char *s, uint64_t *out)
{
	char *end;

	if (!strcasecmp(s, "LINEAR")) {
		*out = 0;
		return 0;
	}
	if (!strcasecmp(s, "INVALID")) {
		*out = 0x00ffffffffffffffull;
		return 0;
	}
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || end == s || *end || s[0] == '-' ? -EINVAL : 0;
}

static int run_import(struct lf_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { LF_CLI_COMMON_OPTS, { 0 } };
	struct lastframe_stream_info info;
	struct lastframe *lf = NULL;
	uint32_t fourcc;
	uint64_t mod;
	int c, r;

	while ((c = getopt_long(argc, argv, LF_CLI_COMMON_SHORT, opts, NULL)) != -1)
		if ((r = lf_cli_common_opt(cli, &lf_cmd_report_import_failure, c, optarg)) >= 0)
			return r;
	if (argc - optind != 2)
		return lf_cli_usage("report-import-failure", "expected FOURCC and MODIFIER");
	if (lf_parse_fourcc(argv[optind], &fourcc) < 0)
		return lf_cli_usage("report-import-failure", "invalid FOURCC '%s'", argv[optind]);
	if (parse_modifier(argv[optind + 1], &mod) < 0)
		return lf_cli_usage("report-import-failure", "invalid MODIFIER '%s'", argv[optind + 1]);
	if (lf_cli_connect(cli, LASTFRAME_CONTROL_ONLY, 1, &lf) < 0)
		return LF_EXIT_ERROR;
	/* The report names the current generation, so learn it first. */
	r = lastframe_wait_stream_info(lf, lf_cli_timeout_ms(cli), &info);
	if (r < 0 && r != -ETIMEDOUT) {
		lf_cli_error("no stream information: %s", lastframe_strerror(r));
		goto out;
	}
	r = lastframe_report_import_failure(lf, fourcc, mod);
	/* A round trip makes sure the daemon read the report before we hang up. */
	if (r == 0)
		r = lastframe_ping(lf, lf_cli_timeout_ms(cli));
	if (r < 0)
		lf_cli_error("cannot report the import failure: %s", lastframe_strerror(r));
out:
	lastframe_disconnect(lf);
	return r < 0 ? LF_EXIT_ERROR : LF_EXIT_OK;
}
