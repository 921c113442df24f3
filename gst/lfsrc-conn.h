/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * One connection of lastframesrc to lastframed, shared by the element's
 * streaming thread, the threads that free its buffers and the system clock's
 * thread (lease rescue). Reference counted: every lease holds a reference, so
 * a buffer freed after the element stopped finds a valid (closed) connection.
 *
 * Zero copy: each plane of a daemon buffer is one GstFdMemory (or
 * GstDmaBufMemory) "parent" over a dup of the daemon's fd, mapped once
 * (KEEP_MAPPED) and cached per (generation, buffer id); each frame gets
 * sub-memories of those parents, and the frame's lease is given back when the
 * last of them is freed. A lease still held at half the daemon's lease timeout
 * is rescued: the parent's mapping is replaced in place (mremap) by a private
 * copy, so readers keep their pointers and see the same pixels, and the lease
 * goes back to the daemon before it would disconnect us.
 */
#include <stdbool.h>
#include <stdint.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "client/lastframe.h"

struct lfsrc_conn;

/* Connects (timeout_ms for the daemon's answer). *out holds one reference.
 * log_obj names the element in the debug log. */
int lfsrc_conn_open(const char *socket, int timeout_ms, GstObject *log_obj, struct lfsrc_conn **out);
/* Rescues every lease still held by downstream (copy in place), disconnects
 * and drops the caller's reference. */
void lfsrc_conn_close(struct lfsrc_conn *c);
int lfsrc_conn_fd(struct lfsrc_conn *c);
/* Reads what arrived. *out: the newest queued frame, older ones released;
 * NULL when none. A negative value is final for this connection. */
int lfsrc_conn_take_newest(struct lfsrc_conn *c, struct lastframe_frame **out);
int lfsrc_conn_stream_info(struct lfsrc_conn *c, struct lastframe_stream_info *info);
void lfsrc_conn_release(struct lfsrc_conn *c, struct lastframe_frame *f);
/* Turns f (already checked against vinfo) into a buffer: zero copy when
 * possible, else a copy in vinfo's default layout; f is consumed either way.
 * meta_ok: downstream takes GstVideoMeta (any stride/offset). */
int lfsrc_conn_wrap(struct lfsrc_conn *c, struct lastframe_frame *f, const GstVideoInfo *vinfo,
		    bool dmabuf, bool meta_ok, GstBuffer **out);
