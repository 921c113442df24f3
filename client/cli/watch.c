/* SPDX-License-Identifier: MIT */
/* lastframe watch: per-second frame rate, latency and skipped frames. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/cli/cli.h"

static int run_watch(struct lf_cli *cli, int argc, char **argv);

const struct lf_cli_cmd lf_cmd_watch = {
	.name = "watch",
	.summary = "print frame rate, latency and skipped frames every second",
	.run = run_watch,
	.help =
	"Usage: lastframe [OPTIONS] watch [--frames N] [--json] [--gpu]\n"
	"\n"
	"Receive frames and print one line per second: frames per second, the\n"
	"latency from the daemon receiving a frame to lastframe receiving it (p50 and\n"
	"p99), the latency from the producer's timestamp to lastframe receiving it\n"
	"(when the producer sends timestamps), and the frames skipped because this\n"
	"client was busy. Every frame is released as soon as it arrives.\n"
	"Runs until interrupted (Ctrl-C) or until N frames have arrived; a last line\n"
	"covers the partial second at the end.\n"
	"\n"
	"Waits up to --timeout seconds for the first frame.\n"
	"\n"
	"Options:\n"
	"  -n, --frames N      stop after N frames\n"
	"  -j, --json          one JSON object per line: {\"t_s\",\"frames\",\"fps\",\n"
	"                      \"latency_p50_us\",\"latency_p99_us\",\"pts_latency_p50_us\",\n"
	"                      \"pts_latency_p99_us\",\"skipped\",\"seq\"} (pts fields are\n"
	"                      null without producer timestamps)\n"
	"  -g, --gpu           connect as a GPU client (one that imports dmabufs with\n"
	"                      their modifiers itself): get the producer's buffers as\n"
	"                      they are, tiled ones included, never the daemon's copy\n"
	"  -s, --socket PATH   the daemon's socket\n"
	"  -t, --timeout SEC   how long to wait for the first frame (default 5)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 success (or interrupted), 1 error (no daemon, no frame,\n"
	"daemon went away), 2 usage error.\n",
};

struct samples {
	uint64_t *v;
	size_t n, cap;
};

struct interval {
	uint64_t start_ns;
	uint64_t frames, skipped, last_seq;
	struct samples lat, pts;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int samples_add(struct samples *s, uint64_t v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		uint64_t *p = realloc(s->v, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile, in µs; the samples get sorted. */
static double percentile_us(struct samples *s, unsigned pct)
{
	size_t k;

	if (!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	k = (s->n * pct + 99) / 100;
	return s->v[k ? k - 1 : 0] / 1000.0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void print_interval(struct interval *iv, uint64_t t0, uint64_t end, bool json)
{
	double secs = (end - iv->start_ns) / 1e9;
	double fps = secs > 0 ? iv->frames / secs : 0;
	double l50 = percentile_us(&iv->lat, 50), l99 = percentile_us(&iv->lat, 99);
	double p50 = percentile_us(&iv->pts, 50), p99 = percentile_us(&iv->pts, 99);

	if (json) {
		printf("{\"t_s\":%.3f,\"frames\":%llu,\"fps\":%.1f,\"latency_p50_us\":%.1f,"
		       "\"latency_p99_us\":%.1f,", (end - t0) / 1e9,
		       (unsigned long long)iv->frames, fps, l50, l99);
		if (iv->pts.n)
			printf("\"pts_latency_p50_us\":%.1f,\"pts_latency_p99_us\":%.1f,", p50, p99);
		else
			printf("\"pts_latency_p50_us\":null,\"pts_latency_p99_us\":null,");
		printf("\"skipped\":%llu,\"seq\":%llu}\n", (unsigned long long)iv->skipped,
		       (unsigned long long)iv->last_seq);
	} else {
		printf("%7.1fs  fps %6.1f  latency p50 %.3f ms p99 %.3f ms", (end - t0) / 1e9, fps,
		       l50 / 1000, l99 / 1000);
		if (iv->pts.n)
			printf("  pts->client p50 %.3f ms p99 %.3f ms", p50 / 1000, p99 / 1000);
		else
			printf("  pts->client n/a");
		printf("  skipped %llu\n", (unsigned long long)iv->skipped);
	}
	fflush(stdout);
	iv->start_ns = end;
	iv->frames = iv->skipped = 0;
	iv->lat.n = iv->pts.n = 0;
}

static int take_frames(struct lastframe *lf, struct interval *iv, uint64_t *total, uint64_t limit)
{
	struct lastframe_frame *f;
	int r;

	while ((!limit || *total < limit) && (r = lastframe_next_frame(lf, 0, &f)) == 0) {
		iv->frames++;
		iv->skipped += f->skipped;
		iv->last_seq = f->seq;
		r = samples_add(&iv->lat, f->client_recv_ns - f->daemon_recv_ns);
		if (r == 0 && f->pts_ns && f->client_recv_ns > f->pts_ns)
			r = samples_add(&iv->pts, f->client_recv_ns - f->pts_ns);
		lastframe_frame_release(lf, f);
		(*total)++;
		if (r < 0)
			return r;
	}
	return 0;
}

static int watch_loop(struct lastframe *lf, struct lf_cli *cli, uint64_t limit, bool json)
{
	struct interval iv = { 0 };
	uint64_t t0 = now_ns(), total = 0;
	uint64_t first_deadline = t0 + (uint64_t)lf_cli_timeout_ms(cli) * 1000000u;
	sigset_t block, old;
	int r = 0;

	iv.start_ns = t0;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	/* Signals only interrupt ppoll(), so a Ctrl-C is never lost between
	 * checking `stop` and going to sleep. */
	sigprocmask(SIG_BLOCK, &block, &old);
	while (!stop && (!limit || total < limit)) {
		uint64_t now = now_ns(), wake = iv.start_ns + 1000000000u;
		if (total == 0 && first_deadline < wake)
			wake = first_deadline;
		if (now < wake) {
			struct pollfd p = { .fd = lastframe_get_fd(lf), .events = POLLIN };
			struct timespec ts = { (time_t)((wake - now) / 1000000000u),
					       (long)((wake - now) % 1000000000u) };
			if (ppoll(&p, 1, &ts, &old) < 0 && errno != EINTR) {
				r = -errno;
				break;
			}
			r = lastframe_dispatch(lf);
			if (r < 0)
				break;
			r = take_frames(lf, &iv, &total, limit);
			if (r < 0)
				break;
			now = now_ns();
		}
		if (total == 0 && now >= first_deadline) {
			r = -ETIMEDOUT;
			break;
		}
		if (now >= iv.start_ns + 1000000000u)
			print_interval(&iv, t0, now, json);
	}
	if (r == 0 && iv.frames)
		print_interval(&iv, t0, now_ns(), json);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r == -ETIMEDOUT)
		lf_cli_explain_no_frame(lf, cli, r);
	else if (r < 0)
		lf_cli_error("watch stopped: %s", lastframe_strerror(r));
	free(iv.lat.v);
	free(iv.pts.v);
	return r;
}

static int run_watch(struct lf_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "frames", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "gpu", no_argument, NULL, 'g' },
		LF_CLI_COMMON_OPTS,
		{ 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct lastframe *lf = NULL;
	unsigned long long limit = 0;
	bool json = false;
	char *end;
	int c, r;

	while ((c = getopt_long(argc, argv, "n:jg" LF_CLI_COMMON_SHORT, opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
			continue;
		}
		if (c == 'g') {
			cli->gpu_import = true;
			continue;
		}
		if (c == 'n') {
			errno = 0;
			limit = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || limit == 0 || optarg[0] == '-')
				return lf_cli_usage("watch", "invalid --frames '%s' (a count >= 1)", optarg);
			continue;
		}
		if ((r = lf_cli_common_opt(cli, &lf_cmd_watch, c, optarg)) >= 0)
			return r;
	}
	if (optind < argc)
		return lf_cli_usage("watch", "unexpected argument '%s'", argv[optind]);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (lf_cli_connect(cli, 0, 1, &lf) < 0)
		return LF_EXIT_ERROR;
	r = watch_loop(lf, cli, limit, json);
	lastframe_disconnect(lf);
	return r < 0 ? LF_EXIT_ERROR : LF_EXIT_OK;
}
