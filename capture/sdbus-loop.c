/* SPDX-License-Identifier: MIT */
/* sd-bus on the PipeWire loop: one io source and one timer per connection. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>

#include "capture/sdbus-loop.h"

struct lf_sdbus_loop {
	struct pw_loop *loop;
	sd_bus *bus;
	struct spa_source *io;
	struct spa_source *timer;
	void (*lost)(void *data, int res);
	void *data;
	bool dead;
};

void lf_sdbus_loop_update(struct lf_sdbus_loop *b)
{
	struct timespec value = { 0 };
	uint32_t mask = SPA_IO_IN;
	uint64_t usec = UINT64_MAX;
	int events;

	if (!b || b->dead)
		return;
	events = sd_bus_get_events(b->bus);
	if (events > 0 && (events & POLLOUT))
		mask |= SPA_IO_OUT;
	pw_loop_update_io(b->loop, b->io, mask);
	if (sd_bus_get_timeout(b->bus, &usec) < 0 || usec == UINT64_MAX) {
		pw_loop_update_timer(b->loop, b->timer, NULL, NULL, false);
		return;
	}
	/* Absolute CLOCK_MONOTONIC; 0 would disarm the timerfd, so "now" is 1 ns. */
	value.tv_sec = (time_t)(usec / 1000000);
	value.tv_nsec = (long)(usec % 1000000) * 1000L;
	if (value.tv_sec == 0 && value.tv_nsec == 0)
		value.tv_nsec = 1;
	pw_loop_update_timer(b->loop, b->timer, &value, NULL, true);
}

static void dispatch(struct lf_sdbus_loop *b)
{
	int r;

	if (b->dead)
		return;
	do {
		r = sd_bus_process(b->bus, NULL);
	} while (r > 0 && !b->dead);
	if (b->dead)
		return;
	if (r < 0 || sd_bus_is_open(b->bus) <= 0) {
		/* Quiet from here: the owner tears us down outside this call. */
		b->dead = true;
		pw_loop_update_io(b->loop, b->io, 0);
		pw_loop_update_timer(b->loop, b->timer, NULL, NULL, false);
		b->lost(b->data, r < 0 ? r : -ECONNRESET);
		return;
	}
	lf_sdbus_loop_update(b);
}

static void on_io(void *data, int fd, uint32_t mask)
{
	dispatch(data);
}

static void on_timer(void *data, uint64_t expirations)
{
	dispatch(data);
}

int lf_sdbus_loop_new(struct pw_loop *loop, sd_bus *bus, void (*lost)(void *data, int res),
		      void *data, struct lf_sdbus_loop **out)
{
	struct lf_sdbus_loop *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->loop = loop;
	b->bus = bus;
	b->lost = lost;
	b->data = data;
	b->io = pw_loop_add_io(loop, sd_bus_get_fd(bus), SPA_IO_IN, false, on_io, b);
	b->timer = pw_loop_add_timer(loop, on_timer, b);
	if (!b->io || !b->timer) {
		r = errno ? -errno : -ENOMEM;
		lf_sdbus_loop_destroy(b);
		return r;
	}
	lf_sdbus_loop_update(b);
	*out = b;
	return 0;
}

void lf_sdbus_loop_destroy(struct lf_sdbus_loop *b)
{
	if (!b)
		return;
	if (b->io)
		pw_loop_destroy_source(b->loop, b->io);
	if (b->timer)
		pw_loop_destroy_source(b->loop, b->timer);
	free(b);
}
