/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * An sd_bus connection dispatched from a pw_loop: its fd as an io source, its
 * next timeout as a timer. Nothing blocks; after queueing calls, call
 * lf_sdbus_loop_update so a pending write or timeout is armed.
 */
#include <systemd/sd-bus.h>
#include <pipewire/pipewire.h>

struct lf_sdbus_loop;

/* lost(data, res): the connection broke (res < 0 or -ECONNRESET); the owner
 * frees it (not from inside lost: defer). */
int lf_sdbus_loop_new(struct pw_loop *loop, sd_bus *bus, void (*lost)(void *data, int res),
		      void *data, struct lf_sdbus_loop **out);
void lf_sdbus_loop_update(struct lf_sdbus_loop *b);
/* Removes the sources; the bus stays the caller's. */
void lf_sdbus_loop_destroy(struct lf_sdbus_loop *b);
