/* SPDX-License-Identifier: MIT */
/* Receiving: one packet at a time, its fds, and what each message changes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/lib/client.h"

static void close_fds(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

void lf_client_buffer_unref(struct lf_client_buffer *b)
{
	if (!b || --b->refs > 0)
		return;
	for (uint32_t i = 0; i < b->n_planes; i++) {
		if (b->map[i])
			munmap(b->map[i], b->map_len[i]);
		if (b->fds[i] >= 0)
			close(b->fds[i]);
	}
	free(b);
}

void lf_client_drop_buffers(struct lastframe *lf)
{
	struct lf_client_buffer *b;

	while ((b = lf->buffers)) {
		lf->buffers = b->next;
		b->next = NULL;
		lf_client_buffer_unref(b);
	}
}

void lf_client_frame_free(struct lf_client_frame *f)
{
	for (uint32_t i = 0; i < f->pub.n_fences; i++)
		if (f->pub.fences[i] >= 0)
			close(f->pub.fences[i]);
	lf_client_buffer_unref(f->buf);
	free(f->cursor);
	free(f);
}

static struct lf_client_buffer *find_buffer(struct lastframe *lf, uint32_t gen, uint32_t id,
					    struct lf_client_buffer ***link)
{
	struct lf_client_buffer **p;

	for (p = &lf->buffers; *p; p = &(*p)->next) {
		if ((*p)->generation == gen && (*p)->id == id) {
			if (link)
				*link = p;
			return *p;
		}
	}
	return NULL;
}

static int handle_welcome(struct lastframe *lf, const struct lf_msg_welcome *m)
{
	if (lf->version)
		return -EPROTO; /* a second WELCOME */
	/* max_held is 0 for control clients (LF_CAP_NO_FRAMES). */
	if (m->version < 1 || m->version > LF_PROTO_VERSION || m->max_held > 3)
		return -EPROTO;
	lf->version = m->version;
	lf->caps = m->caps;
	lf->max_held = m->max_held;
	lf->lease_timeout_ms = m->lease_timeout_ms;
	lf->client_id = m->client_id;
	memcpy(lf->daemon_version, m->daemon_version, LF_PROTO_NAME_LEN);
	lf->daemon_version[LF_PROTO_NAME_LEN] = '\0';
	return 0;
}

/* Queued frames of an older generation show a picture of the wrong size:
 * hand them back at once rather than to the application. */
static void drop_stale_queued(struct lastframe *lf)
{
	struct lf_client_frame **p = &lf->queue_head, *f;

	lf->queue_tail = NULL;
	while ((f = *p)) {
		if (f->pub.generation != lf->format.generation) {
			struct lf_msg_release rel;
			*p = f->next;
			lf_client_build_release(&rel, f->pub.generation, f->pub.buffer_id, f->pub.seq);
			lf_client_send(lf, &rel, sizeof(rel));
			lf_client_frame_free(f);
		} else {
			lf->queue_tail = f;
			p = &f->next;
		}
	}
}

static int handle_format(struct lastframe *lf, const struct lf_msg_format *m)
{
	bool new_gen = !lf->have_format || m->generation != lf->format.generation;

	lf->format = *m;
	lf->have_format = true;
	if (new_gen) {
		lf_client_drop_buffers(lf);
		drop_stale_queued(lf);
	}
	return 0;
}

static int handle_add_buffer(struct lastframe *lf, const struct lf_msg_add_buffer *m, int *fds)
{
	struct lf_client_buffer *b;

	if (!lf->have_format || m->generation != lf->format.generation)
		return -EPROTO;
	if (find_buffer(lf, m->generation, m->buffer_id, NULL))
		return -EPROTO;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->generation = m->generation;
	b->id = m->buffer_id;
	b->type = m->buffer_type;
	b->n_planes = m->n_planes;
	b->width = lf->format.width;
	b->height = lf->format.height;
	b->drm_format = lf->format.drm_format;
	b->modifier = (lf->format.flags & LF_FORMAT_FLAG_MODIFIER) ? lf->format.modifier : 0;
	for (uint32_t i = 0; i < m->n_planes; i++) {
		b->planes[i] = m->planes[i];
		b->fds[i] = fds[i];
		fds[i] = -1; /* the buffer owns them now */
	}
	b->refs = 1;
	b->next = lf->buffers;
	lf->buffers = b;
	return 0;
}

static int handle_remove_buffer(struct lastframe *lf, const struct lf_msg_remove_buffer *m)
{
	struct lf_client_buffer **link, *b;

	b = find_buffer(lf, m->generation, m->buffer_id, &link);
	if (!b)
		return 0; /* already gone with its generation: harmless */
	*link = b->next;
	b->next = NULL;
	lf_client_buffer_unref(b);
	return 0;
}

static int handle_frame(struct lastframe *lf, const struct lf_msg_frame *m, size_t len, int *fds,
			uint64_t now)
{
	const struct lf_wire_rect *dmg = (const void *)(m + 1);
	struct lf_client_buffer *b;
	struct lf_client_frame *f;
	struct lastframe_frame *p;

	b = find_buffer(lf, m->generation, m->buffer_id, NULL);
	if (!b)
		return -EPROTO;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	p = &f->pub;
	if (m->flags & LF_FRAME_F_CURSOR_BITMAP) {
		size_t n = (size_t)m->cursor_width * m->cursor_height * 4;
		f->cursor = malloc(n ? n : 1);
		if (!f->cursor) {
			free(f);
			return -ENOMEM;
		}
		memcpy(f->cursor, (const uint8_t *)(dmg + m->n_damage), n);
		p->cursor_bitmap = f->cursor;
	}
	f->buf = b;
	b->refs++;
	p->seq = m->seq;
	p->pts_ns = m->pts_ns;
	p->daemon_recv_ns = m->recv_ns;
	p->daemon_send_ns = m->send_ns;
	p->client_recv_ns = now;
	p->skipped = m->skipped;
	p->flags = m->flags;
	p->generation = m->generation;
	p->buffer_id = m->buffer_id;
	p->width = b->width;
	p->height = b->height;
	p->drm_format = b->drm_format;
	p->modifier = b->modifier;
	p->buffer_type = b->type == LF_WIRE_BUFFER_DMABUF ? LASTFRAME_BUFFER_DMABUF
							 : LASTFRAME_BUFFER_MEMFD;
	p->n_planes = b->n_planes;
	for (uint32_t i = 0; i < b->n_planes; i++) {
		p->planes[i].fd = b->fds[i];
		p->planes[i].offset = b->planes[i].offset;
		p->planes[i].stride = b->planes[i].stride;
		p->planes[i].size = b->planes[i].size;
	}
	for (uint32_t i = b->n_planes; i < LASTFRAME_MAX_PLANES; i++)
		p->planes[i].fd = -1;
	p->crop.x = m->crop.x;
	p->crop.y = m->crop.y;
	p->crop.width = m->crop.width;
	p->crop.height = m->crop.height;
	p->n_damage = m->n_damage;
	memcpy(p->damage, dmg, m->n_damage * sizeof(*dmg));
	p->cursor_x = m->cursor_x;
	p->cursor_y = m->cursor_y;
	p->hotspot_x = m->hotspot_x;
	p->hotspot_y = m->hotspot_y;
	p->cursor_width = m->cursor_width;
	p->cursor_height = m->cursor_height;
	for (uint32_t i = 0; i < LASTFRAME_MAX_PLANES; i++)
		p->fences[i] = -1;
	if (m->flags & LF_FRAME_F_FENCE_PENDING) {
		p->n_fences = m->n_fences;
		for (uint32_t i = 0; i < m->n_fences; i++) {
			p->fences[i] = fds[i];
			fds[i] = -1;
		}
	}
	if (lf->queue_tail)
		lf->queue_tail->next = f;
	else
		lf->queue_head = f;
	lf->queue_tail = f;
	return 1;
}

static int handle_msg(struct lastframe *lf, const uint8_t *buf, size_t len, int *fds,
		      unsigned n_fds, uint64_t now)
{
	const struct lf_msg_hdr *h = (const void *)buf;
	int r = lf_client_check_msg(buf, len, n_fds);

	if (r != 0)
		return r > 0 ? 0 : r;
	/* Before WELCOME only ERROR makes sense. */
	if (!lf->version && h->type != LF_MSG_WELCOME && h->type != LF_MSG_ERROR)
		return -EPROTO;

	switch (h->type) {
	case LF_MSG_WELCOME:
		return handle_welcome(lf, (const void *)buf);
	case LF_MSG_ERROR: {
		const struct lf_msg_error *e = (const void *)buf;
		int code = e->code > 0 && e->code < 4096 ? (int)e->code : EPROTO;
		/* ERROR is fatal (the daemon closes after it): the current call
		 * reports it, and so does every later one. */
		lf->pending_error = -code;
		lf->dead = -code;
		return 0;
	}
	case LF_MSG_FORMAT:
		return handle_format(lf, (const void *)buf);
	case LF_MSG_ADD_BUFFER:
		return handle_add_buffer(lf, (const void *)buf, fds);
	case LF_MSG_REMOVE_BUFFER:
		return handle_remove_buffer(lf, (const void *)buf);
	case LF_MSG_FRAME:
		return handle_frame(lf, (const void *)buf, len, fds, now);
	case LF_MSG_PING: {
		struct lf_msg_ping pong;
		lf_client_build_ping(&pong, LF_MSG_PONG, ((const struct lf_msg_ping *)buf)->cookie);
		lf_client_send(lf, &pong, sizeof(pong));
		return 0;
	}
	case LF_MSG_PONG:
		if (((const struct lf_msg_ping *)buf)->cookie == lf->ping_cookie)
			lf->got_pong = true;
		return 0;
	case LF_MSG_BYE:
		lf->dead = -EPIPE;
		return 0;
	case LF_MSG_STATUS:
		snprintf(lf->status, sizeof(lf->status), "%s",
			 (const char *)buf + sizeof(struct lf_msg_status));
		lf->have_status = true;
		return 0;
	case LF_MSG_STATS:
		/* Checked: the whole struct, or its first LF_MSG_STATS_V1_SIZE bytes. */
		memset(&lf->stats, 0, sizeof(lf->stats));
		memcpy(&lf->stats, buf, len < sizeof(lf->stats) ? len : sizeof(lf->stats));
		lf->stats_ext = len >= sizeof(lf->stats);
		lf->have_stats = true;
		return 0;
	}
	return -EPROTO;
}

/* A protocol violation ends the connection: tell the daemon why, then stop. */
static void fail_protocol(struct lastframe *lf, int err)
{
	struct {
		struct lf_msg_error e;
		char text[32];
	} m;

	memset(&m, 0, sizeof(m));
	lf_client_build_hdr(&m.e.hdr, LF_MSG_ERROR, sizeof(m));
	m.e.code = (uint32_t)-err;
	strcpy(m.text, "client: bad message");
	lf_client_send(lf, &m, sizeof(m));
	lf->dead = err;
}

int lf_client_read_one(struct lastframe *lf, int *new_frames)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * LF_PROTO_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = lf->rx, .iov_len = LF_PROTO_MAX_MSG };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	int fds[LF_PROTO_MAX_FDS];
	unsigned n_fds = 0;
	bool extra_fds = false;
	ssize_t n;
	int r;

	if (lf->dead)
		return lf->dead;
	for (bool reset = false;;) {
		n = recvmsg(lf->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		/* A daemon that closed with our packets unread leaves ECONNRESET
		 * pending *ahead of* what it sent last (an ERROR saying why): the
		 * error is reported once, then the queue is still readable. */
		if (errno == ECONNRESET && !reset) {
			reset = true;
			continue;
		}
		if (errno == EAGAIN && !reset)
			return 0;
		lf->dead = reset ? -ECONNRESET : -errno;
		return lf->dead;
	}
	uint64_t now = lf_client_now_ns();

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *cfd = (int *)CMSG_DATA(c);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, cfd + i, sizeof(fd));
			if (n_fds < LF_PROTO_MAX_FDS) {
				fds[n_fds++] = fd;
			} else {
				close(fd);
				extra_fds = true;
			}
		}
	}
	if (n == 0) {
		close_fds(fds, n_fds);
		lf->dead = -ECONNRESET; /* closed without BYE */
		return lf->dead;
	}
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || extra_fds) {
		r = -EPROTO;
	} else {
		r = handle_msg(lf, lf->rx, (size_t)n, fds, n_fds, now);
	}
	close_fds(fds, n_fds); /* whatever no handler took */
	if (r < 0) {
		if (r == -EPROTO)
			fail_protocol(lf, r);
		else
			lf->dead = r;
		return r;
	}
	if (r > 0 && new_frames)
		(*new_frames)++;
	return 1;
}
