/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * ipc/: the daemon's side of the protocol (docs/protocol.md). Listens on a
 * SOCK_SEQPACKET socket, checks peers, tracks per-client buffers and leases,
 * and fans the latest frame out to every client with a free credit.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <pipewire/pipewire.h>

#include "base/frame.h"
#include "ipc/proto.h"

struct lf_server;

struct lf_server_options {
	const char *socket_path;    /* created (with its 0700 directory) unless listen_fd >= 0 */
	int listen_fd;              /* from socket activation, or -1; owned by the server once lf_server_new succeeds */
	uint32_t max_clients;       /* default 64 */
	uint32_t lease_timeout_ms;  /* default 1000 */
	uint32_t max_held;          /* most credits a client may negotiate, default 3 */
	const uid_t *allowed_uids;  /* besides our own uid */
	size_t n_allowed_uids;
	const gid_t *allowed_gids;
	size_t n_allowed_gids;
};

struct lf_server_events {
	/* A client could not import (drm_format, modifier). */
	void (*import_failed)(void *data, uint32_t drm_format, uint64_t modifier);
	/* Fill the daemon-wide parts of a STATS reply (capture, fence). */
	void (*fill_stats)(void *data, struct lf_msg_stats *st);
	/* The status line for STATUS (sent before each STATS); optional. */
	void (*fill_status)(void *data, char *buf, size_t len);
	/* The number of clients changed (for STATUS=). */
	void (*clients_changed)(void *data, uint32_t n_clients);
	/* A CPU reader on the GPU readback path has a credit and the newest
	 * frame is newer than the newest copy: read it back (lf_server_latest)
	 * and lf_server_publish_copy() the result. May be NULL. */
	void (*copy_wanted)(void *data);
};

int lf_server_new(struct pw_loop *loop, const struct lf_server_options *opts,
		  const struct lf_server_events *events, void *data,
		  struct lf_server **out);
/* Sends BYE to every client, closes them, removes the socket it created. */
void lf_server_destroy(struct lf_server *s);

/* New format/state for every client. fmt NULL = no format (paused or no
 * source). Invalidates every buffer of the previous generation. */
void lf_server_set_format(struct lf_server *s, const struct lf_video_format *fmt,
			  uint32_t generation, enum lf_stream_state state);
/* The newest safe frame; takes ownership of f. */
void lf_server_publish(struct lf_server *s, struct lf_frame *f);
/* A frame whose fences are still pending, for clients with
 * LF_CAP_EARLY_FENCES; f is borrowed. */
void lf_server_publish_early(struct lf_server *s, const struct lf_frame *f);

/* Whether the daemon can read this stream's frames back for CPU readers
 * (clients without LF_CAP_GPU_IMPORT). Decides every client's read path
 * (base/readpath.h); a change starts a new wire generation. Set it before
 * lf_server_set_format for the format it belongs to. */
void lf_server_set_readback(struct lf_server *s, bool available);
/* The newest published frame, borrowed; NULL when none. */
const struct lf_frame *lf_server_latest(struct lf_server *s);
/* Whether a readback client would take a copy of lf_server_latest() now. */
bool lf_server_copy_wanted(struct lf_server *s);
/* A linear copy of the published frame with the same seq (its buffer a
 * memfd of the current capture generation); takes ownership of f. Offered
 * only to clients on the GPU readback path. */
void lf_server_publish_copy(struct lf_server *s, struct lf_frame *f);

uint32_t lf_server_client_count(struct lf_server *s);
/* Leases currently held by clients (buffers out of PipeWire's pool). */
uint32_t lf_server_leases_held(struct lf_server *s);
