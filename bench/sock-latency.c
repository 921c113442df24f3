/* SPDX-License-Identifier: MIT */
/*
 * sock-latency: the floor for FRAME delivery. Two processes on an AF_UNIX
 * SOCK_SEQPACKET socketpair; the sender wakes at a fixed rate (60 Hz like a
 * screencast) and sends a FRAME-sized message stamped with CLOCK_MONOTONIC;
 * the receiver sleeps in poll(), wakes, recvmsg()s and records receive − send.
 * This is what lastframed → liblastframe delivery costs at the least on this
 * machine under its current load (wake-up of an idle process + one packet),
 * measured in the same bench run as the daemon.
 *
 * Prints one JSON line: {"program":"sock-latency",...,"send_to_recv":{...}}.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc/proto.h"
#include "bench/bench-util.h"

struct msg {
	struct lf_msg_frame frame; /* same size as a real FRAME without extras */
	uint32_t stop;
};

static int receiver(int fd, double warmup_s)
{
	struct bench_samples lat = { 0 };
	uint64_t start = bench_now_ns(), n = 0;
	struct msg m;
	int ret = 1;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;
		uint64_t now;

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		r = recv(fd, &m, sizeof(m), MSG_DONTWAIT);
		now = bench_now_ns();
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r != (ssize_t)sizeof(m))
			goto out;
		if (m.stop)
			break;
		n++;
		if (now - start >= (uint64_t)(warmup_s * 1e9) &&
		    bench_samples_add(&lat, (int64_t)(now - m.frame.send_ns)) < 0)
			goto out;
	}
	printf("{\"program\":\"sock-latency\",\"messages\":%" PRIu64 ",\"bytes\":%zu,", n, sizeof(m));
	bench_print_dist(stdout, "send_to_recv", &lat);
	printf("}\n");
	fflush(stdout);
	ret = 0;
out:
	bench_samples_free(&lat);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: sock-latency [--rate HZ] [--duration SEC] [--warmup SEC]\n"
		"\n"
		"One-way latency of a FRAME-sized AF_UNIX SOCK_SEQPACKET message to an\n"
		"idle process woken from poll(), sent HZ times a second (default 60)\n"
		"for SEC seconds (default 5) after a warm-up (default 0.5).\n"
		"Prints one JSON line with the send→receive distribution.\n");
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double rate = 60, duration = 5, warmup = 0.5;
	int sv[2] = { -1, -1 }, c, status, ret = 1;
	struct timespec next;
	uint64_t period, end;
	struct msg m;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "r:d:w:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'r': rate = atof(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (rate <= 0 || rate > 100000 || duration <= 0) {
		usage(stderr);
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "sock-latency: socketpair: %m\n");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "sock-latency: fork: %m\n");
		goto out;
	}
	if (pid == 0) {
		close(sv[0]);
		_exit(receiver(sv[1], warmup));
	}
	close(sv[1]);
	sv[1] = -1;

	memset(&m, 0, sizeof(m));
	m.frame.hdr.type = LF_MSG_FRAME;
	m.frame.hdr.length = sizeof(m);
	period = (uint64_t)(1e9 / rate);
	clock_gettime(CLOCK_MONOTONIC, &next);
	end = bench_now_ns() + (uint64_t)((duration + warmup) * 1e9);
	while (bench_now_ns() < end) {
		uint64_t t = (uint64_t)next.tv_sec * 1000000000ull + (uint64_t)next.tv_nsec + period;
		next.tv_sec = (time_t)(t / 1000000000ull);
		next.tv_nsec = (long)(t % 1000000000ull);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		m.frame.seq++;
		m.frame.send_ns = bench_now_ns();
		if (send(sv[0], &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m)) {
			fprintf(stderr, "sock-latency: send: %m\n");
			goto out;
		}
	}
	m.stop = 1;
	if (send(sv[0], &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
		goto out;
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		ret = 0;
	pid = 0;
out:
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return ret;
}
