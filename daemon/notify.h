/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * systemd service manager protocol: READY=1, STATUS= (deduplicated and sent
 * at most once a second), WATCHDOG=1 from a loop timer at half the interval
 * systemd asks for, STOPPING=1. Harmless without NOTIFY_SOCKET.
 */
#include <stdbool.h>
#include <stdint.h>

#include <pipewire/pipewire.h>

#include "base/frame.h"

struct lf_notify;

int lf_notify_new(struct pw_loop *loop, struct lf_notify **out);
void lf_notify_destroy(struct lf_notify *n);

void lf_notify_ready(struct lf_notify *n);
void lf_notify_stopping(struct lf_notify *n);
/* Sends status now, or within a second when one was sent less than a second ago. */
void lf_notify_status(struct lf_notify *n, const char *status);
/* The watchdog interval systemd asked for, 0 when none. */
uint64_t lf_notify_watchdog_usec(struct lf_notify *n);

/* What STATUS= says; pure, for the unit tests. */
struct lf_status_info {
	enum lf_stream_state state;
	const struct lf_video_format *format; /* NULL when none */
	uint32_t fps_milli;
	uint32_t n_clients;
	const char *waiting_for;              /* NONE: what we wait for, e.g. "Mutter" */
};
void lf_status_format(char *buf, size_t len, const struct lf_status_info *info);
