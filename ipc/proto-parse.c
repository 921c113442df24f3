/* SPDX-License-Identifier: MIT */
#include "ipc/proto-parse.h"

#include <errno.h>
#include <string.h>

/* Which direction(s) a type may travel. */
#define TO_D (1u << LF_PROTO_TO_DAEMON)
#define TO_C (1u << LF_PROTO_TO_CLIENT)

struct type_info {
	const char *name;
	size_t size;   /* exact size, or the fixed part for variable types */
	unsigned dirs;
	int variable;
};

static const struct type_info types[] = {
	[LF_MSG_HELLO] = { "HELLO", sizeof(struct lf_msg_hello), TO_D, 0 },
	[LF_MSG_WELCOME] = { "WELCOME", sizeof(struct lf_msg_welcome), TO_C, 0 },
	[LF_MSG_ERROR] = { "ERROR", sizeof(struct lf_msg_error), TO_D | TO_C, 1 },
	[LF_MSG_FORMAT] = { "FORMAT", sizeof(struct lf_msg_format), TO_C, 0 },
	[LF_MSG_ADD_BUFFER] = { "ADD_BUFFER", sizeof(struct lf_msg_add_buffer), TO_C, 0 },
	[LF_MSG_REMOVE_BUFFER] = { "REMOVE_BUFFER", sizeof(struct lf_msg_remove_buffer), TO_C, 0 },
	[LF_MSG_FRAME] = { "FRAME", sizeof(struct lf_msg_frame), TO_C, 1 },
	[LF_MSG_RELEASE] = { "RELEASE", sizeof(struct lf_msg_release), TO_D, 0 },
	[LF_MSG_PING] = { "PING", sizeof(struct lf_msg_ping), TO_D | TO_C, 0 },
	[LF_MSG_PONG] = { "PONG", sizeof(struct lf_msg_ping), TO_D | TO_C, 0 },
	[LF_MSG_BYE] = { "BYE", sizeof(struct lf_msg_bye), TO_D | TO_C, 0 },
	[LF_MSG_IMPORT_FAILED] = { "IMPORT_FAILED", sizeof(struct lf_msg_import_failed), TO_D, 0 },
	[LF_MSG_STATS_REQUEST] = { "STATS_REQUEST", sizeof(struct lf_msg_hdr), TO_D, 0 },
	[LF_MSG_STATS] = { "STATS", sizeof(struct lf_msg_stats), TO_C, 0 },
	[LF_MSG_STATUS] = { "STATUS", sizeof(struct lf_msg_status), TO_C, 1 },
};

static const struct type_info *type_lookup(uint16_t type)
{
	if (type >= sizeof(types) / sizeof(types[0]) || !types[type].name)
		return NULL;
	return &types[type];
}

size_t lf_proto_fixed_size(uint16_t type)
{
	const struct type_info *t = type_lookup(type);

	return t && !t->variable ? t->size : 0;
}

const char *lf_proto_type_name(uint16_t type)
{
	const struct type_info *t = type_lookup(type);

	return t ? t->name : "unknown";
}

static int has_nul(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static int parse_error(const uint8_t *p, size_t len, struct lf_proto_msg *out)
{
	size_t text_len;

	if (len <= sizeof(struct lf_msg_error))
		return -EBADMSG; /* at least the terminating NUL */
	text_len = len - sizeof(struct lf_msg_error);
	if (text_len > LF_PROTO_MAX_ERROR_TEXT || p[len - 1] != '\0')
		return -EBADMSG;
	memcpy(&out->u.error, p, sizeof(struct lf_msg_error));
	out->error_text = (const char *)p + sizeof(struct lf_msg_error);
	return 0;
}

static int parse_frame(const uint8_t *p, size_t len, unsigned n_fds, struct lf_proto_msg *out)
{
	const struct lf_msg_frame *f = &out->u.frame;
	size_t want = sizeof(struct lf_msg_frame);

	if (len < want)
		return -EBADMSG;
	memcpy(&out->u.frame, p, sizeof(struct lf_msg_frame));
	if (f->n_damage > LF_PROTO_MAX_DAMAGE)
		return -EBADMSG;
	want += (size_t)f->n_damage * sizeof(struct lf_wire_rect);
	if (f->flags & LF_FRAME_F_CURSOR_BITMAP) {
		if (f->cursor_width > LF_PROTO_MAX_CURSOR || f->cursor_height > LF_PROTO_MAX_CURSOR)
			return -EBADMSG;
		want += (size_t)f->cursor_width * f->cursor_height * 4;
	}
	if (len != want)
		return -EBADMSG;
	if (f->flags & LF_FRAME_F_FENCE_PENDING) {
		if (f->n_fences < 1 || f->n_fences > LF_PROTO_MAX_FDS || n_fds != f->n_fences)
			return -EBADMSG;
	} else if (f->n_fences != 0 || n_fds != 0) {
		return -EBADMSG;
	}
	out->damage = p + sizeof(struct lf_msg_frame);
	if (f->flags & LF_FRAME_F_CURSOR_BITMAP)
		out->cursor = out->damage + (size_t)f->n_damage * sizeof(struct lf_wire_rect);
	out->n_fds = n_fds;
	return 0;
}

/* Field checks of fixed-size messages, after the size matched. */
static int check_fixed(uint16_t type, unsigned n_fds, struct lf_proto_msg *out)
{
	unsigned want_fds = 0;

	switch (type) {
	case LF_MSG_HELLO:
		if (!has_nul(out->u.hello.name, sizeof(out->u.hello.name)))
			return -EBADMSG;
		break;
	case LF_MSG_WELCOME:
		if (!has_nul(out->u.welcome.daemon_version, sizeof(out->u.welcome.daemon_version)))
			return -EBADMSG;
		break;
	case LF_MSG_FORMAT:
		if (out->u.format.n_planes > LF_PROTO_MAX_FDS)
			return -EBADMSG;
		break;
	case LF_MSG_ADD_BUFFER: {
		const struct lf_msg_add_buffer *a = &out->u.add_buffer;

		if (a->n_planes < 1 || a->n_planes > LF_PROTO_MAX_FDS)
			return -EBADMSG;
		if (a->buffer_type != LF_WIRE_BUFFER_MEMFD && a->buffer_type != LF_WIRE_BUFFER_DMABUF)
			return -EBADMSG;
		want_fds = a->n_planes;
		break;
	}
	default:
		break;
	}
	if (n_fds != want_fds)
		return -EBADMSG;
	out->n_fds = n_fds;
	return 0;
}

int lf_proto_parse(const void *data, size_t len, unsigned n_fds, enum lf_proto_dir dir,
		   struct lf_proto_msg *out)
{
	const uint8_t *p = data;
	const struct type_info *t;
	int r;

	memset(out, 0, sizeof(*out));
	if (len > LF_PROTO_MAX_MSG)
		return -EMSGSIZE;
	if (!p || len < sizeof(struct lf_msg_hdr))
		return -EBADMSG;
	memcpy(&out->hdr, p, sizeof(out->hdr));
	if (out->hdr.length != len)
		return -EBADMSG;
	if (n_fds > LF_PROTO_MAX_FDS)
		return -EBADMSG;

	t = type_lookup(out->hdr.type);
	if (!t) {
		if (out->hdr.flags & LF_MSG_FLAG_IGNORABLE)
			return LF_PROTO_IGNORE;
		return -EPROTO;
	}
	if (!(t->dirs & (1u << dir)))
		return -EPROTO;

	switch (out->hdr.type) {
	case LF_MSG_ERROR:
		if (n_fds)
			return -EBADMSG;
		return parse_error(p, len, out);
	case LF_MSG_FRAME:
		return parse_frame(p, len, n_fds, out);
	case LF_MSG_STATUS:
		if (n_fds || len <= sizeof(struct lf_msg_status) ||
		    len - sizeof(struct lf_msg_status) > LF_PROTO_MAX_STATUS_TEXT || p[len - 1] != '\0')
			return -EBADMSG;
		out->status_text = (const char *)p + sizeof(struct lf_msg_status);
		return 0;
	default:
		/* STATS without LF_CAP_STATS_EXT: the fields before the appended ones. */
		if (len != t->size && !(out->hdr.type == LF_MSG_STATS && len == LF_MSG_STATS_V1_SIZE))
			return -EBADMSG;
		/* The union is at least as large as every fixed message. */
		memset(&out->u, 0, t->size);
		memcpy(&out->u, p, len);
		r = check_fixed(out->hdr.type, n_fds, out);
		return r;
	}
}
