/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdint.h>
#include <time.h>

#define LF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline uint64_t lf_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Close an fd we own and mark it gone; safe on -1. */
#include <unistd.h>
static inline void lf_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
