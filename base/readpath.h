/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * How a client reads a frame (docs/protocol.md §5, "read paths"). GPU
 * clients (LF_CAP_GPU_IMPORT) import dmabufs with their explicit modifiers
 * themselves and always get the producer's buffers. Every other client is a
 * CPU reader and only ever gets something it can map linearly.
 * The values travel in FORMAT.read_path (LF_READ_PATH_* in ipc/proto.h).
 */
#include <stdbool.h>
#include <stdint.h>

#include "base/frame.h"

enum lf_read_path {
	LF_READ_NONE = 0,            /* no frames: no format, or a control client */
	LF_READ_DIRECT = 1,          /* the producer's buffers (or the MemPtr copy) as they are */
	LF_READ_GPU_READBACK = 2,    /* the daemon's linear copy, read back on its GPU */
	LF_READ_LINEAR_INVALID = 3,  /* implicit-layout dmabuf mapped as linear (producer's stride) */
	LF_READ_UNREADABLE = 4,      /* CPU reader, layout not linear and no readback: no frames */
};

/* Pure: buffer type and modifier of the stream (has_modifier false means
 * none was negotiated, read as INVALID), whether the daemon's readback can
 * take this format, and whether the client imports dmabufs itself. */
enum lf_read_path lf_read_path_decide(enum lf_buffer_type type, bool has_modifier,
				      uint64_t modifier, bool readback, bool gpu_client);

/* "direct", "GPU readback", "linear map of INVALID", "unreadable", "none". */
const char *lf_read_path_name(enum lf_read_path p);
