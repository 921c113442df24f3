/* SPDX-License-Identifier: MIT */
/* Packets out: non-blocking sends, ERROR, and the per-frame path
 * (ADD_BUFFER once per buffer, FRAME, the lease it creates). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "ipc/server-priv.h"

#define CTRL_LEN CMSG_SPACE(sizeof(int) * LF_PROTO_MAX_FDS)

/* One packet, never blocking. 0, -EAGAIN (socket full) or another -errno. */
int lf_srv_send_packet(int fd, const struct iovec *iov, int n_iov, const int *fds, unsigned n_fds)
{
	union {
		char buf[CTRL_LEN];
		struct cmsghdr align;
	} ctrl;
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = n_iov };
	ssize_t n;

	if (n_fds) {
		struct cmsghdr *cm;

		memset(&ctrl, 0, sizeof(ctrl));
		msg.msg_control = ctrl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
	}
	do {
		n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return 0;
}

int lf_srv_send_simple(int fd, const void *msg, size_t len)
{
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };

	return lf_srv_send_packet(fd, &iov, 1, NULL, 0);
}

/* Discard what the peer sent and we will never read: closing a SEQPACKET
 * socket with unread packets makes the peer's next recvmsg fail with
 * ECONNRESET before it sees our last message (the ERROR). Bounded, so a
 * client writing in a loop cannot keep us here. */
void lf_srv_drain_fd(int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * LF_PROTO_MAX_FDS)];
		struct cmsghdr align;
	} ctrl;
	char b[64];

	for (int i = 0; i < 64; i++) {
		struct iovec iov = { .iov_base = b, .iov_len = sizeof(b) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctrl.buf, .msg_controllen = sizeof(ctrl.buf) };

		if (recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
				int f;

				memcpy(&f, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
				close(f);
			}
		}
	}
}

int lf_srv_send_error_fd(int fd, int code, const char *text)
{
	union {
		uint8_t buf[sizeof(struct lf_msg_error) + LF_PROTO_MAX_ERROR_TEXT];
		struct lf_msg_hdr align;
	} m;
	struct lf_msg_error e = { .code = (uint32_t)code };
	size_t tl = strnlen(text, LF_PROTO_MAX_ERROR_TEXT - 1);

	lf_srv_hdr_init(&e.hdr, LF_MSG_ERROR, sizeof(e) + tl + 1);
	memcpy(m.buf, &e, sizeof(e));
	memcpy(m.buf + sizeof(e), text, tl);
	m.buf[sizeof(e) + tl] = '\0';
	return lf_srv_send_simple(fd, m.buf, e.hdr.length);
}


/* Socket full on a frame: drop it for this client; one that stays stuck
 * longer than a lease may be held is gone. */
static int frame_send_failed(struct srv_client *c, int r)
{
	struct lf_server *s = c->s;
	uint64_t now = lf_now_ns();

	if (r != -EAGAIN)
		return lf_srv_client_fail(c, -r, "send failed");
	c->frames_dropped++;
	if (!c->stuck_since_ns)
		c->stuck_since_ns = now;
	else if (now - c->stuck_since_ns > (uint64_t)s->opts.lease_timeout_ms * 1000000ull)
		return lf_srv_client_fail(c, ETIMEDOUT, "not reading its socket");
	return 0;
}

static int send_add_buffer(struct srv_client *c, const struct lf_buffer *b)
{
	struct lf_server *s = c->s;
	const struct srv_buf *sb = lf_srv_buf_get(s, b);
	struct lf_msg_add_buffer m = { 0 };
	int fds[LF_MAX_PLANES];
	uint32_t evicted;
	int r;

	if (!sb)
		return lf_srv_client_fail(c, EIO, "buffer %u unusable", b->id);
	lf_srv_hdr_init(&m.hdr, LF_MSG_ADD_BUFFER, sizeof(m));
	m.generation = s->wire_generation;
	m.buffer_id = b->id;
	m.buffer_type = b->type == LF_BUFFER_DMABUF ? LF_WIRE_BUFFER_DMABUF : LF_WIRE_BUFFER_MEMFD;
	m.n_planes = b->n_planes;
	for (uint32_t i = 0; i < b->n_planes; i++) {
		m.planes[i].offset = b->planes[i].offset;
		m.planes[i].stride = b->planes[i].stride;
		m.planes[i].size = b->planes[i].size;
		fds[i] = sb->ro_fds[i] >= 0 ? sb->ro_fds[i] : b->planes[i].fd;
	}
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	r = lf_srv_send_packet(c->fd, &iov, 1, fds, b->n_planes);
	if (r < 0)
		return r == -EAGAIN ? 1 : lf_srv_client_fail(c, -r, "cannot send ADD_BUFFER");
	if (lf_known_set_add(&c->known, s->wire_generation, b->id, &evicted) == 1) {
		struct lf_msg_remove_buffer rm = { .generation = s->wire_generation,
						   .buffer_id = evicted };

		lf_srv_hdr_init(&rm.hdr, LF_MSG_REMOVE_BUFFER, sizeof(rm));
		r = lf_srv_send_simple(c->fd, &rm, sizeof(rm));
		if (r < 0)
			return lf_srv_client_fail(c, -r, "cannot send REMOVE_BUFFER");
	}
	return 0;
}

static size_t frame_build(struct lf_server *s, const struct lf_frame *f, bool early)
{
	struct lf_msg_frame *m = (struct lf_msg_frame *)s->tx;
	uint32_t n_damage = f->flags & LF_FRAME_FLAG_DAMAGE ? f->n_damage : 0;

	if (n_damage > LF_PROTO_MAX_DAMAGE)
		n_damage = LF_PROTO_MAX_DAMAGE;
	memset(m, 0, sizeof(*m));
	m->generation = s->wire_generation;
	m->buffer_id = f->buf->id;
	m->seq = f->seq;
	m->pts_ns = f->pts_ns;
	m->recv_ns = f->recv_ns;
	/* Bitmaps are attached per client (only when its copy is stale). */
	m->flags = f->flags & ~(LF_FRAME_F_CURSOR_BITMAP | LF_FRAME_F_FENCE_PENDING);
	if (!n_damage)
		m->flags &= ~LF_FRAME_F_DAMAGE;
	if (early && f->n_fences) {
		m->flags |= LF_FRAME_F_FENCE_PENDING;
		m->n_fences = f->n_fences;
	}
	m->crop = (struct lf_wire_rect){ f->crop.x, f->crop.y, f->crop.width, f->crop.height };
	if (f->flags & LF_FRAME_FLAG_CURSOR) {
		m->cursor_x = f->cursor.x;
		m->cursor_y = f->cursor.y;
		m->hotspot_x = f->cursor.hotspot_x;
		m->hotspot_y = f->cursor.hotspot_y;
	}
	m->n_damage = n_damage;
	for (uint32_t i = 0; i < n_damage; i++) {
		struct lf_wire_rect r = { f->damage[i].x, f->damage[i].y, f->damage[i].width,
					  f->damage[i].height };

		memcpy(s->tx + sizeof(*m) + i * sizeof(r), &r, sizeof(r));
	}
	return sizeof(*m) + n_damage * sizeof(struct lf_wire_rect);
}

int lf_srv_client_offer(struct srv_client *c, const struct lf_frame *f, uint64_t idx, bool early)
{
	struct lf_server *s = c->s;
	struct lf_msg_frame *m = (struct lf_msg_frame *)s->tx;
	struct iovec iov[2];
	int n_iov = 1;
	bool with_cursor;
	size_t len;
	int r;

	if (!c->ready || (c->caps & LF_CAP_NO_FRAMES) || !f->buf)
		return 0;
	/* Copies go to readback clients, originals to everyone else but
	 * CPU readers of a layout no one can read. */
	if ((f == s->latest_copy) != (c->path == LF_READ_PATH_GPU_READBACK) ||
	    c->path == LF_READ_PATH_UNREADABLE || c->path == LF_READ_PATH_NONE)
		return 0;
	if (f->seq <= c->last_seq && c->last_idx)
		return 0; /* already has it (early) or newer */
	if (early && !(c->caps & LF_CAP_EARLY_FENCES))
		return 0;
	if (!lf_lease_set_has_credit(&c->leases))
		return 0; /* gets the newest frame at its next RELEASE */
	if (!lf_known_set_has(&c->known, s->wire_generation, f->buf->id)) {
		/* PipeWire removes buffers when the producer renegotiates, before
		 * the new format reaches us: the latest frame may then point at a
		 * buffer without fds. That's the stream's doing, not the client's:
		 * skip the frame; the next one comes from the new buffer set. */
		if (!lf_srv_buf_get(s, f->buf))
			return 0;
		r = send_add_buffer(c, f->buf);
		if (r < 0)
			return r;
		if (r > 0)
			return frame_send_failed(c, -EAGAIN);
	}

	len = frame_build(s, f, early);
	m->send_ns = lf_now_ns();
	m->skipped = c->last_idx && idx > c->last_idx ? (uint32_t)(idx - c->last_idx - 1) : 0;
	with_cursor = (c->caps & LF_CAP_CURSOR_BITMAP) && s->cursor_serial &&
		      c->cursor_serial != s->cursor_serial;
	iov[0] = (struct iovec){ .iov_base = s->tx, .iov_len = len };
	if (with_cursor) {
		m->flags |= LF_FRAME_F_CURSOR_BITMAP;
		m->cursor_width = s->cursor_w;
		m->cursor_height = s->cursor_h;
		iov[1] = (struct iovec){ .iov_base = s->cursor,
					 .iov_len = (size_t)s->cursor_w * s->cursor_h * 4 };
		len += iov[1].iov_len;
		n_iov = 2;
	}
	lf_srv_hdr_init(&m->hdr, LF_MSG_FRAME, len);
	r = lf_srv_send_packet(c->fd, iov, n_iov, m->n_fences ? f->fences : NULL, m->n_fences);
	if (r < 0)
		return frame_send_failed(c, r);

	c->stuck_since_ns = 0;
	r = lf_lease_set_take(&c->leases, s->wire_generation, f->buf->id, f->seq,
			      m->send_ns + (uint64_t)s->opts.lease_timeout_ms * 1000000ull,
			      lf_buffer_ref(f->buf));
	if (r < 0) { /* cannot happen: credit and seq were checked */
		lf_buffer_unref(f->buf);
		return lf_srv_client_fail(c, EIO, "lease bookkeeping: %s", strerror(-r));
	}
	lf_srv_timer_want(s, m->send_ns + (uint64_t)s->opts.lease_timeout_ms * 1000000ull);
	s->frames_skipped += m->skipped;
	s->frames_sent++;
	c->frames_sent++;
	c->last_seq = f->seq;
	c->last_idx = idx;
	if (with_cursor)
		c->cursor_serial = s->cursor_serial;
	return 1;
}
