/* SPDX-License-Identifier: MIT */
/* Connection: connect + handshake, sending, waiting, teardown. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client/lib/client.h"

uint64_t lf_client_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int lf_client_send(struct lastframe *lf, const void *msg, size_t len)
{
	ssize_t n;

	if (lf->dead)
		return lf->dead;
	do
		n = send(lf->fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int r = -errno;
		/* The socket buffer is far larger than what a client can queue;
		 * EAGAIN means the daemon stopped reading: treat it as gone. */
		if (r == -EPIPE || r == -ECONNRESET || r == -ENOTCONN)
			lf->dead = -ECONNRESET;
		return r == -EAGAIN ? -EIO : r;
	}
	return (size_t)n == len ? 0 : -EIO;
}

int lf_client_wait(struct lastframe *lf, int timeout_ms,
		   bool (*cond)(struct lastframe *lf, void *data), void *data)
{
	uint64_t deadline = timeout_ms > 0 ? lf_client_now_ns() + (uint64_t)timeout_ms * 1000000u : 0;
	int r;

	for (;;) {
		/* What already arrived counts even when the connection has died
		 * since: frames received before a BYE are still good. */
		if (cond(lf, data))
			return 0;
		r = lf_client_read_one(lf, NULL);
		if (r > 0) {
			if (lf->pending_error) {
				r = lf->pending_error;
				lf->pending_error = 0;
				return r;
			}
			continue;
		}
		if (r < 0)
			return r;

		int wait_ms = -1;
		if (timeout_ms == 0)
			return -EAGAIN;
		if (timeout_ms > 0) {
			uint64_t now = lf_client_now_ns();
			if (now >= deadline)
				return -ETIMEDOUT;
			wait_ms = (int)((deadline - now + 999999) / 1000000);
		}
		struct pollfd p = { .fd = lf->fd, .events = POLLIN };
		r = poll(&p, 1, wait_ms);
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int resolve_path(const struct lastframe_options *opts, struct sockaddr_un *sa)
{
	const char *p = opts ? opts->socket_path : NULL;
	char tmp[sizeof(sa->sun_path) + 64];
	int n;

	if (!p || !*p)
		p = getenv("LASTFRAME_SOCKET");
	if (p && *p) {
		n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", p);
	} else {
		const char *rt = getenv("XDG_RUNTIME_DIR");
		if (rt && *rt)
			n = snprintf(tmp, sizeof(tmp), "%s/lastframe/socket", rt);
		else
			n = snprintf(tmp, sizeof(tmp), "/run/user/%u/lastframe/socket", (unsigned)getuid());
		if (n < 0 || (size_t)n >= sizeof(sa->sun_path))
			return -ENAMETOOLONG;
		memcpy(sa->sun_path, tmp, (size_t)n + 1);
	}
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	sa->sun_family = AF_UNIX;
	return 0;
}

static bool got_welcome(struct lastframe *lf, void *data)
{
	return lf->version != 0;
}

static int default_name(char *buf, size_t len)
{
	extern char *program_invocation_short_name;
	snprintf(buf, len, "%s", program_invocation_short_name ? program_invocation_short_name : "");
	return 0;
}

int lastframe_connect(const struct lastframe_options *opts, struct lastframe **out)
{
	struct sockaddr_un sa = { 0 };
	struct lf_msg_hello hello;
	struct lastframe *lf = NULL;
	char name[LF_PROTO_NAME_LEN];
	/* Only sizes STATS: always asked. */
	uint32_t caps = LF_CAP_STATS_EXT, max_held = 1;
	int r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (opts) {
		if (opts->max_held > 3)
			return -EINVAL;
		if (opts->max_held)
			max_held = opts->max_held;
		if (opts->flags & LASTFRAME_EARLY_FENCES)
			caps |= LF_CAP_EARLY_FENCES;
		if (opts->flags & LASTFRAME_CURSOR_BITMAP)
			caps |= LF_CAP_CURSOR_BITMAP;
		if (opts->flags & LASTFRAME_CONTROL_ONLY)
			caps |= LF_CAP_NO_FRAMES;
		if (opts->flags & LASTFRAME_GPU_IMPORT)
			caps |= LF_CAP_GPU_IMPORT;
	}
	r = resolve_path(opts, &sa);
	if (r < 0)
		return r;

	lf = calloc(1, sizeof(*lf));
	if (!lf)
		return -ENOMEM;
	lf->fd = -1;
	lf->rx = malloc(LF_PROTO_MAX_MSG);
	if (!lf->rx) {
		r = -ENOMEM;
		goto fail;
	}
	/* Non-blocking throughout: every wait is a poll() with the caller's timeout. */
	lf->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lf->fd < 0) {
		r = -errno;
		goto fail;
	}
	/* A full listen backlog makes a non-blocking AF_UNIX connect fail with
	 * EAGAIN rather than wait: retry briefly instead of reporting it. */
	for (int tries = 0;; tries++) {
		if (connect(lf->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		r = -errno;
		if (r == -EINTR)
			continue;
		if (r != -EAGAIN || tries >= 100)
			goto fail;
		poll(NULL, 0, 10);
	}

	if (opts && opts->name)
		snprintf(name, sizeof(name), "%s", opts->name);
	else
		default_name(name, sizeof(name));
	lf_client_build_hello(&hello, name, caps, max_held);
	r = lf_client_send(lf, &hello, sizeof(hello));
	if (r < 0) {
		/* A daemon refusing us (EACCES, EBUSY) sends ERROR and closes before
		 * reading HELLO: report its reason rather than EPIPE. */
		int err = r;
		lf->dead = 0;
		r = lf_client_read_one(lf, NULL);
		if (!lf->pending_error)
			r = err;
		else
			r = lf->pending_error;
		goto fail;
	}
	/* A socket-activated daemon that fails to start accepts and never
	 * answers: the caller bounds how long that may take. */
	r = lf_client_wait(lf, opts && opts->connect_timeout_ms ? opts->connect_timeout_ms
							     : LF_CLIENT_HANDSHAKE_MS,
			   got_welcome, NULL);
	if (r < 0)
		goto fail;
	*out = lf;
	return 0;

fail:
	lastframe_disconnect(lf);
	return r;
}

void lastframe_disconnect(struct lastframe *lf)
{
	struct lf_client_frame *f;

	if (!lf)
		return;
	if (lf->fd >= 0 && !lf->dead && lf->version) {
		struct lf_msg_bye bye;
		lf_client_build_bye(&bye, LF_BYE_CLIENT);
		lf_client_send(lf, &bye, sizeof(bye)); /* best effort: we leave anyway */
	}
	while ((f = lf->queue_head)) {
		lf->queue_head = f->next;
		lf_client_frame_free(f);
	}
	/* Frames the application still holds die with the connection. */
	while ((f = lf->held)) {
		lf->held = f->next;
		lf_client_frame_free(f);
	}
	lf_client_drop_buffers(lf);
	if (lf->fd >= 0)
		close(lf->fd);
	free(lf->rx);
	free(lf);
}

int lastframe_get_fd(struct lastframe *lf)
{
	return lf ? lf->fd : -EINVAL;
}

int lastframe_get_limits(struct lastframe *lf, uint32_t *max_held, uint32_t *lease_timeout_ms)
{
	if (!lf || !lf->version)
		return -EINVAL;
	if (max_held)
		*max_held = lf->max_held;
	if (lease_timeout_ms)
		*lease_timeout_ms = lf->lease_timeout_ms;
	return 0;
}

int lastframe_dispatch(struct lastframe *lf)
{
	int n = 0, r;

	if (!lf)
		return -EINVAL;
	while ((r = lf_client_read_one(lf, &n)) > 0) {
		if (lf->pending_error) {
			r = lf->pending_error;
			lf->pending_error = 0;
			return r;
		}
	}
	if (r < 0)
		return r;
	if (n == 0 && lf->dead)
		return lf->dead;
	return n;
}

static void fill_info(const struct lastframe *lf, struct lastframe_stream_info *info)
{
	const struct lf_msg_format *f = &lf->format;

	memset(info, 0, sizeof(*info));
	info->state = f->state;
	info->generation = f->generation;
	info->width = f->width;
	info->height = f->height;
	info->drm_format = f->drm_format;
	info->has_modifier = f->flags & LF_FORMAT_FLAG_MODIFIER;
	info->modifier = info->has_modifier ? f->modifier : 0;
	info->n_planes = f->n_planes;
	info->buffer_type = f->buffer_type;
	info->source_type = f->source_type;
	info->fps_num = f->fps_num;
	info->fps_den = f->fps_den;
	info->read_path = f->read_path;
}

int lastframe_get_stream_info(struct lastframe *lf, struct lastframe_stream_info *info)
{
	if (!lf || !info)
		return -EINVAL;
	if (!lf->have_format)
		return lf->dead ? lf->dead : -ENODATA;
	fill_info(lf, info);
	return 0;
}

static bool have_format(struct lastframe *lf, void *data)
{
	return lf->have_format;
}

int lastframe_wait_stream_info(struct lastframe *lf, int timeout_ms,
			       struct lastframe_stream_info *info)
{
	int r;

	if (!lf || !info)
		return -EINVAL;
	r = lf_client_wait(lf, timeout_ms, have_format, NULL);
	if (r < 0)
		return r;
	fill_info(lf, info);
	return 0;
}

int lastframe_report_import_failure(struct lastframe *lf, uint32_t drm_format, uint64_t modifier)
{
	struct lf_msg_import_failed m;

	if (!lf)
		return -EINVAL;
	lf_client_build_import_failed(&m, lf->have_format ? lf->format.generation : 0, drm_format,
				      modifier);
	return lf_client_send(lf, &m, sizeof(m));
}

static bool have_stats(struct lastframe *lf, void *data)
{
	return lf->have_stats;
}

int lastframe_get_stats(struct lastframe *lf, int timeout_ms, struct lastframe_stats *st)
{
	struct lf_msg_hdr req;
	const struct lf_msg_stats *s;
	int r;

	if (!lf || !st)
		return -EINVAL;
	lf_client_build_hdr(&req, LF_MSG_STATS_REQUEST, sizeof(req));
	lf->have_stats = false;
	lf->have_status = false;
	r = lf_client_send(lf, &req, sizeof(req));
	if (r < 0)
		return r;
	r = lf_client_wait(lf, timeout_ms, have_stats, NULL);
	if (r < 0)
		return r;
	s = &lf->stats;
	memset(st, 0, sizeof(*st));
	st->state = s->state;
	st->clients = s->clients;
	st->uptime_ns = s->uptime_ns;
	st->frames_in = s->frames_in;
	st->frames_published = s->frames_published;
	st->frames_sent = s->frames_sent;
	st->frames_dropped = s->frames_dropped;
	st->frames_corrupted = s->frames_corrupted;
	st->frames_skipped = s->frames_skipped;
	st->copies = s->copies;
	st->lease_timeouts = s->lease_timeouts;
	st->clients_refused = s->clients_refused;
	st->protocol_errors = s->protocol_errors;
	st->renegotiations = s->renegotiations;
	st->fence_waited = s->fence_waited;
	st->fence_already_signalled = s->fence_already_signalled;
	st->fence_timeouts = s->fence_timeouts;
	st->fence_wait_p50_ns = s->fence_wait_p50_ns;
	st->fence_wait_p99_ns = s->fence_wait_p99_ns;
	st->fence_disabled = s->fence_disabled != 0;
	st->fps = s->fps_milli / 1000.0;
	return 0;
}

int lastframe_get_status(struct lastframe *lf, char *buf, size_t len)
{
	if (!lf || !buf || !len)
		return -EINVAL;
	if (!lf->have_status)
		return -ENODATA;
	snprintf(buf, len, "%s", lf->status);
	return 0;
}

int lastframe_get_guard_stats(struct lastframe *lf, struct lastframe_guard_stats *gs)
{
	const struct lf_msg_stats *s;

	if (!lf || !gs)
		return -EINVAL;
	memset(gs, 0, sizeof(*gs));
	if (!lf->have_stats || !lf->stats_ext)
		return -ENODATA;
	s = &lf->stats;
	gs->enabled = s->return_guard != 0;
	gs->returns_guarded = s->returns_guarded;
	gs->returns_unguarded = s->returns_unguarded;
	gs->buffers_refused = s->buffers_refused;
	return 0;
}

static bool got_pong(struct lastframe *lf, void *data)
{
	return lf->got_pong;
}

int lastframe_ping(struct lastframe *lf, int timeout_ms)
{
	struct lf_msg_ping m;
	int r;

	if (!lf)
		return -EINVAL;
	lf->got_pong = false;
	lf_client_build_ping(&m, LF_MSG_PING, ++lf->ping_cookie);
	r = lf_client_send(lf, &m, sizeof(m));
	if (r < 0)
		return r;
	return lf_client_wait(lf, timeout_ms, got_pong, NULL);
}
