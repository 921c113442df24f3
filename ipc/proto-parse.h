/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Pure validation of one received packet of the wire protocol
 * (docs/protocol.md): no I/O, no allocation, no fds touched, so it can be
 * unit tested and fuzzed. The caller owns the fds that came with the packet
 * and must close them whenever the result is not a message that carries fds.
 */
#include <stddef.h>
#include <stdint.h>

#include "ipc/proto.h"

enum lf_proto_dir {
	LF_PROTO_TO_DAEMON = 0, /* client → daemon */
	LF_PROTO_TO_CLIENT = 1, /* daemon → client */
};

#define LF_PROTO_MAX_ERROR_TEXT 256 /* bytes, NUL included */

/* A validated message. The fixed part is copied (so the packet buffer needs
 * no particular alignment); the variable tails point into the packet. */
struct lf_proto_msg {
	struct lf_msg_hdr hdr;
	union {
		struct lf_msg_hello hello;
		struct lf_msg_welcome welcome;
		struct { /* lf_msg_error without its text[] */
			struct lf_msg_hdr hdr;
			uint32_t code;
			uint32_t reserved;
		} error;
		struct lf_msg_format format;
		struct lf_msg_add_buffer add_buffer;
		struct lf_msg_remove_buffer remove_buffer;
		struct lf_msg_frame frame;
		struct lf_msg_release release;
		struct lf_msg_ping ping; /* PING and PONG */
		struct lf_msg_bye bye;
		struct lf_msg_import_failed import_failed;
		struct lf_msg_stats stats;
	} u;
	const char *error_text;      /* ERROR: NUL-terminated, inside the packet */
	const char *status_text;     /* STATUS: NUL-terminated, inside the packet */
	const uint8_t *damage;       /* FRAME: n_damage packed lf_wire_rect (memcpy them out) */
	const uint8_t *cursor;       /* FRAME with LF_FRAME_F_CURSOR_BITMAP: w*h*4 bytes */
	unsigned n_fds;              /* fds this message carries (= the fds received) */
};

/* Return values besides 0 (a valid message in *out). */
#define LF_PROTO_IGNORE 1 /* unknown type marked IGNORABLE: skip it (close its fds) */

/*
 * Validate one packet of len bytes that arrived with n_fds file descriptors,
 * travelling in direction dir. Returns 0 and fills *out, LF_PROTO_IGNORE, or a
 * negative errno: -EBADMSG (length or field inconsistent with the type, fds
 * that do not belong), -EMSGSIZE (over LF_PROTO_MAX_MSG), -EPROTO (unknown
 * mandatory type or a type that never travels in this direction).
 */
int lf_proto_parse(const void *data, size_t len, unsigned n_fds, enum lf_proto_dir dir,
		   struct lf_proto_msg *out);

/* Exact wire size of a fixed-size message type, 0 for variable or unknown ones. */
size_t lf_proto_fixed_size(uint16_t type);
/* Name for logs ("HELLO"), "unknown" otherwise. */
const char *lf_proto_type_name(uint16_t type);
