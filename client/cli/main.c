/* SPDX-License-Identifier: MIT */
/* lastframe: program options, command dispatch, help. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cli/cli.h"

static const char program_help[] =
	"Usage: lastframe [--socket PATH] [--timeout SEC] COMMAND [ARGS...]\n"
	"\n"
	"Get the latest screencast frame from lastframed, the latest-frame screencast\n"
	"daemon. Frames come zero-copy (shared memory or dmabuf) over a local socket.\n"
	"\n"
	"Commands:\n"
	"%s"
	"  help [COMMAND]   show this help, or the help of COMMAND\n"
	"\n"
	"Options (accepted before or after the command):\n"
	"  -s, --socket PATH   the daemon's socket; default $LASTFRAME_SOCKET, else\n"
	"                      $XDG_RUNTIME_DIR/lastframe/socket\n"
	"  -t, --timeout SEC   how long to wait for a frame or a reply (default 5;\n"
	"                      fractions allowed)\n"
	"  -h, --help          show help and exit\n"
	"  -V, --version       show the version and exit\n"
	"\n"
	"Exit status: 0 success, 1 error (no daemon, no frame, I/O error),\n"
	"2 usage error.\n"
	"\n"
	"Examples:\n"
	"  lastframe grab screen.png        save the current frame\n"
	"  lastframe info --json            what the daemon is streaming\n"
	"  lastframe watch --frames 300     frame rate and latency, per second\n"
	"\n"
	"See lastframe(1), lastframed(8).\n";

static const struct lf_cli_cmd *const commands[] = {
	&lf_cmd_grab, &lf_cmd_info, &lf_cmd_watch, &lf_cmd_stats, &lf_cmd_report_import_failure,
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_program_help(void)
{
	char list[1024];
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (commands[i]->hidden)
			continue;
		int n = snprintf(list + used, sizeof(list) - used, "  %-16s %s\n",
				 commands[i]->name, commands[i]->summary);
		if (n > 0 && (size_t)n < sizeof(list) - used)
			used += (size_t)n;
	}
	printf(program_help, list);
}

void lf_cli_print_help(const struct lf_cli_cmd *cmd)
{
	fputs(cmd->help, stdout);
}

static const struct lf_cli_cmd *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static void resolve_socket(struct lf_cli *cli)
{
	const char *env = getenv("LASTFRAME_SOCKET");
	const char *rt = getenv("XDG_RUNTIME_DIR");

	if (cli->socket_path)
		return;
	if (env && *env) {
		cli->socket_path = env;
	} else {
		if (rt && *rt)
			snprintf(cli->socket_buf, sizeof(cli->socket_buf), "%s/lastframe/socket", rt);
		else
			snprintf(cli->socket_buf, sizeof(cli->socket_buf),
				 "/run/user/%u/lastframe/socket", (unsigned)getuid());
		cli->socket_path = cli->socket_buf;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct lf_cli cli = { .timeout_s = 5.0 };
	const struct lf_cli_cmd *cmd;
	int c;

	/* '+': stop at the command; its own parser takes the rest. */
	while ((c = getopt_long(argc, argv, "+s:t:hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cli.socket_path = optarg;
			break;
		case 't':
			if (!lf_cli_set_timeout(&cli, optarg))
				return lf_cli_usage(NULL, "invalid --timeout '%s' (seconds, e.g. 2.5)", optarg);
			break;
		case 'h':
			print_program_help();
			return LF_EXIT_OK;
		case 'V':
			printf("lastframe %s\n", LF_VERSION);
			return LF_EXIT_OK;
		default:
			return lf_cli_usage(NULL, "invalid option");
		}
	}
	if (optind >= argc)
		return lf_cli_usage(NULL, "no command given");
	if (!strcmp(argv[optind], "help")) {
		if (optind + 1 >= argc) {
			print_program_help();
			return LF_EXIT_OK;
		}
		cmd = find_command(argv[optind + 1]);
		if (!cmd)
			return lf_cli_usage(NULL, "unknown command '%s'", argv[optind + 1]);
		lf_cli_print_help(cmd);
		return LF_EXIT_OK;
	}
	cmd = find_command(argv[optind]);
	if (!cmd)
		return lf_cli_usage(NULL, "unknown command '%s'", argv[optind]);
	resolve_socket(&cli);
	argc -= optind;
	argv += optind;
	/* getopt_long names argv[0] in its messages: "lastframe grab: …". */
	static char prog[64];
	snprintf(prog, sizeof(prog), "lastframe %s", cmd->name);
	argv[0] = prog;
	optind = 0; /* a fresh getopt scan for the command */
	return cmd->run(&cli, argc, argv);
}
