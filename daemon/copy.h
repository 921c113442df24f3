/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The daemon's GPU readback for CPU readers: when the server wants a copy
 * (a CPU reader on the readback path has a credit), the newest published
 * frame, its fence already waited, is read back by capture/readback.c into
 * a slot of a sealed read-only memfd pool and published as a copy. Only
 * wiring: the engine does the GL work on its thread, ipc/ decides paths.
 */
#include <stdbool.h>
#include <stdio.h>

#include <pipewire/pipewire.h>

#include "base/frame.h"
#include "ipc/server.h"

struct lf_copy;

/* Never fails for want of a GPU: without one the copy is inactive and
 * says why (lf_copy_why). -ENOMEM only. */
int lf_copy_new(struct pw_loop *loop, struct lf_server *server, const char *render_node,
		struct lf_copy **out);
void lf_copy_destroy(struct lf_copy *c);

/* Before lf_server_set_format: whether this format can be read back (tells
 * the server, which decides the read paths). fmt NULL: no format. */
void lf_copy_set_format(struct lf_copy *c, const struct lf_video_format *fmt,
			uint32_t generation);
/* The server's copy_wanted event. */
void lf_copy_kick(struct lf_copy *c);

bool lf_copy_active(const struct lf_copy *c);
/* Why readback is inactive ("" when active). */
const char *lf_copy_why(const struct lf_copy *c);

/* The --list-formats line: "GPU readback: active on DEV" or why not. */
bool lf_copy_print_status(FILE *out, const char *render_node);
