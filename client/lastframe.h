/* SPDX-License-Identifier: MIT */
#ifndef LASTFRAME_H
#define LASTFRAME_H
/*
 * liblastframe — get frames from lastframed.
 *
 *   struct lastframe *lf;
 *   int r = lastframe_connect(NULL, &lf);            // default socket
 *   struct lastframe_frame *f;
 *   r = lastframe_next_frame(lf, 5000, &f);           // wait up to 5 s
 *   const uint8_t *px; size_t len;
 *   r = lastframe_frame_map(lf, f, 0, (const void **)&px, &len);
 *   ... read f->planes[0].stride * f->height bytes from px ...
 *   lastframe_frame_unmap(lf, f, 0);
 *   lastframe_frame_release(lf, f);                  // give the buffer back
 *   lastframe_disconnect(lf);
 *
 * Every function returning int returns 0 (or a positive count) on success and
 * a negative errno value on failure; lastframe_strerror() explains it.
 * A connection is not thread-safe: use it from one thread at a time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LASTFRAME_MAX_PLANES 4
#define LASTFRAME_MAX_DAMAGE 16

struct lastframe;

/* lastframe_options.flags */
#define LASTFRAME_EARLY_FENCES  (1u << 0) /* get frames before their GPU fence signals, with sync_file fds */
#define LASTFRAME_CURSOR_BITMAP (1u << 1) /* receive cursor bitmaps when they change */
#define LASTFRAME_CONTROL_ONLY  (1u << 2) /* info/stats only: no buffers, no frames */
/* This program imports dmabufs with their explicit modifiers itself (EGL,
 * Vulkan, VA-API): it gets the producer's buffers as they are. Without it
 * the connection is a CPU reader and only gets buffers it can map linearly
 * (shared memory, LINEAR dmabufs, or the daemon's GPU readback copy). */
#define LASTFRAME_GPU_IMPORT    (1u << 3)

struct lastframe_options {
	const char *socket_path; /* NULL: $LASTFRAME_SOCKET, else $XDG_RUNTIME_DIR/lastframe/socket */
	const char *name;        /* shown in the daemon's logs; NULL: program name */
	uint32_t max_held;       /* frames held at once, 1..3; 0 = 1 */
	uint32_t flags;          /* LASTFRAME_* */
	int connect_timeout_ms;  /* longest wait for the daemon's WELCOME; 0 = 5000, -1 = forever */
};

/* Stream states (lastframe_stream_info.state). */
#define LASTFRAME_STREAM_NONE      0 /* daemon has no source node */
#define LASTFRAME_STREAM_PAUSED    1
#define LASTFRAME_STREAM_STREAMING 2

/* Buffer types. */
#define LASTFRAME_BUFFER_NONE   0
#define LASTFRAME_BUFFER_MEMFD  1
#define LASTFRAME_BUFFER_DMABUF 2
#define LASTFRAME_BUFFER_MEMPTR 3 /* source_type only: the producer sends memory the daemon copies */

struct lastframe_stream_info {
	uint32_t state;
	uint32_t generation;
	uint32_t width, height;
	uint32_t drm_format;  /* DRM fourcc, 0 when none */
	uint64_t modifier;    /* valid when has_modifier */
	bool has_modifier;
	uint32_t n_planes;
	uint32_t buffer_type; /* how frames reach this client */
	uint32_t source_type; /* what the producer sends */
	uint32_t fps_num, fps_den;
	uint32_t read_path;   /* LASTFRAME_READ_*: how frames reach this connection */
};

/* lastframe_stream_info.read_path */
#define LASTFRAME_READ_NONE           0 /* no format yet */
#define LASTFRAME_READ_DIRECT         1 /* the producer's buffers as they are */
#define LASTFRAME_READ_GPU_READBACK   2 /* a linear memfd copy the daemon read back on its GPU */
#define LASTFRAME_READ_LINEAR_INVALID 3 /* an implicit-layout (INVALID) dmabuf: map it as linear */
#define LASTFRAME_READ_UNREADABLE     4 /* tiled and the daemon cannot read it back: no frames */

struct lastframe_rect {
	int32_t x, y;
	uint32_t width, height;
};

struct lastframe_plane {
	int fd;          /* owned by the library; valid until the buffer is removed */
	uint32_t offset;
	uint32_t stride;
	uint32_t size;
};

/* lastframe_frame.flags */
#define LASTFRAME_FRAME_FENCE_PENDING (1u << 0) /* wait on fences[] before reading */
#define LASTFRAME_FRAME_FENCE_TIMEOUT (1u << 1) /* producer fence timed out: may be incomplete */
#define LASTFRAME_FRAME_CURSOR        (1u << 2)
#define LASTFRAME_FRAME_CURSOR_BITMAP (1u << 3)
#define LASTFRAME_FRAME_DAMAGE        (1u << 4)
#define LASTFRAME_FRAME_CROP          (1u << 5)
#define LASTFRAME_FRAME_COPIED        (1u << 6)

struct lastframe_frame {
	uint64_t seq;            /* increasing */
	uint64_t pts_ns;         /* producer pts, CLOCK_MONOTONIC; 0 if unknown */
	uint64_t daemon_recv_ns; /* daemon got it from PipeWire (CLOCK_MONOTONIC) */
	uint64_t daemon_send_ns; /* daemon sent it */
	uint64_t client_recv_ns; /* this library received it */
	uint32_t skipped;        /* frames missed since the previous one */
	uint32_t flags;
	uint32_t generation, buffer_id;
	uint32_t width, height, drm_format;
	uint64_t modifier;
	uint32_t buffer_type;
	uint32_t n_planes;
	struct lastframe_plane planes[LASTFRAME_MAX_PLANES];
	struct lastframe_rect crop;
	uint32_t n_damage;
	struct lastframe_rect damage[LASTFRAME_MAX_DAMAGE];
	int32_t cursor_x, cursor_y, hotspot_x, hotspot_y;
	uint32_t cursor_width, cursor_height;
	const uint8_t *cursor_bitmap; /* ARGB8888, valid until release */
	uint32_t n_fences;
	int fences[LASTFRAME_MAX_PLANES]; /* sync_files, owned by the library, closed on release */
};

struct lastframe_stats {
	uint32_t state, clients;
	uint64_t uptime_ns;
	uint64_t frames_in, frames_published, frames_sent, frames_dropped, frames_corrupted;
	uint64_t frames_skipped, copies, lease_timeouts, clients_refused, protocol_errors;
	uint64_t renegotiations;
	uint64_t fence_waited, fence_already_signalled, fence_timeouts;
	uint64_t fence_wait_p50_ns, fence_wait_p99_ns;
	bool fence_disabled;
	double fps;
};

/* The daemon's PipeWire < 1.4.8 return guard (lastframed(8), --return-guard). */
struct lastframe_guard_stats {
	bool enabled;
	uint64_t returns_guarded;   /* buffers given back with the daemon's busy mark kept */
	uint64_t returns_unguarded; /* marks given up early so the producer had a buffer */
	uint64_t buffers_refused;   /* seen reused by the producer while PipeWire would refuse them */
};

/* Connect and do the handshake (waits up to 5 s for the daemon's answer).
 * opts may be NULL. -ENOENT/-ECONNREFUSED: no daemon; -EBUSY: too many
 * clients; -EACCES: the daemon refuses this user; -EINVAL: max_held > 3. */
int lastframe_connect(const struct lastframe_options *opts, struct lastframe **out);
/* Says BYE and frees everything, frames still held included. */
void lastframe_disconnect(struct lastframe *lf);

/* For event loops: poll for POLLIN, then call lastframe_dispatch(). */
int lastframe_get_fd(struct lastframe *lf);
/* Read whatever the daemon sent, without blocking. Returns the number of new frames queued. */
int lastframe_dispatch(struct lastframe *lf);

/* What the daemon granted (WELCOME): frames this client may hold at once,
 * and how long it may hold one before the daemon disconnects it. */
int lastframe_get_limits(struct lastframe *lf, uint32_t *max_held, uint32_t *lease_timeout_ms);

/* -ENODATA until the daemon sent a format. */
int lastframe_get_stream_info(struct lastframe *lf, struct lastframe_stream_info *info);
/* Wait until a format arrives (or timeout_ms, -1 forever). */
int lastframe_wait_stream_info(struct lastframe *lf, int timeout_ms, struct lastframe_stream_info *info);

/* The next frame (frames come in the order received). timeout_ms: 0
 * non-blocking (-EAGAIN), -1 forever, else -ETIMEDOUT. -EPIPE: the daemon
 * said goodbye (shutdown); -ECONNRESET: it closed without a word; -EPROTO:
 * it sent something malformed; or the errno of an ERROR it sent (e.g.
 * -ETIMEDOUT when a frame was held past the lease timeout). These are final:
 * every later call returns the same. */
int lastframe_next_frame(struct lastframe *lf, int timeout_ms, struct lastframe_frame **out);
/* Map a plane read-only; *data points at the plane's offset, *size is its
 * readable size. For dmabufs the read is bracketed with DMA_BUF_IOCTL_SYNC
 * (START on map, END on unmap or release). Mappings are cached per buffer:
 * later frames of the same buffer map for free. With FENCE_PENDING, wait on
 * f->fences[] (poll POLLIN) before reading. -EBADMSG: the buffer is smaller
 * than announced. -EINVAL: a frame this connection did not hand out. */
int lastframe_frame_map(struct lastframe *lf, struct lastframe_frame *f, unsigned plane,
			const void **data, size_t *size);
int lastframe_frame_unmap(struct lastframe *lf, struct lastframe_frame *f, unsigned plane);
/* Give the frame back to the daemon. f is freed (also when the connection is
 * gone, which is then returned). Frames of an older generation are released
 * the same way. */
int lastframe_frame_release(struct lastframe *lf, struct lastframe_frame *f);

/* Tell the daemon this (format, modifier) cannot be imported here. */
int lastframe_report_import_failure(struct lastframe *lf, uint32_t drm_format, uint64_t modifier);
/* Ask the daemon for its counters. */
int lastframe_get_stats(struct lastframe *lf, int timeout_ms, struct lastframe_stats *st);
/* The daemon's status line as of the last lastframe_get_stats ("streaming
 * 1280x720 BGRx 30.0 fps to 1 client", "waiting for the portal, 0 clients"):
 * what it streams or waits for. -ENODATA from daemons that do not send it. */
int lastframe_get_status(struct lastframe *lf, char *buf, size_t len);
/* The return guard's counters from the last lastframe_get_stats() reply;
 * -ENODATA when the daemon did not send them (older than this library). */
int lastframe_get_guard_stats(struct lastframe *lf, struct lastframe_guard_stats *gs);
/* Round trip (PING/PONG); useful to measure IPC latency. */
int lastframe_ping(struct lastframe *lf, int timeout_ms);

const char *lastframe_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
