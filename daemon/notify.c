/* SPDX-License-Identifier: MIT */
#include "daemon/notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/debug/types.h>
#include <spa/param/video/type-info.h>
#include <systemd/sd-daemon.h>

#include "base/log.h"
#include "base/util.h"

#define STATUS_MIN_INTERVAL_NS 1000000000ull

struct lf_notify {
	struct pw_loop *loop;
	struct spa_source *watchdog_timer;
	struct spa_source *status_timer;
	uint64_t watchdog_usec;
	uint64_t last_status_ns;
	bool status_pending;
	char sent[256];
	char pending[256];
};

static void send_line(const char *line)
{
	int r = sd_notify(0, line);

	if (r < 0)
		lf_warn("sd_notify(%s): %s", line, strerror(-r));
}

static void on_watchdog(void *data, uint64_t expirations)
{
	send_line("WATCHDOG=1");
}

static void send_status(struct lf_notify *n, const char *status)
{
	char line[300];

	snprintf(line, sizeof(line), "STATUS=%s", status);
	send_line(line);
	snprintf(n->sent, sizeof(n->sent), "%s", status);
	n->last_status_ns = lf_now_ns();
	n->status_pending = false;
}

static void on_status_timer(void *data, uint64_t expirations)
{
	struct lf_notify *n = data;

	if (n->status_pending && strcmp(n->pending, n->sent) != 0)
		send_status(n, n->pending);
	n->status_pending = false;
}

int lf_notify_new(struct pw_loop *loop, struct lf_notify **out)
{
	struct lf_notify *n = calloc(1, sizeof(*n));
	uint64_t usec = 0;
	int r;

	if (!n)
		return -ENOMEM;
	n->loop = loop;
	n->status_timer = pw_loop_add_timer(loop, on_status_timer, n);
	if (!n->status_timer) {
		r = errno ? -errno : -ENOMEM;
		goto fail;
	}
	/* unset_environment=0: a child (none today) could not use it anyway,
	 * and keeping it lets the value be logged. */
	r = sd_watchdog_enabled(0, &usec);
	if (r < 0) {
		lf_warn("invalid watchdog settings from systemd (WATCHDOG_USEC): %s", strerror(-r));
		usec = 0;
	}
	if (usec > 0) {
		struct timespec value, interval;
		uint64_t half = usec / 2;

		n->watchdog_timer = pw_loop_add_timer(loop, on_watchdog, n);
		if (!n->watchdog_timer) {
			r = errno ? -errno : -ENOMEM;
			goto fail;
		}
		interval.tv_sec = (time_t)(half / 1000000);
		interval.tv_nsec = (long)(half % 1000000) * 1000;
		value = interval;
		pw_loop_update_timer(loop, n->watchdog_timer, &value, &interval, false);
		n->watchdog_usec = usec;
		lf_info("systemd watchdog: %llu ms, pinging every %llu ms",
			(unsigned long long)(usec / 1000), (unsigned long long)(half / 1000));
	}
	*out = n;
	return 0;
fail:
	lf_notify_destroy(n);
	return r;
}

void lf_notify_destroy(struct lf_notify *n)
{
	if (!n)
		return;
	if (n->watchdog_timer)
		pw_loop_destroy_source(n->loop, n->watchdog_timer);
	if (n->status_timer)
		pw_loop_destroy_source(n->loop, n->status_timer);
	free(n);
}

void lf_notify_ready(struct lf_notify *n)
{
	send_line("READY=1");
}

void lf_notify_stopping(struct lf_notify *n)
{
	send_line("STOPPING=1");
}

uint64_t lf_notify_watchdog_usec(struct lf_notify *n)
{
	return n->watchdog_usec;
}

void lf_notify_status(struct lf_notify *n, const char *status)
{
	uint64_t now = lf_now_ns(), due;
	struct timespec value;

	if (strcmp(status, n->sent) == 0) {
		n->status_pending = false;
		return;
	}
	if (n->last_status_ns == 0 || now - n->last_status_ns >= STATUS_MIN_INTERVAL_NS) {
		send_status(n, status);
		return;
	}
	snprintf(n->pending, sizeof(n->pending), "%s", status);
	if (n->status_pending)
		return; /* the timer is already armed */
	n->status_pending = true;
	due = n->last_status_ns + STATUS_MIN_INTERVAL_NS;
	value.tv_sec = (time_t)(due / 1000000000ull);
	value.tv_nsec = (long)(due % 1000000000ull);
	pw_loop_update_timer(n->loop, n->status_timer, &value, NULL, true);
}

void lf_status_format(char *buf, size_t len, const struct lf_status_info *info)
{
	const struct lf_video_format *f = info->format;
	const char *fmt_name = NULL;
	char clients[48];

	if (f)
		fmt_name = spa_debug_type_find_short_name(spa_type_video_format, f->spa_format);
	if (!fmt_name)
		fmt_name = "unknown format";
	snprintf(clients, sizeof(clients), "%u client%s", info->n_clients,
		 info->n_clients == 1 ? "" : "s");

	switch (info->state) {
	case LF_STREAM_STREAMING:
		if (f) {
			snprintf(buf, len, "streaming %ux%u %s %u.%u fps to %s", f->width, f->height,
				 fmt_name, info->fps_milli / 1000, (info->fps_milli % 1000) / 100,
				 clients);
			break;
		}
		/* streaming without a format cannot last: say paused */
		/* fall through */
	case LF_STREAM_PAUSED:
		if (f)
			snprintf(buf, len, "paused (%ux%u %s), %s", f->width, f->height, fmt_name, clients);
		else
			snprintf(buf, len, "paused, %s", clients);
		break;
	case LF_STREAM_NONE:
	default:
		snprintf(buf, len, "waiting for %s, %s",
			 info->waiting_for ? info->waiting_for : "screencast node", clients);
		break;
	}
}
