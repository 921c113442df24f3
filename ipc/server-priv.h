/* SPDX-License-Identifier: MIT */
#pragma once
/* Internals shared by ipc/server*.c; not an interface of the module. */
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <spa/utils/list.h>

#include "ipc/lease.h"
#include "ipc/proto-parse.h"
#include "ipc/server.h"

/* fds to send for one buffer of the current generation (ADD_BUFFER). */
struct srv_buf {
	const struct lf_buffer *buf; /* identity only, no reference */
	uint32_t id;
	uint32_t n_planes;
	int ro_fds[LF_MAX_PLANES];   /* owned read-only reopen, or -1: send the buffer's own fd */
};

struct srv_client {
	struct spa_list link;
	struct lf_server *s;
	int fd;
	struct spa_source *src;
	uint32_t id;
	pid_t pid;
	uid_t uid;
	char name[LF_PROTO_NAME_LEN];
	bool ready;                  /* HELLO answered */
	uint64_t hello_deadline_ns;
	uint32_t caps;
	uint32_t path;               /* LF_READ_PATH_* of the current format */
	struct lf_lease_set leases;
	struct lf_known_set known;
	uint64_t last_seq;           /* newest frame sent (early or not) */
	uint64_t last_idx;           /* publication index of that frame, 0 = none yet */
	uint32_t cursor_serial;      /* cursor bitmap this client has */
	uint64_t stuck_since_ns;     /* first failed (EAGAIN) frame send, 0 when flowing */
	uint64_t frames_sent;
	uint64_t frames_dropped;     /* socket full */
};

struct lf_server {
	struct pw_loop *loop;
	struct lf_server_options opts;
	uid_t *allowed_uids;
	gid_t *allowed_gids;
	const struct lf_server_events *events;
	void *data;

	int listen_fd;
	struct spa_source *listen_src;
	bool listen_paused;          /* accept failed for lack of fds/memory */
	char *created_path;          /* socket we bound (removed on destroy) */
	dev_t created_dev;
	ino_t created_ino;
	uid_t uid;

	struct spa_source *timer;
	uint64_t timer_armed_ns;     /* 0 = idle */

	struct spa_list clients;
	uint32_t n_clients;
	uint32_t next_client_id;

	/* format */
	bool have_format;
	struct lf_video_format fmt;
	uint32_t cap_generation;     /* capture's number for the buffer set */
	uint32_t wire_generation;    /* ours, bumps on every change of buffer set */
	enum lf_stream_state state;
	bool import_failed_sent;     /* forwarded one for this wire generation */

	struct srv_buf bufs[LF_KNOWN_MAX];
	uint32_t n_bufs;
	uint32_t buf_evict;

	/* GPU readback for CPU readers (server-copy.c) */
	bool readback_ok;            /* the daemon can read this stream back */
	bool invalid_logged;         /* "INVALID mapped as linear" said for this generation */
	struct lf_frame *latest_copy; /* newest readback copy; same seq as its original */

	/* latest frame */
	struct lf_frame *latest;
	uint64_t latest_idx;
	uint64_t n_idx;              /* frames offered so far (publication index) */
	uint64_t last_counted_seq;

	/* cursor bitmap, copied because capture's is only borrowed */
	uint8_t *cursor;
	uint32_t cursor_w, cursor_h;
	uint32_t cursor_serial;
	uint64_t cursor_seq;

	/* counters (STATS) */
	uint64_t start_ns;
	uint64_t frames_published, frames_sent, frames_skipped;
	uint64_t lease_timeouts, clients_refused, protocol_errors;

	uint8_t *rx;                 /* LF_PROTO_MAX_MSG */
	uint8_t tx[sizeof(struct lf_msg_frame) + LF_PROTO_MAX_DAMAGE * sizeof(struct lf_wire_rect)];
};

static inline void lf_srv_hdr_init(struct lf_msg_hdr *h, uint16_t type, uint32_t length)
{
	h->type = type;
	h->flags = 0;
	h->length = length;
}

/* server-send.c: 0, -EAGAIN (socket full) or another -errno; never blocks. */
int lf_srv_send_packet(int fd, const struct iovec *iov, int n_iov, const int *fds, unsigned n_fds);
int lf_srv_send_simple(int fd, const void *msg, size_t len);
int lf_srv_send_error_fd(int fd, int code, const char *text);
void lf_srv_drain_fd(int fd);

/* server-socket.c */
int lf_ipc_socket_listen(const char *path, int *out_fd, struct stat *st);
void lf_ipc_socket_remove(const char *path, dev_t dev, ino_t ino);

/* server-client.c. Every int-returning client function returns < 0 when
 * it disconnected (and freed) the client: callers must not touch it then. */
int lf_srv_client_new(struct lf_server *s, int fd, pid_t pid, uid_t uid);
void lf_srv_client_destroy(struct srv_client *c);
int lf_srv_client_fail(struct srv_client *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int lf_srv_client_send_format(struct srv_client *c);
/* server-send.c: offer f (publication index idx) if the client wants it and
 * has a credit. */
int lf_srv_client_offer(struct srv_client *c, const struct lf_frame *f, uint64_t idx, bool early);
void lf_srv_client_send_bye(struct srv_client *c, uint32_t reason);

/* server-copy.c: the read path of a client for the current format, and
 * the newest frame on that path (NULL: none or none for it). */
uint32_t lf_srv_client_path(const struct lf_server *s, const struct srv_client *c);
const struct lf_frame *lf_srv_latest_for(struct lf_server *s, const struct srv_client *c,
					 uint64_t *idx);
/* A copy client wants a newer frame than the newest copy: tell the daemon. */
void lf_srv_copy_check(struct lf_server *s, const struct srv_client *c);
void lf_srv_copy_drop(struct lf_server *s);

/* server.c */
const struct srv_buf *lf_srv_buf_get(struct lf_server *s, const struct lf_buffer *b);
void lf_srv_timer_want(struct lf_server *s, uint64_t deadline_ns);
