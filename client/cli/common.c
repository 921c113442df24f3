/* SPDX-License-Identifier: MIT */
/* What every command shares: messages, timeouts, connecting. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli/cli.h"

void lf_cli_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("lastframe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int lf_cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("lastframe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\nTry 'lastframe %s --help'.\n", cmd);
	else
		fputs("\nTry 'lastframe --help'.\n", stderr);
	return LF_EXIT_USAGE;
}

bool lf_cli_set_timeout(struct lf_cli *cli, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < 0 || v > 86400)
		return false;
	cli->timeout_s = v;
	return true;
}

int lf_cli_timeout_ms(const struct lf_cli *cli)
{
	return (int)lround(cli->timeout_s * 1000.0);
}

int lf_cli_connect(struct lf_cli *cli, uint32_t flags, uint32_t max_held, struct lastframe **out)
{
	struct lastframe_options o = {
		.socket_path = cli->socket_path,
		.name = "lastframe",
		.max_held = max_held,
		.flags = flags | (cli->gpu_import ? LASTFRAME_GPU_IMPORT : 0),
		.connect_timeout_ms = lf_cli_timeout_ms(cli) > 0 ? lf_cli_timeout_ms(cli) : 1,
	};
	int r = lastframe_connect(&o, out);

	if (r == -ENOENT || r == -ECONNREFUSED)
		lf_cli_error("cannot connect to lastframed at %s: %s "
			     "(is the service running? systemctl --user start lastframed)",
			     cli->socket_path, strerror(-r));
	else if (r == -EACCES || r == -ENOTSOCK || r == -ENAMETOOLONG)
		lf_cli_error("cannot connect to lastframed at %s: %s", cli->socket_path,
			     strerror(-r));
	else if (r < 0)
		lf_cli_error("cannot talk to lastframed at %s: %s", cli->socket_path,
			     lastframe_strerror(r));
	return r;
}

void lf_cli_explain_no_frame(struct lastframe *lf, const struct lf_cli *cli, int err)
{
	struct lastframe_stream_info info;

	if (err != -ETIMEDOUT) {
		lf_cli_error("no frame: %s", lastframe_strerror(err));
		return;
	}
	if (lastframe_get_stream_info(lf, &info) < 0 || info.state == LASTFRAME_STREAM_NONE)
		lf_cli_error("no frame within %g s: lastframed has no video source "
			     "(is a screencast running?)", cli->timeout_s);
	else if (info.state == LASTFRAME_STREAM_PAUSED)
		lf_cli_error("no frame within %g s: the video source is paused", cli->timeout_s);
	else
		lf_cli_error("no frame within %g s: the source is streaming but no frame "
			     "has arrived yet", cli->timeout_s);
}

int lf_cli_common_opt(struct lf_cli *cli, const struct lf_cli_cmd *cmd, int c, const char *arg)
{
	switch (c) {
	case 's':
		cli->socket_path = arg;
		return -1;
	case 't':
		if (!lf_cli_set_timeout(cli, arg))
			return lf_cli_usage(cmd->name, "invalid --timeout '%s' (seconds, e.g. 2.5)", arg);
		return -1;
	case 'h':
		lf_cli_print_help(cmd);
		return LF_EXIT_OK;
	}
	/* getopt_long already said what was wrong. */
	fprintf(stderr, "Try 'lastframe %s --help'.\n", cmd->name);
	return LF_EXIT_USAGE;
}
