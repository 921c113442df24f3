/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The objects that flow from capture/ through fence/ to ipc/.
 *
 * Ownership: an lf_buffer is owned by capture/ (it wraps a pw_buffer or a
 * slot of the MemPtr copy pool) and is reference counted by its holders: a
 * frame waiting on a fence, the daemon's "latest frame" slot, and every
 * client lease. When the count drops to zero the buffer goes back to
 * PipeWire (or the pool). An lf_frame is a single-owner heap object: capture
 * creates it, hands it to fence/ or ipc/, and whoever holds it last calls
 * lf_frame_free().
 */
#include <stdbool.h>
#include <stdint.h>

#define LF_MAX_PLANES 4
#define LF_MAX_DAMAGE 16

enum lf_buffer_type {
	LF_BUFFER_NONE = 0,
	LF_BUFFER_MEMFD = 1,  /* shared memory fd, zero-copy to clients */
	LF_BUFFER_DMABUF = 2, /* dmabuf, zero-copy to clients */
	LF_BUFFER_MEMPTR = 3, /* producer memory without fd: daemon copies into its memfd pool */
};

enum lf_stream_state {
	LF_STREAM_NONE = 0,      /* no source node (waiting for it) */
	LF_STREAM_PAUSED = 1,    /* connected, no format or not streaming */
	LF_STREAM_STREAMING = 2,
};

/* The negotiated stream format, as the producer gives it. */
struct lf_video_format {
	uint32_t width, height;
	uint32_t spa_format;           /* enum spa_video_format */
	uint32_t drm_format;           /* DRM fourcc */
	uint64_t modifier;             /* DRM_FORMAT_MOD_INVALID when none was negotiated */
	bool has_modifier;
	uint32_t n_planes;
	enum lf_buffer_type buffer_type; /* what the producer sends */
	uint32_t fps_num, fps_den;     /* 0/1 when variable */
};

struct lf_plane {
	int fd;          /* borrowed from the owner of the buffer */
	uint32_t offset; /* start of the plane in fd */
	uint32_t stride;
	uint32_t size;   /* bytes readable from offset */
};

struct lf_buffer;
typedef void (*lf_buffer_release_fn)(struct lf_buffer *buf, void *data);

struct lf_buffer {
	uint32_t id;                   /* unique within its generation */
	uint32_t generation;           /* bumps whenever the buffer set is replaced */
	enum lf_buffer_type type;      /* as seen by clients: MEMFD or DMABUF */
	uint32_t n_planes;
	struct lf_plane planes[LF_MAX_PLANES];
	int refs;
	lf_buffer_release_fn release;  /* refs hit 0: give it back to its owner */
	void *release_data;
	void *priv;                    /* owner's */
};

static inline struct lf_buffer *lf_buffer_ref(struct lf_buffer *b)
{
	b->refs++;
	return b;
}

static inline void lf_buffer_unref(struct lf_buffer *b)
{
	if (b && --b->refs == 0 && b->release)
		b->release(b, b->release_data);
}

struct lf_rect {
	int32_t x, y;
	uint32_t width, height;
};

struct lf_cursor {
	bool present;          /* producer sends cursor metadata */
	bool visible;
	bool bitmap_changed;   /* bitmap differs from the previous frame's */
	int32_t x, y, hotspot_x, hotspot_y;
	uint32_t width, height; /* bitmap size, ARGB8888 (DRM_FORMAT_ARGB8888) */
	const uint8_t *bitmap;  /* borrowed from capture, valid until the next frame */
};

/* Frame flags: the same bits travel on the wire (ipc/proto.h LF_FRAME_F_*). */
#define LF_FRAME_FLAG_FENCE_PENDING  (1u << 0) /* sync_file fds attached, not yet signalled */
#define LF_FRAME_FLAG_FENCE_TIMEOUT  (1u << 1) /* fence did not signal in time */
#define LF_FRAME_FLAG_CURSOR         (1u << 2) /* cursor position valid */
#define LF_FRAME_FLAG_CURSOR_BITMAP  (1u << 3) /* cursor bitmap changed, attached */
#define LF_FRAME_FLAG_DAMAGE         (1u << 4) /* damage rectangles valid */
#define LF_FRAME_FLAG_CROP           (1u << 5) /* crop rectangle valid */
#define LF_FRAME_FLAG_COPIED         (1u << 6) /* daemon copied it (MemPtr producer) */

struct lf_frame {
	struct lf_buffer *buf;  /* one reference owned by the frame */
	uint64_t seq;           /* daemon sequence, strictly increasing */
	uint64_t pts_ns;        /* producer pts (CLOCK_MONOTONIC) or 0 */
	uint64_t recv_ns;       /* CLOCK_MONOTONIC when capture dequeued it */
	uint32_t flags;         /* LF_FRAME_FLAG_* */
	struct lf_rect crop;
	uint32_t n_damage;
	struct lf_rect damage[LF_MAX_DAMAGE];
	struct lf_cursor cursor;
	uint32_t n_fences;      /* sync_file fds owned by the frame (fence/) */
	int fences[LF_MAX_PLANES];
};

/* Allocate a frame holding a new reference on buf (may be NULL). */
struct lf_frame *lf_frame_new(struct lf_buffer *buf);
/* Drop the frame: unref its buffer, close its fences. NULL is fine. */
void lf_frame_free(struct lf_frame *f);
