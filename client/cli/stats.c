/* SPDX-License-Identifier: MIT */
/* lastframe stats: every counter of the daemon. */
#include <getopt.h>

#include "client/cli/cli.h"

static int run_stats(struct lf_cli *cli, int argc, char **argv);

const struct lf_cli_cmd lf_cmd_stats = {
	.name = "stats",
	.summary = "show all of the daemon's counters",
	.run = run_stats,
	.help =
	"Usage: lastframe [OPTIONS] stats [--json]\n"
	"\n"
	"Show the daemon's counters: state, clients, uptime, frames received from\n"
	"PipeWire (frames_in), published, sent to clients, dropped (superseded before\n"
	"publication), corrupted, skipped by clients without credit, copies (MemPtr\n"
	"producers), lease timeouts, refused clients, protocol errors,\n"
	"renegotiations, fence waits (waited, already signalled, timed out, p50/p99\n"
	"wait time), whether fence waiting is disabled, the measured frame rate, and\n"
	"the return guard (the PipeWire < 1.4.8 workaround, lastframed(8)): whether it\n"
	"is on, buffers given back under its busy mark (returns_guarded), marks given\n"
	"up early so the producer had a buffer (returns_unguarded), and buffers the\n"
	"producer was seen to reuse while PipeWire would refuse them, each a lost\n"
	"frame (buffers_refused, an undercount); null from a daemon too old to say.\n"
	"\n"
	"Options:\n"
	"  -j, --json          one JSON object with every counter (times in ns)\n"
	"  -s, --socket PATH   the daemon's socket\n"
	"  -t, --timeout SEC   how long to wait for the reply (default 5)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 success, 1 error (no daemon), 2 usage error.\n",
};

#define U64(x) ((unsigned long long)(x))

static void print_json(const struct lastframe_stats *s, const struct lastframe_guard_stats *g)
{
	printf("{\"state\":\"%s\",\"clients\":%u,\"uptime_ns\":%llu,\"frames_in\":%llu,"
	       "\"frames_published\":%llu,\"frames_sent\":%llu,\"frames_dropped\":%llu,"
	       "\"frames_corrupted\":%llu,\"frames_skipped\":%llu,\"copies\":%llu,"
	       "\"lease_timeouts\":%llu,\"clients_refused\":%llu,\"protocol_errors\":%llu,"
	       "\"renegotiations\":%llu,\"fence_waited\":%llu,\"fence_already_signalled\":%llu,"
	       "\"fence_timeouts\":%llu,\"fence_wait_p50_ns\":%llu,\"fence_wait_p99_ns\":%llu,"
	       "\"fence_disabled\":%s,\"fps\":%.1f,",
	       lf_state_name(s->state), s->clients, U64(s->uptime_ns), U64(s->frames_in),
	       U64(s->frames_published), U64(s->frames_sent), U64(s->frames_dropped),
	       U64(s->frames_corrupted), U64(s->frames_skipped), U64(s->copies),
	       U64(s->lease_timeouts), U64(s->clients_refused), U64(s->protocol_errors),
	       U64(s->renegotiations), U64(s->fence_waited), U64(s->fence_already_signalled),
	       U64(s->fence_timeouts), U64(s->fence_wait_p50_ns), U64(s->fence_wait_p99_ns),
	       s->fence_disabled ? "true" : "false", s->fps);
	if (g)
		printf("\"return_guard\":%s,\"returns_guarded\":%llu,\"returns_unguarded\":%llu,"
		       "\"buffers_refused\":%llu}\n", g->enabled ? "true" : "false",
		       U64(g->returns_guarded), U64(g->returns_unguarded), U64(g->buffers_refused));
	else
		printf("\"return_guard\":null,\"returns_guarded\":null,\"returns_unguarded\":null,"
		       "\"buffers_refused\":null}\n");
}

static void print_text(const struct lastframe_stats *s, const struct lastframe_guard_stats *g)
{
	printf("state:                   %s\n", lf_state_name(s->state));
	printf("clients:                 %u\n", s->clients);
	printf("uptime:                  %.1f s\n", s->uptime_ns / 1e9);
	printf("fps:                     %.1f\n", s->fps);
	printf("frames in:               %llu\n", U64(s->frames_in));
	printf("frames published:        %llu\n", U64(s->frames_published));
	printf("frames sent:             %llu\n", U64(s->frames_sent));
	printf("frames dropped:          %llu\n", U64(s->frames_dropped));
	printf("frames corrupted:        %llu\n", U64(s->frames_corrupted));
	printf("frames skipped:          %llu\n", U64(s->frames_skipped));
	printf("copies:                  %llu\n", U64(s->copies));
	printf("lease timeouts:          %llu\n", U64(s->lease_timeouts));
	printf("clients refused:         %llu\n", U64(s->clients_refused));
	printf("protocol errors:         %llu\n", U64(s->protocol_errors));
	printf("renegotiations:          %llu\n", U64(s->renegotiations));
	printf("fence waits:             %llu\n", U64(s->fence_waited));
	printf("fences already signalled: %llu\n", U64(s->fence_already_signalled));
	printf("fence timeouts:          %llu\n", U64(s->fence_timeouts));
	printf("fence wait p50/p99:      %.3f / %.3f ms\n", s->fence_wait_p50_ns / 1e6,
	       s->fence_wait_p99_ns / 1e6);
	printf("fence waiting:           %s\n", s->fence_disabled ? "disabled" : "enabled");
	if (!g) {
		printf("return guard:            unknown (older daemon)\n");
		return;
	}
	printf("return guard:            %s\n", g->enabled ? "on" : "off");
	printf("returns guarded:         %llu\n", U64(g->returns_guarded));
	printf("returns unguarded:       %llu\n", U64(g->returns_unguarded));
	printf("buffers refused:         %llu\n", U64(g->buffers_refused));
}

static int run_stats(struct lf_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		LF_CLI_COMMON_OPTS,
		{ 0 },
	};
	struct lastframe_stats st;
	struct lastframe_guard_stats gs;
	struct lastframe *lf = NULL;
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "j" LF_CLI_COMMON_SHORT, opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
			continue;
		}
		if ((r = lf_cli_common_opt(cli, &lf_cmd_stats, c, optarg)) >= 0)
			return r;
	}
	if (optind < argc)
		return lf_cli_usage("stats", "unexpected argument '%s'", argv[optind]);
	if (lf_cli_connect(cli, LASTFRAME_CONTROL_ONLY, 1, &lf) < 0)
		return LF_EXIT_ERROR;
	r = lastframe_get_stats(lf, lf_cli_timeout_ms(cli), &st);
	if (r < 0)
		lf_cli_error("cannot get the daemon's counters: %s", lastframe_strerror(r));
	else if (json)
		print_json(&st, lastframe_get_guard_stats(lf, &gs) == 0 ? &gs : NULL);
	else
		print_text(&st, lastframe_get_guard_stats(lf, &gs) == 0 ? &gs : NULL);
	lastframe_disconnect(lf);
	return r < 0 ? LF_EXIT_ERROR : LF_EXIT_OK;
}
