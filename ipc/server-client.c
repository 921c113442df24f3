/* SPDX-License-Identifier: MIT */
/* One connected client: receive and dispatch its messages, send it ours. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "ipc/server-priv.h"

#define RX_BATCH 32               /* messages per wake-up: fairness between clients */
#define HELLO_TIMEOUT_NS (5ull * 1000000000ull)

void lf_srv_client_destroy(struct srv_client *c)
{
	struct lf_server *s = c->s;
	struct lf_buffer *b;

	lf_debug("client %u (%s) gone: %" PRIu64 " frames sent, %" PRIu64 " dropped",
		 c->id, c->name, c->frames_sent, c->frames_dropped);
	/* Unlinked first: releasing its buffers may reach back into the server. */
	spa_list_remove(&c->link);
	s->n_clients--;
	if (c->src)
		pw_loop_destroy_source(s->loop, c->src);
	lf_srv_drain_fd(c->fd);
	lf_close(&c->fd);
	/* Its leases go back: the buffers return to PipeWire once unheld. */
	while ((b = lf_lease_set_pop(&c->leases)))
		lf_buffer_unref(b);
	free(c);
	if (s->events && s->events->clients_changed)
		s->events->clients_changed(s->data, s->n_clients);
}

int lf_srv_client_fail(struct srv_client *c, int code, const char *fmt, ...)
{
	char text[LF_PROTO_MAX_ERROR_TEXT];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (code == EAGAIN || code == EWOULDBLOCK)
		code = ENOBUFS; /* its socket is full: what the client should read */
	lf_info("client %u (%s, pid %d): %s (%s)", c->id, c->name, (int)c->pid, text, strerror(code));
	lf_srv_send_error_fd(c->fd, code, text);
	lf_srv_client_destroy(c);
	return -ECONNRESET;
}

void lf_srv_client_send_bye(struct srv_client *c, uint32_t reason)
{
	struct lf_msg_bye m = { .reason = reason };

	lf_srv_hdr_init(&m.hdr, LF_MSG_BYE, sizeof(m));
	lf_srv_send_simple(c->fd, &m, sizeof(m));
}

int lf_srv_client_send_format(struct srv_client *c)
{
	struct lf_server *s = c->s;
	struct lf_msg_format m = { 0 };
	int r;

	lf_srv_hdr_init(&m.hdr, LF_MSG_FORMAT, sizeof(m));
	m.generation = s->wire_generation;
	m.state = s->state;
	m.modifier = UINT64_C(0x00ffffffffffffff); /* DRM_FORMAT_MOD_INVALID */
	c->path = lf_srv_client_path(s, c);
	m.read_path = c->path;
	if (s->have_format) {
		const struct lf_video_format *f = &s->fmt;

		m.width = f->width;
		m.height = f->height;
		m.drm_format = f->drm_format;
		m.n_planes = f->n_planes;
		if (f->has_modifier) {
			m.modifier = f->modifier;
			m.flags |= LF_FORMAT_FLAG_MODIFIER;
		}
		m.source_type = f->buffer_type;
		m.buffer_type = f->buffer_type == LF_BUFFER_DMABUF ? LF_WIRE_BUFFER_DMABUF
								   : LF_WIRE_BUFFER_MEMFD;
		if (f->buffer_type == LF_BUFFER_MEMPTR)
			m.flags |= LF_FORMAT_FLAG_COPIED;
		m.fps_num = f->fps_num;
		m.fps_den = f->fps_den;
		if (c->path == LF_READ_PATH_GPU_READBACK) {
			/* What the copy is: one linear plane in the daemon's memfd. */
			m.n_planes = 1;
			m.modifier = 0; /* DRM_FORMAT_MOD_LINEAR */
			m.flags |= LF_FORMAT_FLAG_MODIFIER;
			m.buffer_type = LF_WIRE_BUFFER_MEMFD;
		}
	}
	r = lf_srv_send_simple(c->fd, &m, sizeof(m));
	if (r < 0)
		return lf_srv_client_fail(c, -r, "cannot send FORMAT");
	return 0;
}

/* The newest frame on the client's read path, if it is newer than what it
 * has; a copy client may instead need the daemon to read one back. */
static int offer_latest(struct srv_client *c)
{
	struct lf_server *s = c->s;
	const struct lf_frame *f;
	uint64_t idx;

	f = lf_srv_latest_for(s, c, &idx);
	if (f && f->seq > c->last_seq &&
	    lf_srv_client_offer(c, f, idx, false) < 0)
		return -ECONNRESET;
	lf_srv_copy_check(s, c);
	return 0;
}

static int on_hello(struct srv_client *c, const struct lf_msg_hello *h)
{
	struct lf_server *s = c->s;
	struct lf_msg_welcome w = { 0 };
	uint32_t max_held;
	int r;

	if (c->ready)
		return lf_srv_client_fail(c, EPROTO, "second HELLO");
	memcpy(c->name, h->name, sizeof(c->name));
	c->name[sizeof(c->name) - 1] = '\0';
	if (h->version < 1)
		return lf_srv_client_fail(c, EPROTONOSUPPORT, "protocol version %u unsupported",
					  h->version);
	c->caps = h->caps & (LF_CAP_EARLY_FENCES | LF_CAP_CURSOR_BITMAP | LF_CAP_NO_FRAMES |
			     LF_CAP_STATS_EXT | LF_CAP_GPU_IMPORT);
	max_held = h->max_held ? h->max_held : 1;
	if (max_held > s->opts.max_held)
		max_held = s->opts.max_held;
	if (c->caps & LF_CAP_NO_FRAMES)
		max_held = 0;
	lf_lease_set_init(&c->leases, max_held);

	lf_srv_hdr_init(&w.hdr, LF_MSG_WELCOME, sizeof(w));
	w.version = LF_PROTO_VERSION;
	w.caps = c->caps;
	w.max_held = max_held;
	w.lease_timeout_ms = s->opts.lease_timeout_ms;
	w.client_id = c->id;
	snprintf(w.daemon_version, sizeof(w.daemon_version), "lastframed %s", LF_VERSION);
	r = lf_srv_send_simple(c->fd, &w, sizeof(w));
	if (r < 0)
		return lf_srv_client_fail(c, -r, "cannot send WELCOME");
	c->ready = true;
	lf_debug("client %u: \"%s\" pid %d caps 0x%x max_held %u", c->id, c->name, (int)c->pid,
		 c->caps, max_held);
	r = lf_srv_client_send_format(c);
	if (r < 0)
		return r;
	return offer_latest(c);
}

static int on_release(struct srv_client *c, const struct lf_msg_release *m)
{
	struct lf_server *s = c->s;
	struct lf_buffer *b;

	if (lf_lease_set_release(&c->leases, m->generation, m->buffer_id, m->seq, &b) < 0) {
		s->protocol_errors++;
		return lf_srv_client_fail(c, EINVAL, "RELEASE of a frame not held (gen %u buffer %u seq %" PRIu64 ")",
					  m->generation, m->buffer_id, m->seq);
	}
	lf_buffer_unref(b);
	return offer_latest(c);
}

/* Before STATS, so a client has it once STATS is in; ignorable for
 * clients that predate it. */
static int send_status(struct srv_client *c)
{
	union {
		uint8_t buf[sizeof(struct lf_msg_status) + LF_PROTO_MAX_STATUS_TEXT];
		struct lf_msg_hdr align;
	} m;
	char text[LF_PROTO_MAX_STATUS_TEXT] = "";
	struct lf_msg_hdr h;
	size_t tl;
	int r;

	c->s->events->fill_status(c->s->data, text, sizeof(text));
	tl = strnlen(text, sizeof(text) - 1);
	lf_srv_hdr_init(&h, LF_MSG_STATUS, (uint32_t)(sizeof(h) + tl + 1));
	h.flags = LF_MSG_FLAG_IGNORABLE;
	memcpy(m.buf, &h, sizeof(h));
	memcpy(m.buf + sizeof(h), text, tl);
	m.buf[sizeof(h) + tl] = '\0';
	r = lf_srv_send_simple(c->fd, m.buf, h.length);
	if (r < 0)
		return lf_srv_client_fail(c, -r, "cannot send STATUS");
	return 0;
}

static int send_stats(struct srv_client *c)
{
	struct lf_server *s = c->s;
	struct lf_msg_stats st = { 0 };
	/* Clients that did not ask for the appended fields get the old size. */
	uint32_t len = (c->caps & LF_CAP_STATS_EXT) ? sizeof(st) : LF_MSG_STATS_V1_SIZE;
	int r;

	lf_srv_hdr_init(&st.hdr, LF_MSG_STATS, sizeof(st));
	st.state = s->state;
	st.clients = s->n_clients;
	st.uptime_ns = lf_now_ns() - s->start_ns;
	st.frames_published = s->frames_published;
	st.frames_sent = s->frames_sent;
	st.frames_skipped = s->frames_skipped;
	st.lease_timeouts = s->lease_timeouts;
	st.clients_refused = s->clients_refused;
	st.protocol_errors = s->protocol_errors;
	if (s->events && s->events->fill_status) {
		r = send_status(c);
		if (r < 0)
			return r;
	}
	if (s->events && s->events->fill_stats)
		s->events->fill_stats(s->data, &st);
	st.hdr.type = LF_MSG_STATS; /* fill_stats must not break the header */
	st.hdr.length = len;
	r = lf_srv_send_simple(c->fd, &st, len);
	if (r < 0)
		return lf_srv_client_fail(c, -r, "cannot send STATS");
	return 0;
}

static int dispatch(struct srv_client *c, const struct lf_proto_msg *m)
{
	struct lf_server *s = c->s;
	int r;

	if (!c->ready && m->hdr.type != LF_MSG_HELLO && m->hdr.type != LF_MSG_BYE &&
	    m->hdr.type != LF_MSG_ERROR) {
		s->protocol_errors++;
		return lf_srv_client_fail(c, EPROTO, "%s before HELLO", lf_proto_type_name(m->hdr.type));
	}
	switch (m->hdr.type) {
	case LF_MSG_HELLO:
		return on_hello(c, &m->u.hello);
	case LF_MSG_RELEASE:
		return on_release(c, &m->u.release);
	case LF_MSG_PING: {
		struct lf_msg_ping p = { .cookie = m->u.ping.cookie };

		lf_srv_hdr_init(&p.hdr, LF_MSG_PONG, sizeof(p));
		r = lf_srv_send_simple(c->fd, &p, sizeof(p));
		if (r < 0)
			return lf_srv_client_fail(c, -r, "cannot send PONG");
		return 0;
	}
	case LF_MSG_PONG:
		return 0;
	case LF_MSG_STATS_REQUEST:
		return send_stats(c);
	case LF_MSG_IMPORT_FAILED:
		if (m->u.import_failed.generation == s->wire_generation && !s->import_failed_sent &&
		    s->events && s->events->import_failed) {
			s->import_failed_sent = true;
			lf_notice("client %u (%s) cannot import format 0x%08x modifier 0x%016" PRIx64,
				  c->id, c->name, m->u.import_failed.drm_format,
				  m->u.import_failed.modifier);
			s->events->import_failed(s->data, m->u.import_failed.drm_format,
						 m->u.import_failed.modifier);
		}
		return 0;
	case LF_MSG_BYE:
		lf_srv_client_destroy(c);
		return -ECONNRESET;
	case LF_MSG_ERROR:
		lf_info("client %u (%s) reports error %u: %s", c->id, c->name, m->u.error.code,
			m->error_text);
		lf_srv_client_destroy(c);
		return -ECONNRESET;
	default:
		s->protocol_errors++;
		return lf_srv_client_fail(c, EPROTO, "unexpected %s", lf_proto_type_name(m->hdr.type));
	}
}

static void close_fds(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

/* 1: one message handled, 0: nothing to read, <0: client gone. */
static int receive_one(struct srv_client *c)
{
	struct lf_server *s = c->s;
	union {
		char buf[CMSG_SPACE(sizeof(int) * LF_PROTO_MAX_FDS)];
		struct cmsghdr align;
	} ctrl;
	struct iovec iov = { .iov_base = s->rx, .iov_len = LF_PROTO_MAX_MSG };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctrl.buf, .msg_controllen = sizeof(ctrl.buf) };
	struct lf_proto_msg m;
	int fds[LF_PROTO_MAX_FDS * 2];
	unsigned n_fds = 0;
	ssize_t n;
	int r;

	do {
		n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		lf_srv_client_destroy(c); /* ECONNRESET etc.: it is gone */
		return -ECONNRESET;
	}
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (n_fds < LF_ARRAY_SIZE(fds))
				fds[n_fds++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0 && n_fds == 0) {
		lf_srv_client_destroy(c); /* orderly EOF: the client closed */
		return -ECONNRESET;
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		close_fds(fds, n_fds);
		s->protocol_errors++;
		return lf_srv_client_fail(c, msg.msg_flags & MSG_TRUNC ? EMSGSIZE : EBADMSG,
					  msg.msg_flags & MSG_TRUNC ? "message too large"
								    : "too many file descriptors");
	}
	r = lf_proto_parse(s->rx, (size_t)n, n_fds, LF_PROTO_TO_DAEMON, &m);
	/* No client message carries fds (the parser rejects them): never keep any. */
	close_fds(fds, n_fds);
	if (r == LF_PROTO_IGNORE)
		return 1;
	if (r < 0) {
		s->protocol_errors++;
		return lf_srv_client_fail(c, -r, "bad message (type %u, %zd bytes, %u fds)",
					  m.hdr.type, n, n_fds);
	}
	r = dispatch(c, &m);
	return r < 0 ? r : 1;
}

static void on_client_io(void *data, int fd, uint32_t mask)
{
	struct srv_client *c = data;

	if (mask & SPA_IO_IN) {
		for (int i = 0; i < RX_BATCH; i++) {
			int r = receive_one(c);

			if (r < 0)
				return;
			if (r == 0)
				break;
		}
	} else if (mask & (SPA_IO_HUP | SPA_IO_ERR)) {
		lf_srv_client_destroy(c);
	}
}

int lf_srv_client_new(struct lf_server *s, int fd, pid_t pid, uid_t uid)
{
	struct srv_client *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->s = s;
	c->fd = fd;
	c->pid = pid;
	c->uid = uid;
	c->id = ++s->next_client_id;
	snprintf(c->name, sizeof(c->name), "?");
	c->hello_deadline_ns = lf_now_ns() + HELLO_TIMEOUT_NS;
	lf_lease_set_init(&c->leases, 0);
	lf_known_set_reset(&c->known, 0);
	c->src = pw_loop_add_io(s->loop, fd, SPA_IO_IN | SPA_IO_HUP | SPA_IO_ERR, false,
				on_client_io, c);
	if (!c->src) {
		int r = -errno;

		close(fd);
		free(c);
		return r ? r : -ENOMEM;
	}
	spa_list_append(&s->clients, &c->link);
	s->n_clients++;
	lf_srv_timer_want(s, c->hello_deadline_ns);
	if (s->events && s->events->clients_changed)
		s->events->clients_changed(s->data, s->n_clients);
	return 0;
}
