/* SPDX-License-Identifier: MIT */
/*
 * lf-client: N liblastframe connections in one process (one poll loop), each
 * receiving and releasing every frame without touching pixels (unless --map).
 * It measures, after a warm-up:
 *   pts_to_recv     producer pts → this library received the FRAME
 *   send_to_recv    daemon send_ns → client_recv_ns   (FRAME delivery)
 *   drecv_to_recv   daemon recv_ns → client_recv_ns   (daemon + delivery)
 *   fanout_send     per frame: first daemon send_ns → last client receive
 *                   (only frames that reached every connection)
 *   fanout_drecv    per frame: daemon recv_ns → last client receive
 * All clocks are CLOCK_MONOTONIC on one machine. Receive times of later
 * connections include this process handling the earlier ones (one thread),
 * as they would for any single-threaded multi-connection client.
 *
 * SIGUSR1 prints a mark line; SIGTERM/SIGINT or --duration end the run with a
 * JSON summary line on stdout. --churn MS disconnects and reconnects one
 * connection (round robin) every MS ms (memory/fd stability runs).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "client/lastframe.h"
#include "bench/bench-util.h"

#define MAX_CONNS 256
#define RING 1024

struct conn {
	struct lastframe *lf;
	uint64_t frames, skipped;
};

struct fan_slot {
	uint64_t seq;
	uint64_t first_send, drecv, last_recv;
	uint32_t count;
	bool used, measured;
};

struct bench {
	struct conn conns[MAX_CONNS];
	unsigned n;
	const char *socket_path;
	bool map, touch_fanout;
	uint64_t start_ns, warmup_ns;
	uint64_t marks, errors, reconnects, disconnects, no_pts, map_errors;
	uint64_t fan_complete, fan_incomplete;
	struct fan_slot ring[RING];
	struct bench_samples pts_to_recv, send_to_recv, drecv_to_recv, fan_send, fan_drecv;
	int err;
};

static int conn_open(struct bench *b, unsigned i)
{
	char name[32];
	struct lastframe_options o = { .socket_path = b->socket_path, .name = name, .max_held = 1 };

	snprintf(name, sizeof(name), "bench-%u", i);
	return lastframe_connect(&o, &b->conns[i].lf);
}

static void conn_close(struct bench *b, unsigned i)
{
	if (b->conns[i].lf)
		lastframe_disconnect(b->conns[i].lf);
	b->conns[i].lf = NULL;
}

static void fan_finish(struct bench *b, struct fan_slot *s)
{
	if (!s->used || !s->measured)
		return;
	if (s->count == b->n && b->touch_fanout) {
		b->fan_complete++;
		if (bench_samples_add(&b->fan_send, (int64_t)(s->last_recv - s->first_send)) < 0 ||
		    bench_samples_add(&b->fan_drecv, (int64_t)(s->last_recv - s->drecv)) < 0)
			b->err = -ENOMEM;
	} else {
		b->fan_incomplete++;
	}
	s->used = false;
}

static void record(struct bench *b, const struct lastframe_frame *f)
{
	struct fan_slot *s = &b->ring[f->seq % RING];
	bool measured = f->client_recv_ns - b->start_ns >= b->warmup_ns;

	if (!s->used || s->seq != f->seq) {
		fan_finish(b, s);
		*s = (struct fan_slot){ .seq = f->seq, .first_send = f->daemon_send_ns,
					.drecv = f->daemon_recv_ns, .used = true, .measured = measured };
	}
	s->count++;
	if (f->daemon_send_ns < s->first_send)
		s->first_send = f->daemon_send_ns;
	if (f->client_recv_ns > s->last_recv)
		s->last_recv = f->client_recv_ns;
	if (!measured)
		return;
	if (f->pts_ns) {
		if (bench_samples_add(&b->pts_to_recv, (int64_t)(f->client_recv_ns - f->pts_ns)) < 0)
			b->err = -ENOMEM;
	} else {
		b->no_pts++;
	}
	if (bench_samples_add(&b->send_to_recv, (int64_t)(f->client_recv_ns - f->daemon_send_ns)) < 0 ||
	    bench_samples_add(&b->drecv_to_recv, (int64_t)(f->client_recv_ns - f->daemon_recv_ns)) < 0)
		b->err = -ENOMEM;
}

/* Drain one connection: dispatch, take every queued frame, release it. */
static int conn_service(struct bench *b, unsigned i)
{
	struct conn *c = &b->conns[i];
	struct lastframe_frame *f;
	int r;

	r = lastframe_dispatch(c->lf);
	if (r < 0)
		return r;
	while ((r = lastframe_next_frame(c->lf, 0, &f)) == 0) {
		c->frames++;
		c->skipped += f->skipped;
		record(b, f);
		if (b->map && f->n_planes > 0) {
			const void *px;
			size_t len;
			if (lastframe_frame_map(c->lf, f, 0, &px, &len) == 0) {
				volatile uint8_t x = len ? ((const uint8_t *)px)[0] : 0;
				(void)x;
				lastframe_frame_unmap(c->lf, f, 0);
			} else {
				b->map_errors++;
			}
		}
		r = lastframe_frame_release(c->lf, f);
		if (r < 0)
			return r;
	}
	return r == -EAGAIN ? 0 : r;
}

static void print_mark(struct bench *b)
{
	uint64_t all = 0;
	unsigned i;

	for (i = 0; i < b->n; i++)
		all += b->conns[i].frames;
	printf("{\"mark\":%" PRIu64 ",\"t_ns\":%" PRIu64 ",\"frames\":%" PRIu64
	       ",\"frames_all\":%" PRIu64 "}\n",
	       b->marks++, bench_now_ns(), b->conns[0].frames, all);
	fflush(stdout);
}

static void print_summary(struct bench *b, double duration)
{
	uint64_t fmin = UINT64_MAX, fmax = 0, skipped = 0;
	unsigned i;

	for (i = 0; i < RING; i++)
		fan_finish(b, &b->ring[i]);
	for (i = 0; i < b->n; i++) {
		if (b->conns[i].frames < fmin)
			fmin = b->conns[i].frames;
		if (b->conns[i].frames > fmax)
			fmax = b->conns[i].frames;
		skipped += b->conns[i].skipped;
	}
	printf("{\"program\":\"lf-client\",\"clients\":%u,\"frames_min\":%" PRIu64
	       ",\"frames_max\":%" PRIu64 ",\"skipped\":%" PRIu64 ",\"errors\":%" PRIu64
	       ",\"disconnects\":%" PRIu64 ",\"reconnects\":%" PRIu64 ",\"no_pts\":%" PRIu64
	       ",\"map_errors\":%" PRIu64 ",\"fanout_complete\":%" PRIu64
	       ",\"fanout_incomplete\":%" PRIu64 ",\"elapsed_s\":%.3f,",
	       b->n, fmin, fmax, skipped, b->errors, b->disconnects, b->reconnects, b->no_pts,
	       b->map_errors, b->fan_complete, b->fan_incomplete, duration);
	bench_print_dist(stdout, "pts_to_recv", &b->pts_to_recv);
	putchar(',');
	bench_print_dist(stdout, "send_to_recv", &b->send_to_recv);
	putchar(',');
	bench_print_dist(stdout, "drecv_to_recv", &b->drecv_to_recv);
	putchar(',');
	bench_print_dist(stdout, "fanout_send", &b->fan_send);
	putchar(',');
	bench_print_dist(stdout, "fanout_drecv", &b->fan_drecv);
	printf("}\n");
	fflush(stdout);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: lf-client [--socket PATH] [--clients N] [--duration SEC] [--warmup SEC]\n"
		"                 [--churn MS] [--map]\n"
		"\n"
		"Open N liblastframe connections in one process and receive/release every\n"
		"frame; report latency and fan-out distributions as one JSON line.\n"
		"\n"
		"  --socket PATH    daemon socket (default: $LASTFRAME_SOCKET or the user default)\n"
		"  --clients N      connections, 1..%d (default 1)\n"
		"  --duration SEC   stop after SEC seconds (default: until SIGTERM)\n"
		"  --warmup SEC     ignore samples of the first SEC seconds (default 1)\n"
		"  --churn MS       every MS ms close one connection and open it again\n"
		"  --map            map plane 0 of each frame and read one byte\n"
		"\n"
		"SIGUSR1 prints {\"mark\":K,\"t_ns\":T,\"frames\":N,\"frames_all\":M}.\n"
		"Exit status: 0 ok, 1 error (cannot connect, daemon gone), 2 usage.\n", MAX_CONNS);
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "clients", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "churn", required_argument, NULL, 'c' },
		{ "map", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct bench b; /* large: keep it off the stack */
	struct pollfd pfd[MAX_CONNS + 1];
	double duration = 0, warmup = 1;
	uint64_t churn_ns = 0, end_ns = 0, next_churn = 0, now;
	unsigned churn_next = 0, i;
	sigset_t mask;
	int sfd = -1, c, r, ret = 1;
	bool quit = false;

	b.n = 1;
	while ((c = getopt_long(argc, argv, "s:n:d:w:c:mh", long_opts, NULL)) != -1) {
		switch (c) {
		case 's': b.socket_path = optarg; break;
		case 'n': b.n = (unsigned)atoi(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'c': churn_ns = (uint64_t)atoll(optarg) * 1000000ull; break;
		case 'm': b.map = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (b.n < 1 || b.n > MAX_CONNS) {
		usage(stderr);
		return 2;
	}
	b.touch_fanout = churn_ns == 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		goto out;
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		fprintf(stderr, "lf-client: signalfd: %m\n");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < b.n; i++) {
		r = conn_open(&b, i);
		if (r < 0) {
			fprintf(stderr, "lf-client: connection %u: %s\n", i, lastframe_strerror(r));
			goto out;
		}
	}
	printf("{\"ready\":true}\n");
	fflush(stdout);
	b.start_ns = bench_now_ns();
	b.warmup_ns = (uint64_t)(warmup * 1e9);
	if (duration > 0)
		end_ns = b.start_ns + (uint64_t)(duration * 1e9);
	if (churn_ns)
		next_churn = b.start_ns + churn_ns;

	while (!quit && !b.err) {
		uint64_t deadline = 0;
		int timeout = -1;

		for (i = 0; i < b.n; i++) {
			pfd[i].fd = b.conns[i].lf ? lastframe_get_fd(b.conns[i].lf) : -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		pfd[b.n] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		now = bench_now_ns();
		if (end_ns)
			deadline = end_ns;
		if (next_churn && (!deadline || next_churn < deadline))
			deadline = next_churn;
		if (deadline)
			timeout = deadline > now ? (int)((deadline - now + 999999) / 1000000) : 0;
		r = poll(pfd, b.n + 1, timeout);
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "lf-client: poll: %m\n");
			goto out;
		}
		for (i = 0; r > 0 && i < b.n; i++) {
			if (!pfd[i].revents || !b.conns[i].lf)
				continue;
			int e = conn_service(&b, i);
			if (e < 0) {
				/* The daemon closed us or went away: count it, keep going
				 * with the others so one failure does not end the run. */
				fprintf(stderr, "lf-client: connection %u: %s\n", i, lastframe_strerror(e));
				b.errors++;
				b.disconnects++;
				conn_close(&b, i);
			}
		}
		if (pfd[b.n].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGUSR1)
					print_mark(&b);
				else
					quit = true;
			}
		}
		now = bench_now_ns();
		if (end_ns && now >= end_ns)
			quit = true;
		if (next_churn && now >= next_churn) {
			unsigned k = churn_next++ % b.n;
			conn_close(&b, k);
			r = conn_open(&b, k);
			if (r < 0) {
				fprintf(stderr, "lf-client: reconnect %u: %s\n", k, lastframe_strerror(r));
				b.errors++;
			} else {
				b.reconnects++;
			}
			next_churn += churn_ns;
		}
		for (i = 0; i < b.n && !quit; i++)
			if (b.conns[i].lf)
				break;
		if (i == b.n && !churn_ns) {
			fprintf(stderr, "lf-client: every connection is gone\n");
			break;
		}
	}
	print_summary(&b, (bench_now_ns() - b.start_ns) / 1e9);
	ret = b.err < 0 || b.errors ? 1 : 0;
out:
	for (i = 0; i < b.n; i++)
		conn_close(&b, i);
	if (sfd >= 0)
		close(sfd);
	bench_samples_free(&b.pts_to_recv);
	bench_samples_free(&b.send_to_recv);
	bench_samples_free(&b.drecv_to_recv);
	bench_samples_free(&b.fan_send);
	bench_samples_free(&b.fan_drecv);
	return ret;
}
