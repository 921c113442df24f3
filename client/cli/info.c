/* SPDX-License-Identifier: MIT */
/* lastframe info: what the daemon is streaming. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "client/cli/cli.h"

static int run_info(struct lf_cli *cli, int argc, char **argv);

const struct lf_cli_cmd lf_cmd_info = {
	.name = "info",
	.summary = "show the stream: state, size, format, modifier, buffers, fps",
	.run = run_info,
	.help =
	"Usage: lastframe [OPTIONS] info [--json] [--gpu]\n"
	"\n"
	"Show what lastframed is streaming: state (streaming, paused, or none when it\n"
	"has no video source), the daemon's status line (what it streams, or what it\n"
	"waits for: \"waiting for the portal\", \"waiting for the user to choose a\n"
	"screen\"...), size, pixel format (SPA name and DRM fourcc), DRM\n"
	"format modifier, how buffers reach clients (memfd or dmabuf) and what the\n"
	"producer sends (memfd, memptr or dmabuf), the measured frame rate, the\n"
	"number of frames the daemon has received and the format generation.\n"
	"\n"
	"\"read path\" is how frames would reach this client: \"direct\" (the producer's\n"
	"buffers), \"GPU readback\" (a linear copy the daemon read back on its GPU, for\n"
	"CPU readers of tiled or implicit-layout dmabufs), \"linear map of INVALID\"\n"
	"(no GPU readback: an INVALID-modifier dmabuf mapped as linear with the\n"
	"producer's stride, right for Mutter 43 and KWin 5.27) or \"unreadable\" (a\n"
	"tiled modifier and no readback: CPU readers get no frames).\n"
	"Takes no frames: it connects as a control client.\n"
	"\n"
	"Options:\n"
	"  -j, --json          one JSON object: {\"state\",\"width\",\"height\",\"format\",\n"
	"                      \"drm_format\",\"modifier\",\"modifier_name\",\n"
	"                      \"has_modifier\",\"buffer_type\",\"source_type\",\"fps\",\n"
	"                      \"fps_nominal\",\"frames_seen\",\"generation\",\"status\",\n"
	"                      \"read_path\"}; fields without a value (no source;\n"
	"                      status from an older daemon) are null\n"
	"  -g, --gpu           ask as a GPU client (one that imports dmabufs itself) would;\n"
	"                      without it, as a CPU reader (grab, Python, VNC) would\n"
	"  -s, --socket PATH   the daemon's socket\n"
	"  -t, --timeout SEC   how long to wait for the daemon's replies (default 5)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 success, 1 error (no daemon), 2 usage error.\n",
};

static void print_json(bool have, const struct lastframe_stream_info *in,
		       const struct lastframe_stats *st, const char *status)
{
	char fourcc[5], mod[128];
	const char *name = lf_format_name(in->drm_format);
	bool fmt = have && in->drm_format != 0;

	lf_fourcc_str(in->drm_format, fourcc);
	printf("{\"state\":\"%s\",\"width\":%u,\"height\":%u,\"format\":",
	       lf_state_name(have ? in->state : st->state), fmt ? in->width : 0,
	       fmt ? in->height : 0);
	if (fmt) {
		lf_json_string(stdout, name ? name : fourcc);
		printf(",\"drm_format\":");
		lf_json_string(stdout, fourcc);
	} else {
		printf("null,\"drm_format\":null");
	}
	if (fmt) {
		/* No negotiated modifier reads as DRM_FORMAT_MOD_INVALID, as on the wire. */
		uint64_t m = in->has_modifier ? in->modifier : LF_MODIFIER_INVALID;
		printf(",\"modifier\":\"0x%llx\",\"modifier_name\":", (unsigned long long)m);
		lf_json_string(stdout, lf_modifier_name(m, mod, sizeof(mod)));
	} else {
		printf(",\"modifier\":null,\"modifier_name\":null");
	}
	printf(",\"has_modifier\":%s,\"buffer_type\":\"%s\",\"source_type\":\"%s\"",
	       fmt && in->has_modifier ? "true" : "false",
	       lf_buffer_type_name(fmt ? in->buffer_type : 0),
	       lf_buffer_type_name(fmt ? in->source_type : 0));
	printf(",\"fps\":%.1f,\"fps_nominal\":", st->fps);
	if (fmt && in->fps_den && in->fps_num)
		printf("%.2f", (double)in->fps_num / in->fps_den);
	else
		printf("null");
	printf(",\"frames_seen\":%llu,\"generation\":%u,\"status\":", (unsigned long long)st->frames_in,
	       have ? in->generation : 0);
	if (status)
		lf_json_string(stdout, status);
	else
		printf("null");
	printf(",\"read_path\":");
	if (fmt)
		lf_json_string(stdout, lf_read_path_name(in->read_path));
	else
		printf("null");
	printf("}\n");
}

static void print_text(bool have, const struct lastframe_stream_info *in,
		       const struct lastframe_stats *st, const char *status)
{
	char fourcc[5], mod[128];
	const char *name = lf_format_name(in->drm_format);

	printf("state:        %s\n", lf_state_name(have ? in->state : st->state));
	if (status)
		printf("status:       %s\n", status);
	if (have && in->drm_format) {
		lf_fourcc_str(in->drm_format, fourcc);
		printf("size:         %ux%u\n", in->width, in->height);
		printf("format:       %s (%s)\n", name ? name : fourcc, fourcc);
		if (in->has_modifier)
			printf("modifier:     0x%llx (%s)\n", (unsigned long long)in->modifier,
			       lf_modifier_name(in->modifier, mod, sizeof(mod)));
		else
			printf("modifier:     none (INVALID)\n");
		printf("buffers:      %s (producer sends %s)\n", lf_buffer_type_name(in->buffer_type),
		       lf_buffer_type_name(in->source_type));
		printf("read path:    %s\n", lf_read_path_name(in->read_path));
		if (in->fps_num && in->fps_den)
			printf("nominal fps:  %.2f\n", (double)in->fps_num / in->fps_den);
		else
			printf("nominal fps:  variable\n");
	}
	printf("fps:          %.1f\n", st->fps);
	printf("frames seen:  %llu\n", (unsigned long long)st->frames_in);
	printf("generation:   %u\n", have ? in->generation : 0);
}

static int run_info(struct lf_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "gpu", no_argument, NULL, 'g' },
		LF_CLI_COMMON_OPTS,
		{ 0 },
	};
	struct lastframe_stream_info in;
	struct lastframe_stats st;
	struct lastframe *lf = NULL;
	char status[256];
	bool json = false, have, has_status;
	int c, r;

	while ((c = getopt_long(argc, argv, "jg" LF_CLI_COMMON_SHORT, opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
			continue;
		}
		if (c == 'g') {
			cli->gpu_import = true;
			continue;
		}
		if ((r = lf_cli_common_opt(cli, &lf_cmd_info, c, optarg)) >= 0)
			return r;
	}
	if (optind < argc)
		return lf_cli_usage("info", "unexpected argument '%s'", argv[optind]);
	if (lf_cli_connect(cli, LASTFRAME_CONTROL_ONLY, 1, &lf) < 0)
		return LF_EXIT_ERROR;
	/* The daemon sends FORMAT right after WELCOME, so once the STATS reply is
	 * in, a missing format means there is none (no source): no need to wait. */
	r = lastframe_get_stats(lf, lf_cli_timeout_ms(cli), &st);
	if (r < 0) {
		lf_cli_error("cannot get the daemon's counters: %s", lastframe_strerror(r));
		goto out;
	}
	memset(&in, 0, sizeof(in));
	have = lastframe_get_stream_info(lf, &in) == 0;
	has_status = lastframe_get_status(lf, status, sizeof(status)) == 0;
	if (json)
		print_json(have, &in, &st, has_status ? status : NULL);
	else
		print_text(have, &in, &st, has_status ? status : NULL);
out:
	lastframe_disconnect(lf);
	return r < 0 ? LF_EXIT_ERROR : LF_EXIT_OK;
}
