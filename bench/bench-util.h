/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Small helpers shared by the single-file bench programs (header only,
 * because the Makefile builds every bench .c file as its own program).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "ipc/proto.h"

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A growable array of samples in nanoseconds. */
struct bench_samples {
	int64_t *v;
	size_t n, cap;
};

static inline int bench_samples_add(struct bench_samples *s, int64_t x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		int64_t *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

static inline void bench_samples_free(struct bench_samples *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int bench_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile; sorts in place. 0 when empty. */
static inline int64_t bench_percentile(struct bench_samples *s, double p, int *sorted)
{
	size_t i;

	if (!s->n)
		return 0;
	if (!*sorted) {
		qsort(s->v, s->n, sizeof(*s->v), bench_cmp_i64);
		*sorted = 1;
	}
	i = (size_t)(p / 100.0 * (double)s->n);
	if (i >= s->n)
		i = s->n - 1;
	return s->v[i];
}

/* Print `"name":{"n":..,"p50_us":..,...}` (no leading comma). */
static inline void bench_print_dist(FILE *f, const char *name, struct bench_samples *s)
{
	int sorted = 0;
	double sum = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		sum += (double)s->v[i];
	fprintf(f, "\"%s\":{\"n\":%zu", name, s->n);
	if (s->n) {
		/* sort before the call: argument evaluation order is unspecified */
		bench_percentile(s, 50, &sorted);
		fprintf(f, ",\"mean_us\":%.2f,\"p50_us\":%.2f,\"p90_us\":%.2f,\"p99_us\":%.2f,"
			"\"min_us\":%.2f,\"max_us\":%.2f",
			sum / (double)s->n / 1e3,
			bench_percentile(s, 50, &sorted) / 1e3, bench_percentile(s, 90, &sorted) / 1e3,
			bench_percentile(s, 99, &sorted) / 1e3, s->v[0] / 1e3, s->v[s->n - 1] / 1e3);
	}
	fputc('}', f);
}

/* A FRAME-sized message for the delivery floors (sock-latency, floor-consumer
 * --relay): the sender stamps frame.send_ns right before send(). */
struct bench_relay_msg {
	struct lf_msg_frame frame;
	uint32_t stop;
};

/* Receive relay messages until one has stop set, sleeping in poll() like a
 * client; print {"program":NAME,"messages":N,"send_to_recv":{...}}.
 * Returns 0 or 1 (for _exit). */
static inline int bench_relay_receive(int fd, const char *name, double warmup_s)
{
	struct bench_samples lat = { 0 };
	uint64_t start = bench_now_ns(), n = 0;
	struct bench_relay_msg m;
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
	printf("{\"program\":\"%s\",\"messages\":%" PRIu64 ",\"bytes\":%zu,", name, n, sizeof(m));
	bench_print_dist(stdout, "send_to_recv", &lat);
	printf("}\n");
	fflush(stdout);
	ret = 0;
out:
	bench_samples_free(&lat);
	return ret;
}
