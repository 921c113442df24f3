/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <gst/base/gstpushsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "gst/lfsrc-conn.h"

G_BEGIN_DECLS

#define GST_TYPE_LASTFRAME_SRC (gst_lastframe_src_get_type())
G_DECLARE_FINAL_TYPE(GstLastframeSrc, gst_lastframe_src, GST, LASTFRAME_SRC, GstPushSrc)

struct _GstLastframeSrc {
	GstPushSrc parent;

	/* properties, under the object lock */
	gchar *socket;
	gint timeout_ms;
	guint keepalive_ms;
	gboolean reconnect;

	/* streaming thread (and start/stop) */
	struct lfsrc_conn *conn;
	GstPoll *poll;
	GstPollFD pfd;
	bool connected_once, have_frame;
	uint32_t fps_n, fps_d;        /* nominal rate of the stream, 0/1 variable */
	/* what the next negotiation offers (the newest frame's format) */
	GstVideoFormat want_format;
	uint32_t want_w, want_h;
	bool want_dmabuf;
	/* what was negotiated */
	GstVideoInfo info;
	bool negotiated, out_dmabuf, meta_ok;
	GstBuffer *last_buf;          /* for keepalive re-sends */
	GstClockTime last_pts;
	gint64 next_keepalive_us;     /* monotonic; on a fixed grid */
	gint64 first_wait_until_us;   /* first frame deadline, 0 none */
};

G_END_DECLS
