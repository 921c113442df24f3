/* SPDX-License-Identifier: MIT */
/* Building and checking protocol packets: no I/O, so unit tests cover it all. */
#include <errno.h>
#include <string.h>

#include "client/lib/client.h"

void lf_client_build_hdr(struct lf_msg_hdr *h, uint16_t type, uint32_t length)
{
	h->type = type;
	h->flags = 0;
	h->length = length;
}

void lf_client_build_hello(struct lf_msg_hello *m, const char *name, uint32_t caps,
			   uint32_t max_held)
{
	memset(m, 0, sizeof(*m));
	lf_client_build_hdr(&m->hdr, LF_MSG_HELLO, sizeof(*m));
	m->version = LF_PROTO_VERSION;
	m->caps = caps;
	m->max_held = max_held;
	if (name)
		strncpy(m->name, name, sizeof(m->name) - 1); /* rest stays NUL */
}

void lf_client_build_release(struct lf_msg_release *m, uint32_t generation, uint32_t buffer_id,
			     uint64_t seq)
{
	memset(m, 0, sizeof(*m));
	lf_client_build_hdr(&m->hdr, LF_MSG_RELEASE, sizeof(*m));
	m->generation = generation;
	m->buffer_id = buffer_id;
	m->seq = seq;
}

void lf_client_build_import_failed(struct lf_msg_import_failed *m, uint32_t generation,
				   uint32_t drm_format, uint64_t modifier)
{
	memset(m, 0, sizeof(*m));
	lf_client_build_hdr(&m->hdr, LF_MSG_IMPORT_FAILED, sizeof(*m));
	m->generation = generation;
	m->drm_format = drm_format;
	m->modifier = modifier;
}

void lf_client_build_ping(struct lf_msg_ping *m, uint16_t type, uint64_t cookie)
{
	memset(m, 0, sizeof(*m));
	lf_client_build_hdr(&m->hdr, type, sizeof(*m));
	m->cookie = cookie;
}

void lf_client_build_bye(struct lf_msg_bye *m, uint32_t reason)
{
	memset(m, 0, sizeof(*m));
	lf_client_build_hdr(&m->hdr, LF_MSG_BYE, sizeof(*m));
	m->reason = reason;
}

static int check_frame(const struct lf_msg_frame *m, size_t len, unsigned n_fds)
{
	size_t need = sizeof(*m);

	if (m->n_damage > LF_PROTO_MAX_DAMAGE || m->n_fences > LF_PROTO_MAX_FDS)
		return -EPROTO;
	need += (size_t)m->n_damage * sizeof(struct lf_wire_rect);
	if (m->flags & LF_FRAME_F_CURSOR_BITMAP) {
		if (m->cursor_width > LF_PROTO_MAX_CURSOR || m->cursor_height > LF_PROTO_MAX_CURSOR)
			return -EPROTO;
		need += (size_t)m->cursor_width * m->cursor_height * 4;
	}
	if (len != need)
		return -EPROTO;
	/* Fences travel only with early frames, one fd per announced fence. */
	if (n_fds != ((m->flags & LF_FRAME_F_FENCE_PENDING) ? m->n_fences : 0))
		return -EPROTO;
	return 0;
}

static int check_add_buffer(const struct lf_msg_add_buffer *m, unsigned n_fds)
{
	if (m->n_planes < 1 || m->n_planes > LF_PROTO_MAX_FDS || n_fds != m->n_planes)
		return -EPROTO;
	if (m->buffer_type != LF_WIRE_BUFFER_MEMFD && m->buffer_type != LF_WIRE_BUFFER_DMABUF)
		return -EPROTO;
	for (uint32_t i = 0; i < m->n_planes; i++)
		if (m->planes[i].size == 0)
			return -EPROTO;
	return 0;
}

static bool lf_client_known_type(uint16_t type)
{
	return type >= LF_MSG_HELLO && type <= LF_MSG_STATUS;
}

int lf_client_check_msg(const void *buf, size_t len, unsigned n_fds)
{
	struct lf_msg_hdr h;
	size_t min;

	if (len < sizeof(h))
		return -EPROTO;
	memcpy(&h, buf, sizeof(h));
	if (h.length != len)
		return -EPROTO;

	switch (h.type) {
	case LF_MSG_WELCOME: min = sizeof(struct lf_msg_welcome); break;
	case LF_MSG_ERROR: min = sizeof(struct lf_msg_error); break;
	case LF_MSG_FORMAT: min = sizeof(struct lf_msg_format); break;
	case LF_MSG_ADD_BUFFER: min = sizeof(struct lf_msg_add_buffer); break;
	case LF_MSG_REMOVE_BUFFER: min = sizeof(struct lf_msg_remove_buffer); break;
	case LF_MSG_FRAME: min = sizeof(struct lf_msg_frame); break;
	case LF_MSG_PING:
	case LF_MSG_PONG: min = sizeof(struct lf_msg_ping); break;
	case LF_MSG_BYE: min = sizeof(struct lf_msg_bye); break;
	case LF_MSG_STATS: min = sizeof(struct lf_msg_stats); break;
	case LF_MSG_STATUS: min = sizeof(struct lf_msg_status); break;
	default:
		/* Client→daemon types arriving here are as wrong as unknown ones.
		 * An ignorable message's fds are simply closed by the caller. */
		if ((h.flags & LF_MSG_FLAG_IGNORABLE) && !lf_client_known_type(h.type))
			return 1;
		return -EPROTO;
	}
	/* Layouts are fixed within a protocol version (docs/protocol.md §9):
	 * exact sizes, except the variable FRAME and ERROR. */
	if (h.type == LF_MSG_ERROR || h.type == LF_MSG_STATUS) {
		if (len < min + 1 || len > min + 256 || ((const uint8_t *)buf)[len - 1] != '\0')
			return -EPROTO;
	} else if (h.type == LF_MSG_STATS) {
		/* Without LF_CAP_STATS_EXT (or from an older daemon): the old size. */
		if (len != min && len != LF_MSG_STATS_V1_SIZE)
			return -EPROTO;
	} else if (h.type == LF_MSG_FRAME ? len < min : len != min) {
		return -EPROTO;
	}

	if (h.type == LF_MSG_ADD_BUFFER)
		return check_add_buffer(buf, n_fds);
	if (h.type == LF_MSG_FRAME)
		return check_frame(buf, len, n_fds);
	if (n_fds)
		return -EPROTO;
	if (h.type == LF_MSG_FORMAT) {
		const struct lf_msg_format *f = buf;
		if (f->n_planes > LF_PROTO_MAX_FDS)
			return -EPROTO;
	}
	return 0;
}

const char *lf_client_error_text(const void *buf, size_t len)
{
	const struct lf_msg_error *e = buf;
	size_t max = len - sizeof(*e);

	if (len <= sizeof(*e) || !memchr(e->text, '\0', max))
		return "";
	return e->text;
}
