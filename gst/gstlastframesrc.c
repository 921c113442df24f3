/* SPDX-License-Identifier: MIT */
/*
 * lastframesrc: a live source of lastframed's newest frames.
 *
 *   gst-launch-1.0 lastframesrc ! videoconvert ! autovideosink
 *
 * Everything blocking happens in create() on a GstPoll that unlock() sets
 * flushing, so state changes and flushes never wait for the daemon.
 */
#include <errno.h>
#include <stdlib.h>

#include <drm_fourcc.h>
#include <gst/allocators/allocators.h>

#include "gst/gstlastframesrc.h"
#include "gst/lfsrc-format.h"

GST_DEBUG_CATEGORY(lastframesrc_debug);
#define GST_CAT_DEFAULT lastframesrc_debug

#define DEFAULT_TIMEOUT_MS 5000
#define RECONNECT_EVERY_MS 200

enum { PROP_0, PROP_SOCKET, PROP_TIMEOUT, PROP_KEEPALIVE_TIME, PROP_RECONNECT };

G_DEFINE_TYPE(GstLastframeSrc, gst_lastframe_src, GST_TYPE_PUSH_SRC)

static gchar *socket_path(GstLastframeSrc *self)
{
	const char *env = g_getenv("LASTFRAME_SOCKET");
	gchar *s;

	GST_OBJECT_LOCK(self);
	s = g_strdup(self->socket);
	GST_OBJECT_UNLOCK(self);
	if (s && *s)
		return s;
	g_free(s);
	if (env && *env)
		return g_strdup(env);
	return g_build_filename(g_get_user_runtime_dir(), "lastframe", "socket", NULL);
}

static int prop_int(GstLastframeSrc *self, const gint *field)
{
	int v;

	GST_OBJECT_LOCK(self);
	v = *field;
	GST_OBJECT_UNLOCK(self);
	return v;
}

static void drop_conn(GstLastframeSrc *self)
{
	if (!self->conn)
		return;
	gst_poll_remove_fd(self->poll, &self->pfd);
	lfsrc_conn_close(self->conn);
	self->conn = NULL;
}

static int try_connect(GstLastframeSrc *self)
{
	gchar *path = socket_path(self);
	int timeout = prop_int(self, &self->timeout_ms);
	int r;

	r = lfsrc_conn_open(path, timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS, GST_OBJECT(self),
			    &self->conn);
	if (r == 0) {
		gst_poll_fd_init(&self->pfd);
		self->pfd.fd = lfsrc_conn_fd(self->conn);
		gst_poll_add_fd(self->poll, &self->pfd);
		gst_poll_fd_ctl_read(self->poll, &self->pfd, TRUE);
		GST_INFO_OBJECT(self, "connected to %s", path);
		self->connected_once = true;
	}
	g_free(path);
	return r;
}

static void post_no_daemon(GstLastframeSrc *self, int r)
{
	gchar *path = socket_path(self);

	GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ,
			  ("Could not connect to lastframed at %s: %s", path, lastframe_strerror(r)),
			  ("lastframe_connect: %s (%d); start the daemon (systemctl --user start "
			   "lastframed) or set the socket property, or reconnect=true to wait",
			   g_strerror(-r), r));
	g_free(path);
}

static gboolean lf_start(GstBaseSrc *bsrc)
{
	GstLastframeSrc *self = GST_LASTFRAME_SRC(bsrc);
	int r;

	self->have_frame = false;
	self->negotiated = false;
	self->want_format = GST_VIDEO_FORMAT_UNKNOWN;
	self->last_pts = GST_CLOCK_TIME_NONE;
	self->first_wait_until_us = 0;
	gst_poll_set_flushing(self->poll, FALSE);
	r = try_connect(self);
	if (r < 0) {
		if (!prop_int(self, &self->reconnect)) {
			post_no_daemon(self, r);
			return FALSE;
		}
		GST_WARNING_OBJECT(self, "no daemon yet (%s): will keep trying", lastframe_strerror(r));
	}
	return TRUE;
}

static gboolean lf_stop(GstBaseSrc *bsrc)
{
	GstLastframeSrc *self = GST_LASTFRAME_SRC(bsrc);

	gst_clear_buffer(&self->last_buf);
	drop_conn(self);
	return TRUE;
}

static gboolean lf_unlock(GstBaseSrc *bsrc)
{
	gst_poll_set_flushing(GST_LASTFRAME_SRC(bsrc)->poll, TRUE);
	return TRUE;
}

static gboolean lf_unlock_stop(GstBaseSrc *bsrc)
{
	gst_poll_set_flushing(GST_LASTFRAME_SRC(bsrc)->poll, FALSE);
	return TRUE;
}

/* --- caps ------------------------------------------------------------- */

static GstCaps *lf_get_caps(GstBaseSrc *bsrc, GstCaps *filter)
{
	GstLastframeSrc *self = GST_LASTFRAME_SRC(bsrc);
	GstCaps *caps, *tmp;

	if (self->want_format == GST_VIDEO_FORMAT_UNKNOWN)
		caps = gst_pad_get_pad_template_caps(GST_BASE_SRC_PAD(bsrc));
	else
		caps = lfsrc_format_caps(self->want_format, self->want_w, self->want_h, self->fps_n,
					 self->fps_d, self->want_dmabuf);
	if (filter) {
		tmp = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
		gst_caps_unref(caps);
		caps = tmp;
	}
	return caps;
}

static gboolean lf_negotiate(GstBaseSrc *bsrc)
{
	GstLastframeSrc *self = GST_LASTFRAME_SRC(bsrc);

	/* Nothing to offer before the daemon's first frame: create() negotiates then. */
	if (self->want_format == GST_VIDEO_FORMAT_UNKNOWN)
		return TRUE;
	return GST_BASE_SRC_CLASS(gst_lastframe_src_parent_class)->negotiate(bsrc);
}

static gboolean lf_set_caps(GstBaseSrc *bsrc, GstCaps *caps)
{
	GstLastframeSrc *self = GST_LASTFRAME_SRC(bsrc);
	GstCapsFeatures *feat = gst_caps_get_features(caps, 0);

	if (!gst_video_info_from_caps(&self->info, caps))
		return FALSE;
	self->out_dmabuf = feat && gst_caps_features_contains(feat, GST_CAPS_FEATURE_MEMORY_DMABUF);
	self->negotiated = true;
	GST_INFO_OBJECT(self, "caps %" GST_PTR_FORMAT, caps);
	return TRUE;
}

static gboolean lf_decide_allocation(GstBaseSrc *bsrc, GstQuery *query)
{
	GstLastframeSrc *self = GST_LASTFRAME_SRC(bsrc);

	self->meta_ok = gst_query_find_allocation_meta(query, GST_VIDEO_META_API_TYPE, NULL);
	/* Buffers wrap the daemon's memory: no pool of ours to fill. */
	while (gst_query_get_n_allocation_pools(query) > 0)
		gst_query_remove_nth_allocation_pool(query, 0);
	GST_DEBUG_OBJECT(self, "downstream %s GstVideoMeta", self->meta_ok ? "takes" : "lacks");
	return TRUE;
}

static gboolean lf_query(GstBaseSrc *bsrc, GstQuery *query)
{
	GstLastframeSrc *self = GST_LASTFRAME_SRC(bsrc);

	if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
		/* A frame is at most one period old when it arrives (the daemon adds
		 * well under a millisecond); we keep no queue, so max = min. */
		GstClockTime min = 0;
		if (self->fps_n && self->fps_d)
			min = gst_util_uint64_scale(GST_SECOND, self->fps_d, self->fps_n);
		gst_query_set_latency(query, TRUE, min, min);
		return TRUE;
	}
	return GST_BASE_SRC_CLASS(gst_lastframe_src_parent_class)->query(bsrc, query);
}

/* --- frames ----------------------------------------------------------- */

/* A CLOCK_MONOTONIC time as running time of this pipeline (0 if earlier). */
static GstClockTime running_time_of(GstLastframeSrc *self, gint64 mono_ns)
{
	GstClock *clock = gst_element_get_clock(GST_ELEMENT(self));
	GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
	gint64 now, t;

	if (!clock)
		return GST_CLOCK_TIME_NONE;
	now = (gint64)gst_clock_get_time(clock);
	gst_object_unref(clock);
	t = now - (g_get_monotonic_time() * 1000 - mono_ns) - (gint64)base;
	return t < 0 ? 0 : (GstClockTime)t;
}

static void stamp(GstLastframeSrc *self, GstBuffer *buf, gint64 mono_ns)
{
	GstClockTime pts;

	if (gst_base_src_get_do_timestamp(GST_BASE_SRC(self)))
		return; /* basesrc stamps the running time at create() */
	pts = running_time_of(self, mono_ns);
	if (!GST_CLOCK_TIME_IS_VALID(pts))
		return;
	/* Strictly increasing, also for re-sent frames and after a reconnect. */
	if (GST_CLOCK_TIME_IS_VALID(self->last_pts) && pts <= self->last_pts)
		pts = self->last_pts + 1;
	self->last_pts = pts;
	GST_BUFFER_PTS(buf) = pts;
	GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
	GST_BUFFER_DURATION(buf) = self->fps_n && self->fps_d ?
		gst_util_uint64_scale(GST_SECOND, self->fps_d, self->fps_n) : GST_CLOCK_TIME_NONE;
}

static GstFlowReturn conn_lost(GstLastframeSrc *self, int r)
{
	if (prop_int(self, &self->reconnect)) {
		GST_WARNING_OBJECT(self, "lost lastframed (%s): reconnecting", lastframe_strerror(r));
		drop_conn(self);
		return GST_FLOW_OK;
	}
	GST_ELEMENT_ERROR(self, RESOURCE, READ,
			  ("Lost the connection to lastframed: %s", lastframe_strerror(r)),
			  ("error %d (%s); set reconnect=true to wait for the daemon to come back",
			   r, g_strerror(-r)));
	drop_conn(self);
	return GST_FLOW_ERROR;
}

/* Waits for the newest frame, or for the time to re-send the last one
 * (*f NULL then). */
static GstFlowReturn wait_frame(GstLastframeSrc *self, struct lastframe_frame **f)
{
	guint keepalive_ms;
	int r;

	*f = NULL;
	for (;;) {
		GstClockTime timeout = GST_CLOCK_TIME_NONE;
		gint64 now;

		if (!self->conn) {
			r = try_connect(self);
			if (r < 0 && !prop_int(self, &self->reconnect)) {
				post_no_daemon(self, r);
				return GST_FLOW_ERROR;
			}
			if (r < 0)
				timeout = RECONNECT_EVERY_MS * GST_MSECOND;
		}
		if (self->conn) {
			r = lfsrc_conn_take_newest(self->conn, f);
			if (*f)
				return GST_FLOW_OK;
			if (r < 0) {
				GstFlowReturn ret = conn_lost(self, r);
				if (ret != GST_FLOW_OK)
					return ret;
				continue;
			}
		}
		now = g_get_monotonic_time();
		GST_OBJECT_LOCK(self);
		keepalive_ms = self->keepalive_ms;
		GST_OBJECT_UNLOCK(self);
		if (keepalive_ms && self->last_buf) {
			if (now >= self->next_keepalive_us)
				return GST_FLOW_OK;
			timeout = MIN(timeout, (GstClockTime)(self->next_keepalive_us - now) * GST_USECOND);
		}
		if (!self->have_frame && self->first_wait_until_us) {
			if (now >= self->first_wait_until_us) {
				GST_ELEMENT_ERROR(self, RESOURCE, READ,
						  ("No frame from lastframed within %d ms",
						   prop_int(self, &self->timeout_ms)),
						  ("the daemon is up but its source sends nothing; "
						   "`lastframe info` shows its state"));
				return GST_FLOW_ERROR;
			}
			timeout = MIN(timeout, (GstClockTime)(self->first_wait_until_us - now) * GST_USECOND);
		}
		if (gst_poll_wait(self->poll, timeout) < 0) {
			if (errno == EBUSY)
				return GST_FLOW_FLUSHING;
			if (errno != EINTR && errno != EAGAIN) {
				GST_ELEMENT_ERROR(self, RESOURCE, READ, ("poll failed"),
						  ("%s", g_strerror(errno)));
				return GST_FLOW_ERROR;
			}
		}
	}
}

static GstFlowReturn renegotiate(GstLastframeSrc *self, const struct lastframe_frame *f,
				 GstVideoFormat fmt)
{
	struct lastframe_stream_info si;
	bool dmabuf = f->buffer_type == LASTFRAME_BUFFER_DMABUF && f->modifier == DRM_FORMAT_MOD_LINEAR;

	if (lfsrc_conn_stream_info(self->conn, &si) == 0) {
		self->fps_n = si.fps_num;
		self->fps_d = si.fps_den;
	}
	if (self->negotiated && fmt == self->want_format && f->width == self->want_w &&
	    f->height == self->want_h && dmabuf == self->want_dmabuf)
		return GST_FLOW_OK;
	GST_INFO_OBJECT(self, "frame %ux%u %s%s: negotiating", f->width, f->height,
			gst_video_format_to_string(fmt), dmabuf ? " (linear dmabuf)" : "");
	self->want_format = fmt;
	self->want_w = f->width;
	self->want_h = f->height;
	self->want_dmabuf = dmabuf;
	self->negotiated = false;
	gst_clear_buffer(&self->last_buf); /* never re-send a frame of other caps */
	if (!gst_base_src_negotiate(GST_BASE_SRC(self)) || !self->negotiated) {
		GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Downstream refused the daemon's format"),
				  ("%ux%u %s", f->width, f->height, gst_video_format_to_string(fmt)));
		return GST_FLOW_NOT_NEGOTIATED;
	}
	return GST_FLOW_OK;
}

static GstFlowReturn lf_create(GstPushSrc *psrc, GstBuffer **out)
{
	GstLastframeSrc *self = GST_LASTFRAME_SRC(psrc);
	struct lastframe_frame *f;
	GstVideoFormat fmt;
	GstFlowReturn ret;
	const char *why;
	GstBuffer *buf;
	int r;

	if (!self->have_frame && !self->first_wait_until_us && prop_int(self, &self->timeout_ms) > 0)
		self->first_wait_until_us = g_get_monotonic_time() +
					    (gint64)prop_int(self, &self->timeout_ms) * 1000;
	ret = wait_frame(self, &f);
	if (ret != GST_FLOW_OK)
		return ret;
	if (!f) { /* the producer is quiet: the newest frame again, fresh timestamp */
		gint64 now = g_get_monotonic_time();
		gint64 period_us = (gint64)MAX(prop_int(self, (const gint *)&self->keepalive_ms), 1) * 1000;
		buf = gst_buffer_copy(self->last_buf);
		stamp(self, buf, now * 1000);
		/* On a fixed grid, so late wake-ups do not lower the rate. */
		self->next_keepalive_us += period_us;
		if (self->next_keepalive_us <= now)
			self->next_keepalive_us = now + period_us;
		GST_LOG_OBJECT(self, "keepalive: re-sent the last frame");
		*out = buf;
		return GST_FLOW_OK;
	}

	fmt = lfsrc_format_from_drm(f->drm_format);
	if (fmt == GST_VIDEO_FORMAT_UNKNOWN) {
		GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("lastframed sends an unsupported format"),
				  ("DRM fourcc 0x%08x (%.4s)", f->drm_format, (const char *)&f->drm_format));
		lfsrc_conn_release(self->conn, f);
		return GST_FLOW_NOT_NEGOTIATED;
	}
	ret = renegotiate(self, f, fmt);
	if (ret != GST_FLOW_OK) {
		lfsrc_conn_release(self->conn, f);
		return ret;
	}
	if (lfsrc_format_check_frame(f, &self->info, &why) < 0) {
		GST_ELEMENT_ERROR(self, STREAM, DECODE, ("lastframed sent a malformed frame"),
				  ("seq %" G_GUINT64_FORMAT ": %s", f->seq, why));
		lfsrc_conn_release(self->conn, f);
		return GST_FLOW_ERROR;
	}
	/* pts: the producer's, unless missing or implausible (then the daemon's receive time). */
	gint64 ts = (gint64)f->pts_ns;
	if (!ts || ts > (gint64)f->daemon_recv_ns || (gint64)f->daemon_recv_ns - ts > GST_SECOND)
		ts = (gint64)f->daemon_recv_ns;
	uint64_t seq = f->seq;
	r = lfsrc_conn_wrap(self->conn, f, &self->info, self->out_dmabuf, self->meta_ok, &buf);
	if (r < 0) {
		GST_ELEMENT_ERROR(self, STREAM, DECODE, ("Could not use lastframed's frame"),
				  ("seq %" G_GUINT64_FORMAT ": %s", seq, lastframe_strerror(r)));
		return GST_FLOW_ERROR;
	}
	stamp(self, buf, ts);
	self->have_frame = true;
	GST_OBJECT_LOCK(self);
	if (self->keepalive_ms) {
		gst_buffer_replace(&self->last_buf, buf);
		self->next_keepalive_us = g_get_monotonic_time() + (gint64)self->keepalive_ms * 1000;
	}
	GST_OBJECT_UNLOCK(self);
	*out = buf;
	return GST_FLOW_OK;
}

/* --- GObject ---------------------------------------------------------- */

static void lf_set_property(GObject *obj, guint id, const GValue *v, GParamSpec *ps)
{
	GstLastframeSrc *self = GST_LASTFRAME_SRC(obj);

	GST_OBJECT_LOCK(self);
	switch (id) {
	case PROP_SOCKET:
		g_free(self->socket);
		self->socket = g_value_dup_string(v);
		break;
	case PROP_TIMEOUT: self->timeout_ms = g_value_get_int(v); break;
	case PROP_KEEPALIVE_TIME: self->keepalive_ms = g_value_get_uint(v); break;
	case PROP_RECONNECT: self->reconnect = g_value_get_boolean(v); break;
	default: G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, ps); break;
	}
	GST_OBJECT_UNLOCK(self);
}

static void lf_get_property(GObject *obj, guint id, GValue *v, GParamSpec *ps)
{
	GstLastframeSrc *self = GST_LASTFRAME_SRC(obj);

	GST_OBJECT_LOCK(self);
	switch (id) {
	case PROP_SOCKET: g_value_set_string(v, self->socket); break;
	case PROP_TIMEOUT: g_value_set_int(v, self->timeout_ms); break;
	case PROP_KEEPALIVE_TIME: g_value_set_uint(v, self->keepalive_ms); break;
	case PROP_RECONNECT: g_value_set_boolean(v, self->reconnect); break;
	default: G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, ps); break;
	}
	GST_OBJECT_UNLOCK(self);
}

static void lf_finalize(GObject *obj)
{
	GstLastframeSrc *self = GST_LASTFRAME_SRC(obj);

	drop_conn(self);
	gst_clear_buffer(&self->last_buf);
	gst_poll_free(self->poll);
	g_free(self->socket);
	G_OBJECT_CLASS(gst_lastframe_src_parent_class)->finalize(obj);
}

static void gst_lastframe_src_init(GstLastframeSrc *self)
{
	self->timeout_ms = DEFAULT_TIMEOUT_MS;
	self->poll = gst_poll_new(TRUE);
	self->want_format = GST_VIDEO_FORMAT_UNKNOWN;
	self->last_pts = GST_CLOCK_TIME_NONE;
	gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
	gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
}

static void gst_lastframe_src_class_init(GstLastframeSrcClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	GstElementClass *ec = GST_ELEMENT_CLASS(klass);
	GstBaseSrcClass *bc = GST_BASE_SRC_CLASS(klass);
	GstPushSrcClass *pc = GST_PUSH_SRC_CLASS(klass);
	GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;
	GstCaps *caps;

	oc->set_property = lf_set_property;
	oc->get_property = lf_get_property;
	oc->finalize = lf_finalize;

	g_object_class_install_property(oc, PROP_SOCKET,
		g_param_spec_string("socket", "Socket",
				    "lastframed's socket (NULL: $LASTFRAME_SOCKET, else "
				    "$XDG_RUNTIME_DIR/lastframe/socket)", NULL, rw));
	g_object_class_install_property(oc, PROP_TIMEOUT,
		g_param_spec_int("timeout", "Timeout",
				 "Milliseconds to wait for the daemon's answer and for the first frame "
				 "before posting an error (0: wait for the first frame forever)",
				 0, G_MAXINT, DEFAULT_TIMEOUT_MS, rw));
	g_object_class_install_property(oc, PROP_KEEPALIVE_TIME,
		g_param_spec_uint("keepalive-time", "Keepalive time",
				  "Re-send the newest frame, with a fresh timestamp, every this many "
				  "ms while the producer sends nothing (0: off)",
				  0, G_MAXUINT / 1000, 0, rw));
	g_object_class_install_property(oc, PROP_RECONNECT,
		g_param_spec_boolean("reconnect", "Reconnect",
				     "Keep going when lastframed is absent or restarts: retry every "
				     "200 ms instead of posting an error", FALSE, rw));

	gst_element_class_set_static_metadata(ec, "lastframe source", "Source/Video",
		"The newest frames of lastframed's screencast, zero-copy",
		"lastframe developers");
	caps = lfsrc_format_template_caps();
	gst_element_class_add_pad_template(ec, gst_pad_template_new("src", GST_PAD_SRC,
								    GST_PAD_ALWAYS, caps));
	gst_caps_unref(caps);

	bc->start = lf_start;
	bc->stop = lf_stop;
	bc->unlock = lf_unlock;
	bc->unlock_stop = lf_unlock_stop;
	bc->get_caps = lf_get_caps;
	bc->negotiate = lf_negotiate;
	bc->set_caps = lf_set_caps;
	bc->decide_allocation = lf_decide_allocation;
	bc->query = lf_query;
	pc->create = lf_create;
}

static gboolean plugin_init(GstPlugin *plugin)
{
	GST_DEBUG_CATEGORY_INIT(lastframesrc_debug, "lastframesrc", 0, "lastframe source");
	return gst_element_register(plugin, "lastframesrc", GST_RANK_NONE, GST_TYPE_LASTFRAME_SRC);
}

#define PACKAGE "lastframe"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, lastframe,
		  "Frames from lastframed, the newest-frame screencast daemon", plugin_init,
		  LF_VERSION, "MIT/X11", "lastframe", "https://localhost/lastframe")
