/* SPDX-License-Identifier: MIT */
/* The server: listening socket, peer checks, format, latest frame, fan-out,
 * lease timer. Per-client protocol handling lives in server-client.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "ipc/server-priv.h"

#define ACCEPT_BATCH 64
#define LISTEN_PAUSE_NS (200ull * 1000000ull)

#define MAX_PEER_GROUPS 256

/* Supplementary groups count too (SO_PEERGROUPS, Linux 4.13): an admin may
 * allow a group whose members have it as a secondary group. */
static bool peer_in_allowed_groups(const struct lf_server *s, int fd, const struct ucred *cr)
{
	gid_t groups[MAX_PEER_GROUPS];
	socklen_t len = sizeof(groups);

	for (size_t i = 0; i < s->opts.n_allowed_gids; i++)
		if (s->allowed_gids[i] == cr->gid)
			return true;
	if (!s->opts.n_allowed_gids || getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t g = 0; g < len / sizeof(gid_t); g++)
		for (size_t i = 0; i < s->opts.n_allowed_gids; i++)
			if (s->allowed_gids[i] == groups[g])
				return true;
	return false;
}

static bool peer_allowed(const struct lf_server *s, int fd, const struct ucred *cr)
{
	if (cr->uid == s->uid)
		return true;
	for (size_t i = 0; i < s->opts.n_allowed_uids; i++)
		if (s->allowed_uids[i] == cr->uid)
			return true;
	return peer_in_allowed_groups(s, fd, cr);
}

static void refuse(struct lf_server *s, int fd, int code, const char *why, const struct ucred *cr)
{
	s->clients_refused++;
	lf_notice("refusing client pid %d uid %u: %s", (int)cr->pid, (unsigned)cr->uid, why);
	lf_srv_send_error_fd(fd, code, why);
	lf_srv_drain_fd(fd);
	close(fd);
}

static void on_listen_io(void *data, int fd, uint32_t mask)
{
	struct lf_server *s = data;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct ucred cr = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
		socklen_t len = sizeof(cr);
		int cfd, r;

		cfd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* Out of fds or memory: the pending connection keeps the
			 * socket readable, so stop watching it for a while
			 * instead of spinning. */
			lf_warn("accept: %s; pausing new connections", strerror(errno));
			s->listen_paused = true;
			pw_loop_update_io(s->loop, s->listen_src, 0);
			lf_srv_timer_want(s, lf_now_ns() + LISTEN_PAUSE_NS);
			return;
		}
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
			refuse(s, cfd, EACCES, "no peer credentials", &cr);
			continue;
		}
		if (!peer_allowed(s, cfd, &cr)) {
			refuse(s, cfd, EACCES, "permission denied: another user", &cr);
			continue;
		}
		if (s->n_clients >= s->opts.max_clients) {
			refuse(s, cfd, EBUSY, "too many clients", &cr);
			continue;
		}
		r = lf_srv_client_new(s, cfd, cr.pid, cr.uid);
		if (r < 0)
			lf_warn("cannot add client: %s", strerror(-r));
	}
}

void lf_srv_timer_want(struct lf_server *s, uint64_t deadline_ns)
{
	struct timespec ts;

	/* Armed for an earlier deadline already: that wake-up rescans. This
	 * keeps timer syscalls off the per-frame path. */
	if (s->timer_armed_ns && s->timer_armed_ns <= deadline_ns)
		return;
	s->timer_armed_ns = deadline_ns;
	ts.tv_sec = deadline_ns / 1000000000ull;
	ts.tv_nsec = deadline_ns % 1000000000ull;
	pw_loop_update_timer(s->loop, s->timer, &ts, NULL, true);
}

static void on_timer(void *data, uint64_t expirations)
{
	struct lf_server *s = data;
	struct srv_client *c, *t;
	uint64_t now = lf_now_ns(), next = UINT64_MAX;

	s->timer_armed_ns = 0;
	if (s->listen_paused) {
		s->listen_paused = false;
		pw_loop_update_io(s->loop, s->listen_src, SPA_IO_IN);
	}
	spa_list_for_each_safe(c, t, &s->clients, link) {
		uint64_t d;

		if (!c->ready) {
			if (c->hello_deadline_ns <= now) {
				s->protocol_errors++;
				lf_srv_client_fail(c, ETIMEDOUT, "no HELLO");
				continue;
			}
			d = c->hello_deadline_ns;
		} else {
			d = lf_lease_set_earliest(&c->leases);
			if (d <= now) {
				s->lease_timeouts++;
				lf_srv_client_fail(c, ETIMEDOUT, "frame held longer than %u ms",
						   s->opts.lease_timeout_ms);
				continue;
			}
		}
		if (d < next)
			next = d;
	}
	if (next != UINT64_MAX)
		lf_srv_timer_want(s, next);
}

static void buf_clear(struct srv_buf *sb)
{
	for (unsigned i = 0; i < LF_MAX_PLANES; i++)
		lf_close(&sb->ro_fds[i]);
	sb->buf = NULL;
	sb->n_planes = 0;
}

static void bufs_clear(struct lf_server *s)
{
	for (uint32_t i = 0; i < s->n_bufs; i++)
		buf_clear(&s->bufs[i]);
	s->n_bufs = 0;
	s->buf_evict = 0;
}

/* A read-only fd for a shared-memory plane, so clients cannot scribble on
 * the producer's memory. -1: send the original (dmabuf, or already read-only). */
static int plane_ro_fd(const struct lf_buffer *b, unsigned i)
{
	char path[64];
	int fl, fd;

	if (b->type != LF_BUFFER_MEMFD || b->planes[i].fd < 0)
		return -1;
	fl = fcntl(b->planes[i].fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", b->planes[i].fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		lf_debug("cannot reopen buffer %u plane %u read-only: %s", b->id, i, strerror(errno));
	return fd;
}

const struct srv_buf *lf_srv_buf_get(struct lf_server *s, const struct lf_buffer *b)
{
	struct srv_buf *sb;

	if (b->n_planes < 1 || b->n_planes > LF_MAX_PLANES)
		return NULL;
	for (uint32_t i = 0; i < s->n_bufs; i++) {
		if (s->bufs[i].buf != b || s->bufs[i].id != b->id)
			continue;
		/* PipeWire may have removed the buffer (fds now -1) while a frame
		 * still refers to it: only our own read-only copies remain usable. */
		for (uint32_t p = 0; p < b->n_planes; p++)
			if (s->bufs[i].ro_fds[p] < 0 && b->planes[p].fd < 0)
				return NULL;
		return &s->bufs[i];
	}
	for (uint32_t i = 0; i < b->n_planes; i++)
		if (b->planes[i].fd < 0)
			return NULL;
	if (s->n_bufs < LF_KNOWN_MAX) {
		sb = &s->bufs[s->n_bufs++];
	} else {
		sb = &s->bufs[s->buf_evict];
		s->buf_evict = (s->buf_evict + 1) % LF_KNOWN_MAX;
		buf_clear(sb);
	}
	sb->buf = b;
	sb->id = b->id;
	sb->n_planes = b->n_planes;
	for (unsigned i = 0; i < LF_MAX_PLANES; i++)
		sb->ro_fds[i] = i < b->n_planes ? plane_ro_fd(b, i) : -1;
	return sb;
}

static void drop_latest(struct lf_server *s)
{
	struct lf_frame *old = s->latest;

	s->latest = NULL;
	s->latest_idx = 0;
	lf_frame_free(old);
}

int lf_server_new(struct pw_loop *loop, const struct lf_server_options *opts,
		  const struct lf_server_events *events, void *data, struct lf_server **out)
{
	struct lf_server *s;
	struct stat st;
	int r;

	if (!loop || !opts || !out || (!opts->socket_path && opts->listen_fd < 0))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->opts = *opts;
	s->events = events;
	s->data = data;
	s->listen_fd = -1;
	s->uid = geteuid();
	s->start_ns = lf_now_ns();
	spa_list_init(&s->clients);
	for (unsigned i = 0; i < LF_KNOWN_MAX; i++)
		for (unsigned j = 0; j < LF_MAX_PLANES; j++)
			s->bufs[i].ro_fds[j] = -1;
	if (!s->opts.max_clients)
		s->opts.max_clients = 64;
	if (!s->opts.lease_timeout_ms)
		s->opts.lease_timeout_ms = 1000;
	if (!s->opts.max_held || s->opts.max_held > LF_LEASE_MAX)
		s->opts.max_held = LF_LEASE_MAX;
	s->opts.socket_path = NULL; /* borrowed; created_path keeps what we need */
	if (opts->n_allowed_uids) {
		s->allowed_uids = calloc(opts->n_allowed_uids, sizeof(uid_t));
		if (!s->allowed_uids) {
			r = -ENOMEM;
			goto fail;
		}
		memcpy(s->allowed_uids, opts->allowed_uids, opts->n_allowed_uids * sizeof(uid_t));
	}
	if (opts->n_allowed_gids) {
		s->allowed_gids = calloc(opts->n_allowed_gids, sizeof(gid_t));
		if (!s->allowed_gids) {
			r = -ENOMEM;
			goto fail;
		}
		memcpy(s->allowed_gids, opts->allowed_gids, opts->n_allowed_gids * sizeof(gid_t));
	}
	s->rx = malloc(LF_PROTO_MAX_MSG);
	if (!s->rx) {
		r = -ENOMEM;
		goto fail;
	}

	if (opts->listen_fd >= 0) {
		int fl = fcntl(opts->listen_fd, F_GETFL);

		if (fl < 0 || fcntl(opts->listen_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
			r = -errno;
			goto fail;
		}
		s->listen_fd = opts->listen_fd;
	} else {
		r = lf_ipc_socket_listen(opts->socket_path, &s->listen_fd, &st);
		if (r < 0)
			goto fail;
		s->created_path = strdup(opts->socket_path);
		if (!s->created_path) {
			lf_ipc_socket_remove(opts->socket_path, st.st_dev, st.st_ino);
			r = -ENOMEM;
			goto fail;
		}
		s->created_dev = st.st_dev;
		s->created_ino = st.st_ino;
	}
	s->timer = pw_loop_add_timer(loop, on_timer, s);
	s->listen_src = pw_loop_add_io(loop, s->listen_fd, SPA_IO_IN, false, on_listen_io, s);
	if (!s->timer || !s->listen_src) {
		r = errno ? -errno : -ENOMEM;
		goto fail;
	}
	lf_info("listening on %s", s->created_path ? s->created_path : "inherited socket");
	*out = s;
	return 0;
fail:
	/* An inherited fd stays the caller's when we fail. */
	if (opts->listen_fd >= 0)
		s->listen_fd = -1;
	lf_server_destroy(s);
	return r;
}

void lf_server_destroy(struct lf_server *s)
{
	struct srv_client *c, *t;

	if (!s)
		return;
	spa_list_for_each_safe(c, t, &s->clients, link) {
		lf_srv_client_send_bye(c, LF_BYE_SHUTDOWN);
		lf_srv_client_destroy(c);
	}
	lf_srv_copy_drop(s);
	drop_latest(s);
	bufs_clear(s);
	if (s->listen_src)
		pw_loop_destroy_source(s->loop, s->listen_src);
	if (s->timer)
		pw_loop_destroy_source(s->loop, s->timer);
	if (s->listen_fd >= 0) {
		/* An inherited (socket-activated) fd is ours now too: close it. */
		close(s->listen_fd);
	}
	if (s->created_path)
		lf_ipc_socket_remove(s->created_path, s->created_dev, s->created_ino);
	free(s->created_path);
	free(s->allowed_uids);
	free(s->allowed_gids);
	free(s->cursor);
	free(s->rx);
	free(s);
}

/* Field by field: padding bytes of the caller's struct are not ours to compare. */
static bool fmt_equal(const struct lf_video_format *a, const struct lf_video_format *b)
{
	return a->width == b->width && a->height == b->height && a->spa_format == b->spa_format &&
	       a->drm_format == b->drm_format && a->modifier == b->modifier &&
	       a->has_modifier == b->has_modifier && a->n_planes == b->n_planes &&
	       a->buffer_type == b->buffer_type && a->fps_num == b->fps_num &&
	       a->fps_den == b->fps_den;
}

void lf_server_set_format(struct lf_server *s, const struct lf_video_format *fmt,
			  uint32_t generation, enum lf_stream_state state)
{
	struct srv_client *c, *t;
	bool changed;

	if (!s)
		return;
	changed = (fmt != NULL) != s->have_format || generation != s->cap_generation ||
		  (fmt && !fmt_equal(fmt, &s->fmt)) || s->wire_generation == 0;
	s->state = state;
	if (changed) {
		/* New buffer set: every id clients know is void, and the latest
		 * frame belongs to the old set. Leases stay until released. */
		s->wire_generation++;
		s->cap_generation = generation;
		s->have_format = fmt != NULL;
		if (fmt)
			s->fmt = *fmt;
		else
			memset(&s->fmt, 0, sizeof(s->fmt));
		s->import_failed_sent = false;
		s->invalid_logged = false;
		lf_srv_copy_drop(s);
		drop_latest(s);
		bufs_clear(s);
	}
	spa_list_for_each_safe(c, t, &s->clients, link)
		if (c->ready)
			lf_srv_client_send_format(c);
}

/* Keep the cursor bitmap (capture's pointer is only valid until its next frame). */
static void cursor_update(struct lf_server *s, const struct lf_frame *f)
{
	size_t len;

	if (s->cursor_serial && f->seq <= s->cursor_seq)
		return; /* the same frame again (early, then ready) */
	if (!(f->flags & LF_FRAME_FLAG_CURSOR_BITMAP) || !f->cursor.bitmap ||
	    f->cursor.width > LF_PROTO_MAX_CURSOR || f->cursor.height > LF_PROTO_MAX_CURSOR)
		return;
	if (!s->cursor) {
		s->cursor = malloc((size_t)LF_PROTO_MAX_CURSOR * LF_PROTO_MAX_CURSOR * 4);
		if (!s->cursor)
			return;
	}
	len = (size_t)f->cursor.width * f->cursor.height * 4;
	memcpy(s->cursor, f->cursor.bitmap, len);
	s->cursor_w = f->cursor.width;
	s->cursor_h = f->cursor.height;
	s->cursor_serial++;
	s->cursor_seq = f->seq;
}

static uint64_t frame_index(struct lf_server *s, const struct lf_frame *f)
{
	if (f->seq > s->last_counted_seq || s->n_idx == 0) {
		s->n_idx++;
		s->last_counted_seq = f->seq;
	}
	return s->n_idx;
}

static bool frame_usable(struct lf_server *s, const struct lf_frame *f)
{
	static bool warned;

	if (!f->buf || !s->have_format)
		return false;
	if (f->buf->generation != s->cap_generation) {
		if (!warned)
			lf_warn("frame of buffer generation %u while the format is generation %u: dropped",
				f->buf->generation, s->cap_generation);
		warned = true;
		return false;
	}
	return true;
}

void lf_server_publish(struct lf_server *s, struct lf_frame *f)
{
	struct srv_client *c, *t;
	struct lf_frame *old;
	uint64_t idx;

	if (!s || !f) {
		lf_frame_free(f);
		return;
	}
	if (!frame_usable(s, f) || (s->latest && f->seq <= s->latest->seq)) {
		lf_frame_free(f);
		return;
	}
	idx = frame_index(s, f);
	cursor_update(s, f);
	old = s->latest;
	s->latest = f;
	s->latest_idx = idx;
	/* The older frame's buffer returns to PipeWire unless a client holds it
	 * (freed after the swap: the release callback may reach back into us). */
	lf_frame_free(old);
	s->frames_published++;
	spa_list_for_each_safe(c, t, &s->clients, link)
		lf_srv_client_offer(c, f, idx, false);
	if (s->events && s->events->copy_wanted && lf_server_copy_wanted(s))
		s->events->copy_wanted(s->data);
}

void lf_server_publish_early(struct lf_server *s, const struct lf_frame *f)
{
	struct srv_client *c, *t;
	uint64_t idx;

	if (!s || !f || !f->n_fences || f->n_fences > LF_MAX_PLANES || !frame_usable(s, f))
		return;
	if (s->latest && f->seq <= s->latest->seq)
		return;
	idx = frame_index(s, f);
	cursor_update(s, f);
	spa_list_for_each_safe(c, t, &s->clients, link)
		if (c->caps & LF_CAP_EARLY_FENCES)
			lf_srv_client_offer(c, f, idx, true);
}

uint32_t lf_server_client_count(struct lf_server *s)
{
	return s ? s->n_clients : 0;
}

uint32_t lf_server_leases_held(struct lf_server *s)
{
	struct srv_client *c;
	uint32_t n = 0;

	if (!s)
		return 0;
	spa_list_for_each(c, &s->clients, link)
		n += c->leases.n;
	return n;
}
