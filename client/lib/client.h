/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * liblastframe internals, shared by the files of client/lib/ and the unit tests (which
 * link liblastframe.a). Hidden from the shared library's ABI: only the
 * lastframe_* functions of client/lastframe.h are exported.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/lastframe.h"
#include "ipc/proto.h"

#define LF_HIDDEN __attribute__((visibility("hidden")))

/* How long lastframe_connect() waits for WELCOME. */
#define LF_CLIENT_HANDSHAKE_MS 5000

/* One buffer the daemon sent (ADD_BUFFER). Reference counted: the registry
 * of the current generation holds one reference, every frame that points at
 * it holds one, so a buffer removed (or a generation replaced) while the
 * application still reads a frame stays mapped until that frame is released. */
struct lf_client_buffer {
	struct lf_client_buffer *next; /* registry list, only while registered */
	uint32_t generation, id;
	uint32_t type;                 /* LF_WIRE_BUFFER_* */
	uint32_t n_planes;
	struct lf_wire_plane planes[LF_PROTO_MAX_FDS];
	int fds[LF_PROTO_MAX_FDS];
	void *map[LF_PROTO_MAX_FDS];   /* cached mapping of fd i, 0..offset+size */
	size_t map_len[LF_PROTO_MAX_FDS];
	uint32_t width, height, drm_format;
	uint64_t modifier;
	int refs;
};

struct lf_client_frame {
	struct lastframe_frame pub;   /* first: the application's pointer */
	struct lf_client_frame *next; /* queue or held list */
	struct lf_client_buffer *buf;
	uint8_t *cursor;
	unsigned synced;              /* planes with a DMA_BUF_SYNC_START open */
};

struct lastframe {
	int fd;
	int dead;                /* 0, or the error every later call returns */
	int pending_error;       /* an ERROR message for the current call */
	uint32_t version, caps, max_held, lease_timeout_ms, client_id;
	char daemon_version[LF_PROTO_NAME_LEN + 1];

	bool have_format;
	struct lf_msg_format format;

	struct lf_client_buffer *buffers;
	struct lf_client_frame *queue_head, *queue_tail;
	struct lf_client_frame *held;

	bool have_stats;
	bool have_status;        /* STATUS came with the last STATS (newer daemons) */
	char status[LF_PROTO_MAX_STATUS_TEXT];
	bool stats_ext;          /* the daemon sent the appended STATS fields */
	struct lf_msg_stats stats;
	uint64_t ping_cookie;
	bool got_pong;

	uint8_t *rx;             /* LF_PROTO_MAX_MSG bytes */
};

/* --- msg.c: building and checking packets (pure) ------------------------ */
LF_HIDDEN void lf_client_build_hello(struct lf_msg_hello *m, const char *name,
				     uint32_t caps, uint32_t max_held);
LF_HIDDEN void lf_client_build_release(struct lf_msg_release *m, uint32_t generation,
				       uint32_t buffer_id, uint64_t seq);
LF_HIDDEN void lf_client_build_import_failed(struct lf_msg_import_failed *m, uint32_t generation,
					     uint32_t drm_format, uint64_t modifier);
LF_HIDDEN void lf_client_build_ping(struct lf_msg_ping *m, uint16_t type, uint64_t cookie);
LF_HIDDEN void lf_client_build_bye(struct lf_msg_bye *m, uint32_t reason);
LF_HIDDEN void lf_client_build_hdr(struct lf_msg_hdr *h, uint16_t type, uint32_t length);
/* Checks a received packet of len bytes that came with n_fds fds.
 * 0: a known, well-formed message; 1: unknown but ignorable;
 * -EPROTO: malformed, unexpected fds, or unknown and not ignorable. */
LF_HIDDEN int lf_client_check_msg(const void *buf, size_t len, unsigned n_fds);
/* The ERROR message's text, or "" (always NUL-terminated inside buf). */
LF_HIDDEN const char *lf_client_error_text(const void *buf, size_t len);

/* --- conn.c ----------------------------------------------------------- */
LF_HIDDEN int lf_client_send(struct lastframe *lf, const void *msg, size_t len);
LF_HIDDEN uint64_t lf_client_now_ns(void);
/* Wait until cond(lf) is true, reading messages; timeout_ms -1 forever. */
LF_HIDDEN int lf_client_wait(struct lastframe *lf, int timeout_ms,
			     bool (*cond)(struct lastframe *lf, void *data), void *data);

/* --- dispatch.c -------------------------------------------------------- */
/* Reads one packet without blocking: 1 handled, 0 nothing to read, <0 error. */
LF_HIDDEN int lf_client_read_one(struct lastframe *lf, int *new_frames);
LF_HIDDEN void lf_client_buffer_unref(struct lf_client_buffer *b);
LF_HIDDEN void lf_client_drop_buffers(struct lastframe *lf);
LF_HIDDEN void lf_client_frame_free(struct lf_client_frame *f);
