/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * lastframe wire protocol, version 1. The normative text is docs/protocol.md;
 * this header is its C form, shared by the daemon and liblastframe.
 *
 * Transport: AF_UNIX SOCK_SEQPACKET, one message per packet, host byte order
 * (the peer is on the same machine). Every message starts with lf_msg_hdr;
 * `length` is the whole packet. File descriptors travel as SCM_RIGHTS on the
 * packet that needs them and only there.
 */
#include <stddef.h>
#include <stdint.h>

#define LF_PROTO_VERSION 1
#define LF_PROTO_MAX_MSG (128 * 1024) /* largest packet either side sends or accepts */
#define LF_PROTO_MAX_FDS 4
#define LF_PROTO_NAME_LEN 32
#define LF_PROTO_MAX_DAMAGE 16
#define LF_PROTO_MAX_CURSOR 128       /* cursor bitmaps up to 128x128 ARGB8888 */

enum lf_msg_type {
	LF_MSG_HELLO = 1,          /* c→d */
	LF_MSG_WELCOME = 2,        /* d→c */
	LF_MSG_ERROR = 3,          /* both */
	LF_MSG_FORMAT = 4,         /* d→c */
	LF_MSG_ADD_BUFFER = 5,     /* d→c, n_planes fds */
	LF_MSG_REMOVE_BUFFER = 6,  /* d→c */
	LF_MSG_FRAME = 7,          /* d→c, n_fences fds when early publish */
	LF_MSG_RELEASE = 8,        /* c→d */
	LF_MSG_PING = 9,           /* both */
	LF_MSG_PONG = 10,          /* both */
	LF_MSG_BYE = 11,           /* both */
	LF_MSG_IMPORT_FAILED = 12, /* c→d: this (format, modifier) can't be imported here */
	LF_MSG_STATS_REQUEST = 13, /* c→d */
	LF_MSG_STATS = 14,         /* d→c */
	LF_MSG_STATUS = 15,        /* d→c, ignorable: the daemon's status line, right before STATS */
};

/* A receiver that does not know a message type ignores it when this flag is
 * set and answers ERROR + disconnect when it is not. */
#define LF_MSG_FLAG_IGNORABLE (1u << 0)

struct lf_msg_hdr {
	uint16_t type;
	uint16_t flags;
	uint32_t length; /* bytes, header included */
};

/* Capabilities (HELLO asks, WELCOME grants). */
#define LF_CAP_EARLY_FENCES  (1u << 0) /* send frames before their fence signals, with sync_file fds */
#define LF_CAP_CURSOR_BITMAP (1u << 1) /* attach cursor bitmaps when they change */
#define LF_CAP_NO_FRAMES     (1u << 2) /* control client (info/stats): FORMAT but no buffers/frames */
#define LF_CAP_GPU_IMPORT    (1u << 3) /* imports dmabufs with explicit modifiers itself: gets the originals */
#define LF_CAP_STATS_EXT     (1u << 4) /* STATS with the fields appended after fps_milli */

struct lf_msg_hello {
	struct lf_msg_hdr hdr;
	uint32_t version;   /* highest protocol version the client speaks */
	uint32_t caps;      /* LF_CAP_* wanted */
	uint32_t max_held;  /* frames the client may hold at once (1..3) */
	uint32_t reserved;
	char name[LF_PROTO_NAME_LEN]; /* NUL-terminated, for logs and stats */
};

struct lf_msg_welcome {
	struct lf_msg_hdr hdr;
	uint32_t version;          /* version chosen */
	uint32_t caps;             /* LF_CAP_* granted */
	uint32_t max_held;         /* credits granted */
	uint32_t lease_timeout_ms; /* a frame held longer gets the client disconnected */
	uint32_t client_id;
	uint32_t reserved;
	char daemon_version[LF_PROTO_NAME_LEN];
};

/* Error codes are positive errno values. */
struct lf_msg_error {
	struct lf_msg_hdr hdr;
	uint32_t code;
	uint32_t reserved;
	char text[]; /* NUL-terminated, at most 256 bytes */
};

/* Buffer types on the wire. */
#define LF_WIRE_BUFFER_NONE   0
#define LF_WIRE_BUFFER_MEMFD  1
#define LF_WIRE_BUFFER_DMABUF 2

#define LF_FORMAT_FLAG_MODIFIER (1u << 0) /* modifier field is meaningful */
#define LF_FORMAT_FLAG_COPIED   (1u << 1) /* producer sends MemPtr; daemon copies */

/* A new generation invalidates every buffer id of the previous one. */
struct lf_msg_format {
	struct lf_msg_hdr hdr;
	uint32_t generation;
	uint32_t state;           /* 0 no source, 1 paused, 2 streaming (lf_stream_state) */
	uint32_t width, height;
	uint32_t drm_format;      /* fourcc; 0 when no format */
	uint32_t n_planes;
	uint64_t modifier;        /* DRM_FORMAT_MOD_INVALID when none */
	uint32_t buffer_type;     /* LF_WIRE_BUFFER_* as clients see it */
	uint32_t source_type;     /* what the producer sends: lf_buffer_type (MEMPTR = 3) */
	uint32_t fps_num, fps_den;
	uint32_t flags;           /* LF_FORMAT_FLAG_* */
	uint32_t read_path;       /* LF_READ_PATH_*: how this client gets frames (§5) */
};

/* FORMAT.read_path (base/readpath.h has the same values). */
#define LF_READ_PATH_NONE           0 /* no frames (no format, or a control client of an unknown path) */
#define LF_READ_PATH_DIRECT         1 /* the producer's buffers as they are */
#define LF_READ_PATH_GPU_READBACK   2 /* the daemon's linear copy (memfd), read back on its GPU */
#define LF_READ_PATH_LINEAR_INVALID 3 /* implicit-layout dmabuf: map linearly with its stride */
#define LF_READ_PATH_UNREADABLE     4 /* tiled and no readback: no frames for this CPU reader */

struct lf_wire_plane {
	uint32_t offset; /* start of the plane in its fd */
	uint32_t stride;
	uint32_t size;   /* readable bytes from offset */
	uint32_t reserved;
};

/* Followed by n_planes fds (SCM_RIGHTS), plane i ↔ fd i. Sent once per
 * buffer per client; later frames refer to buffer_id. */
struct lf_msg_add_buffer {
	struct lf_msg_hdr hdr;
	uint32_t generation;
	uint32_t buffer_id;
	uint32_t buffer_type;  /* LF_WIRE_BUFFER_* */
	uint32_t n_planes;
	struct lf_wire_plane planes[LF_PROTO_MAX_FDS];
};

struct lf_msg_remove_buffer {
	struct lf_msg_hdr hdr;
	uint32_t generation;
	uint32_t buffer_id;
};

struct lf_wire_rect {
	int32_t x, y;
	uint32_t width, height;
};

/* Frame flags: the same bits as base/frame.h LF_FRAME_FLAG_*. */
#define LF_FRAME_F_FENCE_PENDING (1u << 0)
#define LF_FRAME_F_FENCE_TIMEOUT (1u << 1)
#define LF_FRAME_F_CURSOR        (1u << 2)
#define LF_FRAME_F_CURSOR_BITMAP (1u << 3)
#define LF_FRAME_F_DAMAGE        (1u << 4)
#define LF_FRAME_F_CROP          (1u << 5)
#define LF_FRAME_F_COPIED        (1u << 6)

/* Followed by n_damage lf_wire_rect, then cursor_width*cursor_height*4 bytes
 * of ARGB8888 when LF_FRAME_F_CURSOR_BITMAP. With LF_FRAME_F_FENCE_PENDING the
 * packet carries n_fences sync_file fds (plane order). The client owns the
 * buffer until it sends RELEASE for (generation, buffer_id, seq). */
struct lf_msg_frame {
	struct lf_msg_hdr hdr;
	uint32_t generation;
	uint32_t buffer_id;
	uint64_t seq;          /* daemon sequence: strictly increasing per daemon */
	uint64_t pts_ns;       /* producer pts, CLOCK_MONOTONIC, 0 when unknown */
	uint64_t recv_ns;      /* daemon received it (CLOCK_MONOTONIC) */
	uint64_t send_ns;      /* daemon sent it (CLOCK_MONOTONIC) */
	uint32_t skipped;      /* frames this client missed since its previous FRAME */
	uint32_t flags;        /* LF_FRAME_F_* */
	struct lf_wire_rect crop;
	int32_t cursor_x, cursor_y;
	int32_t hotspot_x, hotspot_y;
	uint32_t cursor_width, cursor_height;
	uint32_t n_damage;
	uint32_t n_fences;
};

struct lf_msg_release {
	struct lf_msg_hdr hdr;
	uint32_t generation;
	uint32_t buffer_id;
	uint64_t seq;
};

struct lf_msg_ping {
	struct lf_msg_hdr hdr;
	uint64_t cookie;
};

#define LF_BYE_SHUTDOWN 1 /* daemon stopping */
#define LF_BYE_CLIENT   2 /* client leaving */

struct lf_msg_bye {
	struct lf_msg_hdr hdr;
	uint32_t reason;
	uint32_t reserved;
};

struct lf_msg_import_failed {
	struct lf_msg_hdr hdr;
	uint32_t generation;
	uint32_t drm_format;
	uint64_t modifier;
};

/* What the daemon does or waits for, as in its STATUS= ("waiting for the
 * portal, 0 clients"). Always sent with LF_MSG_FLAG_IGNORABLE. */
#define LF_PROTO_MAX_STATUS_TEXT 256
struct lf_msg_status {
	struct lf_msg_hdr hdr;
	char text[]; /* NUL-terminated, at most LF_PROTO_MAX_STATUS_TEXT bytes */
};

struct lf_msg_stats {
	struct lf_msg_hdr hdr;
	uint32_t state;          /* lf_stream_state */
	uint32_t clients;
	uint64_t uptime_ns;
	uint64_t frames_in;      /* buffers received from PipeWire */
	uint64_t frames_published;
	uint64_t frames_sent;    /* FRAME messages, all clients */
	uint64_t frames_dropped; /* superseded before publication */
	uint64_t frames_corrupted;
	uint64_t frames_skipped; /* client without credit skipped */
	uint64_t copies;
	uint64_t lease_timeouts;
	uint64_t clients_refused;
	uint64_t protocol_errors;
	uint64_t renegotiations;
	uint64_t fence_waited;
	uint64_t fence_already_signalled;
	uint64_t fence_timeouts;
	uint64_t fence_wait_p50_ns;
	uint64_t fence_wait_p99_ns;
	uint32_t fence_disabled;
	uint32_t fps_milli;
	/* Appended; sent only to clients granted LF_CAP_STATS_EXT (the others
	 * get the first LF_MSG_STATS_V1_SIZE bytes). The PipeWire < 1.4.8
	 * return guard (docs/hacking.md): */
	uint64_t returns_guarded;   /* buffers given back with the daemon's busy mark kept */
	uint64_t returns_unguarded; /* marks given up early so the producer has a buffer */
	uint64_t buffers_refused;   /* reused by the producer while PipeWire would refuse them */
	uint32_t return_guard;      /* 1: on */
	uint32_t reserved2;
};
#define LF_MSG_STATS_V1_SIZE 160
_Static_assert(offsetof(struct lf_msg_stats, returns_guarded) == LF_MSG_STATS_V1_SIZE,
	       "STATS fields are only ever appended");
