/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gst/allocators/allocators.h>

#include "gst/lfsrc-conn.h"
#include "gst/lfsrc-format.h"

GST_DEBUG_CATEGORY_EXTERN(lastframesrc_debug);
#define GST_CAT_DEFAULT lastframesrc_debug

#define CACHE_SIZE 64 /* buffers per generation a client knows (protocol §7) */

/* One plane of a daemon buffer, mapped once. */
struct parent {
	GstMemory *mem; /* owns a dup of the daemon's fd */
	uint8_t *base;  /* its mapping, 0..len */
	size_t len;
};

struct entry {
	bool used;
	uint32_t generation, buffer_id, n_planes;
	struct parent planes[LASTFRAME_MAX_PLANES];
};

enum lease_state { LEASE_HELD, LEASE_RETURNED };

struct lease {
	gint subs;            /* sub-memories alive; the last one frees the lease */
	struct lfsrc_conn *conn;
	struct lastframe_frame *frame;
	enum lease_state state;
	uint64_t seq;
	gint64 taken_us;
	uint32_t n_planes;
	struct parent planes[LASTFRAME_MAX_PLANES]; /* own a reference on each mem */
	struct lease *next;   /* conn->held */
};

struct lfsrc_conn {
	gint refs;
	GMutex lock; /* guards everything below and every liblastframe call */
	struct lastframe *lf;
	GstObject *log_obj;
	uint32_t max_held, lease_timeout_ms;
	GstAllocator *fd_alloc, *dmabuf_alloc;
	GstClock *sysclock;
	/* One timer for all leases, due when the oldest reaches half the lease
	 * timeout (one per lease would wake the clock thread twice a frame). */
	GstClockID timer;
	uint32_t cache_generation;
	struct entry cache[CACHE_SIZE];
	struct lease *held; /* zero-copy leases still held downstream */
	unsigned n_held;
	bool said_copy;
};

static GQuark lease_quark(void)
{
	return g_quark_from_static_string("lastframesrc-lease");
}

static void parent_clear(struct parent *p)
{
	if (p->mem)
		gst_memory_unref(p->mem);
	memset(p, 0, sizeof(*p));
}

static void cache_clear(struct lfsrc_conn *c)
{
	for (unsigned i = 0; i < CACHE_SIZE; i++) {
		for (unsigned p = 0; p < c->cache[i].n_planes; p++)
			parent_clear(&c->cache[i].planes[p]);
		memset(&c->cache[i], 0, sizeof(c->cache[i]));
	}
}

static void conn_unref(struct lfsrc_conn *c)
{
	if (!g_atomic_int_dec_and_test(&c->refs))
		return;
	cache_clear(c);
	lastframe_disconnect(c->lf); /* NULL after close; here only if never closed */
	gst_object_unref(c->fd_alloc);
	gst_object_unref(c->dmabuf_alloc);
	gst_object_unref(c->sysclock);
	if (c->log_obj)
		gst_object_unref(c->log_obj);
	g_mutex_clear(&c->lock);
	g_free(c);
}

int lfsrc_conn_open(const char *socket, int timeout_ms, GstObject *log_obj, struct lfsrc_conn **out)
{
	struct lastframe_options opts = {
		.socket_path = socket,
		.name = "lastframesrc",
		.max_held = 3,
		.connect_timeout_ms = timeout_ms,
	};
	struct lfsrc_conn *c;
	int r;

	c = g_new0(struct lfsrc_conn, 1);
	c->refs = 1;
	g_mutex_init(&c->lock);
	c->fd_alloc = gst_fd_allocator_new();
	c->dmabuf_alloc = gst_dmabuf_allocator_new();
	c->sysclock = gst_system_clock_obtain();
	c->log_obj = log_obj ? gst_object_ref(log_obj) : NULL;
	r = lastframe_connect(&opts, &c->lf);
	if (r < 0)
		goto fail;
	r = lastframe_get_limits(c->lf, &c->max_held, &c->lease_timeout_ms);
	if (r < 0)
		goto fail;
	if (!c->lease_timeout_ms)
		c->lease_timeout_ms = 1000;
	GST_DEBUG_OBJECT(c->log_obj, "connected: %u frames held at most, lease timeout %u ms",
			 c->max_held, c->lease_timeout_ms);
	*out = c;
	return 0;
fail:
	c->lf = NULL; /* lastframe_connect frees on failure */
	conn_unref(c);
	return r;
}

int lfsrc_conn_fd(struct lfsrc_conn *c)
{
	return lastframe_get_fd(c->lf);
}

int lfsrc_conn_stream_info(struct lfsrc_conn *c, struct lastframe_stream_info *info)
{
	int r;

	g_mutex_lock(&c->lock);
	r = lastframe_get_stream_info(c->lf, info);
	g_mutex_unlock(&c->lock);
	return r;
}

void lfsrc_conn_release(struct lfsrc_conn *c, struct lastframe_frame *f)
{
	g_mutex_lock(&c->lock);
	if (c->lf)
		lastframe_frame_release(c->lf, f);
	g_mutex_unlock(&c->lock);
}

int lfsrc_conn_take_newest(struct lfsrc_conn *c, struct lastframe_frame **out)
{
	struct lastframe_frame *f, *newest = NULL;
	int r;

	*out = NULL;
	g_mutex_lock(&c->lock);
	for (;;) {
		r = lastframe_next_frame(c->lf, 0, &f);
		if (r < 0)
			break;
		if (newest)
			lastframe_frame_release(c->lf, newest);
		newest = f;
	}
	/* Frames that arrived before the connection broke are still good. */
	if (r == -EAGAIN || newest)
		r = 0;
	g_mutex_unlock(&c->lock);
	*out = newest;
	return r;
}

/* --- lease rescue ----------------------------------------------------- */

/* Replaces p's mapping by a private copy at the same address: whoever holds a
 * pointer into it keeps reading the same pixels, now independent of the
 * daemon's buffer. */
static int parent_detach(struct parent *p)
{
	GstMapInfo mi;
	void *copy;
	int r = 0;

	copy = mmap(NULL, p->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (copy == MAP_FAILED)
		return -errno;
	/* Through the memory: a dmabuf's map brackets the read with DMA_BUF_IOCTL_SYNC. */
	if (!gst_memory_map(p->mem, &mi, GST_MAP_READ)) {
		r = -EIO;
		goto fail;
	}
	memcpy(copy, mi.data, p->len);
	gst_memory_unmap(p->mem, &mi);
	if (mprotect(copy, p->len, PROT_READ) < 0 ||
	    mremap(copy, p->len, p->len, MREMAP_MAYMOVE | MREMAP_FIXED, p->base) == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	return 0;
fail:
	munmap(copy, p->len);
	return r;
}

/* Forget cached parents that were detached: later frames of that buffer need
 * a mapping of the daemon's memory again. */
static void cache_forget(struct lfsrc_conn *c, GstMemory *mem)
{
	for (unsigned i = 0; i < CACHE_SIZE; i++) {
		struct entry *e = &c->cache[i];
		bool hit = false;
		for (unsigned p = 0; p < e->n_planes; p++)
			hit |= e->planes[p].mem == mem;
		if (!hit)
			continue;
		for (unsigned p = 0; p < e->n_planes; p++)
			parent_clear(&e->planes[p]);
		memset(e, 0, sizeof(*e));
	}
}

static void held_remove(struct lfsrc_conn *c, struct lease *l)
{
	for (struct lease **pp = &c->held; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			c->n_held--;
			return;
		}
	}
}

/* Under c->lock. Copies in place, then gives the lease back. */
static void lease_rescue(struct lease *l, const char *why)
{
	struct lfsrc_conn *c = l->conn;
	int r = 0;

	for (unsigned p = 0; p < l->n_planes && r == 0; p++) {
		r = parent_detach(&l->planes[p]);
		cache_forget(c, l->planes[p].mem);
	}
	if (r < 0)
		GST_WARNING_OBJECT(c->log_obj, "seq %" G_GUINT64_FORMAT ": copy in place failed (%s): "
				   "downstream may see newer pixels", l->seq, g_strerror(-r));
	else
		GST_INFO_OBJECT(c->log_obj, "seq %" G_GUINT64_FORMAT " held %" G_GINT64_FORMAT
				" ms downstream (%s): copied in place, lease returned",
				l->seq, (g_get_monotonic_time() - l->taken_us) / 1000, why);
	if (c->lf)
		lastframe_frame_release(c->lf, l->frame);
	l->frame = NULL;
	l->state = LEASE_RETURNED;
	held_remove(c, l);
}

static void lease_free(struct lease *l)
{
	for (unsigned p = 0; p < l->n_planes; p++)
		parent_clear(&l->planes[p]);
	conn_unref(l->conn);
	g_free(l);
}

/* A sub-memory of the frame was freed; the last one gives the lease back. */
static void lease_sub_freed(gpointer data)
{
	struct lease *l = data;
	struct lfsrc_conn *c = l->conn;

	if (!g_atomic_int_dec_and_test(&l->subs))
		return;
	g_mutex_lock(&c->lock);
	if (l->state == LEASE_HELD) {
		if (c->lf)
			lastframe_frame_release(c->lf, l->frame);
		l->frame = NULL;
		l->state = LEASE_RETURNED;
		held_remove(c, l);
	}
	g_mutex_unlock(&c->lock);
	lease_free(l);
}

static gint64 rescue_after_us(const struct lfsrc_conn *c)
{
	return (gint64)c->lease_timeout_ms * 1000 / 2;
}

static gboolean conn_timer(GstClock *clock, GstClockTime t, GstClockID id, gpointer data);

/* Under c->lock: arm the timer for the oldest held lease, if none is armed. */
static void timer_arm(struct lfsrc_conn *c)
{
	gint64 oldest = G_MAXINT64, now = g_get_monotonic_time();

	if (c->timer || !c->lf)
		return;
	for (struct lease *l = c->held; l; l = l->next)
		oldest = MIN(oldest, l->taken_us);
	if (oldest == G_MAXINT64)
		return;
	gint64 due_in = MAX(oldest + rescue_after_us(c) - now, 0);
	c->timer = gst_clock_new_single_shot_id(c->sysclock, gst_clock_get_time(c->sysclock) +
								   (GstClockTime)due_in * GST_USECOND);
	g_atomic_int_inc(&c->refs);
	if (gst_clock_id_wait_async(c->timer, conn_timer, c, (GDestroyNotify)conn_unref) !=
	    GST_CLOCK_OK) {
		/* No timer: never risk the daemon's timeout, copy what is held now. */
		gst_clock_id_unref(c->timer);
		c->timer = NULL;
		conn_unref(c);
		while (c->held)
			lease_rescue(c->held, "no timer");
	}
}

static gboolean conn_timer(GstClock *clock, GstClockTime t, GstClockID id, gpointer data)
{
	struct lfsrc_conn *c = data;
	gint64 now = g_get_monotonic_time();

	g_mutex_lock(&c->lock);
	if (c->timer == id) {
		gst_clock_id_unref(c->timer);
		c->timer = NULL;
		for (struct lease *l = c->held, *next; l; l = next) {
			next = l->next;
			if (now - l->taken_us >= rescue_after_us(c) - 1000)
				lease_rescue(l, "half the lease timeout");
		}
		timer_arm(c);
	}
	g_mutex_unlock(&c->lock);
	return TRUE;
}

void lfsrc_conn_close(struct lfsrc_conn *c)
{
	GstClockID timer;

	if (!c)
		return;
	g_mutex_lock(&c->lock);
	while (c->held)
		lease_rescue(c->held, "disconnecting");
	cache_clear(c);
	lastframe_disconnect(c->lf);
	c->lf = NULL;
	timer = c->timer;
	c->timer = NULL;
	g_mutex_unlock(&c->lock);
	/* Outside the lock: the clock thread may be waiting for it in conn_timer. */
	if (timer) {
		gst_clock_id_unschedule(timer);
		gst_clock_id_unref(timer);
	}
	conn_unref(c);
}

/* --- wrapping frames -------------------------------------------------- */

static int parent_new(struct lfsrc_conn *c, const struct lastframe_frame *f, unsigned p,
		      struct parent *out)
{
	const struct lastframe_plane *pl = &f->planes[p];
	size_t len = (size_t)pl->offset + pl->size;
	GstMapInfo mi;
	off_t end;
	int fd;

	/* Reading past the end of a memfd is SIGBUS in whatever thread reads. */
	end = lseek(pl->fd, 0, SEEK_END);
	if (end >= 0 && (uint64_t)end < len)
		return -EBADMSG;
	fd = fcntl(pl->fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	if (f->buffer_type == LASTFRAME_BUFFER_DMABUF)
		out->mem = gst_dmabuf_allocator_alloc_with_flags(c->dmabuf_alloc, fd, len,
								 GST_FD_MEMORY_FLAG_KEEP_MAPPED);
	else
		out->mem = gst_fd_allocator_alloc(c->fd_alloc, fd, len,
						  GST_FD_MEMORY_FLAG_KEEP_MAPPED);
	if (!out->mem) {
		close(fd);
		return -ENOMEM;
	}
	GST_MINI_OBJECT_FLAG_SET(out->mem, GST_MEMORY_FLAG_READONLY);
	if (!gst_memory_map(out->mem, &mi, GST_MAP_READ)) {
		parent_clear(out);
		return -EIO;
	}
	out->base = mi.data;
	out->len = len;
	gst_memory_unmap(out->mem, &mi); /* KEEP_MAPPED: base stays valid */
	return 0;
}

static int cache_get(struct lfsrc_conn *c, const struct lastframe_frame *f, struct entry **out)
{
	struct entry *e = NULL;
	int r;

	if (f->generation != c->cache_generation) {
		cache_clear(c);
		c->cache_generation = f->generation;
	}
	for (unsigned i = 0; i < CACHE_SIZE; i++) {
		if (c->cache[i].used && c->cache[i].buffer_id == f->buffer_id) {
			*out = &c->cache[i];
			return 0;
		}
		if (!c->cache[i].used && !e)
			e = &c->cache[i];
	}
	if (!e) { /* more buffers than the protocol allows: start over */
		cache_clear(c);
		e = &c->cache[0];
	}
	for (unsigned p = 0; p < f->n_planes; p++) {
		r = parent_new(c, f, p, &e->planes[p]);
		if (r < 0) {
			for (unsigned q = 0; q < p; q++)
				parent_clear(&e->planes[q]);
			return r;
		}
		e->n_planes = p + 1;
	}
	e->used = true;
	e->generation = f->generation;
	e->buffer_id = f->buffer_id;
	*out = e;
	return 0;
}

/* Under c->lock. */
static int wrap_copy(struct lfsrc_conn *c, struct lastframe_frame *f, const GstVideoInfo *vinfo,
		     GstBuffer **out)
{
	GstBuffer *buf = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(vinfo), NULL);
	GstVideoFrame vf;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	if (!gst_video_frame_map(&vf, vinfo, buf, GST_MAP_WRITE)) {
		gst_buffer_unref(buf);
		return -EIO;
	}
	for (unsigned p = 0; p < f->n_planes && r == 0; p++) {
		const uint8_t *src;
		size_t size;
		r = lastframe_frame_map(c->lf, f, p, (const void **)&src, &size);
		if (r < 0)
			break;
		uint8_t *dst = GST_VIDEO_FRAME_PLANE_DATA(&vf, p);
		size_t dstride = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, p);
		size_t rows = GST_VIDEO_FRAME_COMP_HEIGHT(&vf, p == 0 ? 0 : 1);
		size_t row = MIN(dstride, (size_t)f->planes[p].stride);
		for (size_t y = 0; y < rows; y++) {
			/* The last source row may end before the padded stride. */
			size_t n = MIN(row, size - y * f->planes[p].stride);
			memcpy(dst + y * dstride, src + y * f->planes[p].stride, n);
		}
		lastframe_frame_unmap(c->lf, f, p);
	}
	gst_video_frame_unmap(&vf);
	if (r < 0) {
		gst_buffer_unref(buf);
		return r;
	}
	*out = buf;
	return 0;
}

static int wrap_zero_copy(struct lfsrc_conn *c, struct lastframe_frame *f,
			  const GstVideoInfo *vinfo, GstBuffer **out)
{
	gsize offsets[GST_VIDEO_MAX_PLANES] = { 0 };
	gint strides[GST_VIDEO_MAX_PLANES] = { 0 };
	struct entry *e;
	struct lease *l;
	GstBuffer *buf;
	gsize at = 0;
	int r;

	r = cache_get(c, f, &e);
	if (r < 0)
		return r;
	l = g_new0(struct lease, 1);
	l->subs = (gint)f->n_planes;
	l->conn = c;
	g_atomic_int_inc(&c->refs);
	l->frame = f;
	l->seq = f->seq;
	l->taken_us = g_get_monotonic_time();
	l->n_planes = f->n_planes;
	buf = gst_buffer_new();
	for (unsigned p = 0; p < f->n_planes; p++) {
		GstMemory *sub;
		l->planes[p] = e->planes[p];
		gst_memory_ref(l->planes[p].mem);
		sub = gst_memory_share(e->planes[p].mem, f->planes[p].offset, f->planes[p].size);
		gst_mini_object_set_qdata(GST_MINI_OBJECT(sub), lease_quark(), l, lease_sub_freed);
		gst_buffer_append_memory(buf, sub);
		offsets[p] = at;
		strides[p] = (gint)f->planes[p].stride;
		at += f->planes[p].size;
	}
	gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_INFO_FORMAT(vinfo),
				       GST_VIDEO_INFO_WIDTH(vinfo), GST_VIDEO_INFO_HEIGHT(vinfo),
				       f->n_planes, offsets, strides);
	l->next = c->held;
	c->held = l;
	c->n_held++;
	timer_arm(c);
	*out = buf;
	return 0;
}

int lfsrc_conn_wrap(struct lfsrc_conn *c, struct lastframe_frame *f, const GstVideoInfo *vinfo,
		    bool dmabuf, bool meta_ok, GstBuffer **out)
{
	const char *why = NULL;
	int r;

	g_mutex_lock(&c->lock);
	if (!c->lf) {
		r = -ECONNRESET;
		goto out;
	}
	if (!dmabuf && !meta_ok && !lfsrc_format_is_default_layout(f, vinfo))
		why = "downstream takes no GstVideoMeta and the daemon's layout differs";
	else if (c->n_held + 1 >= c->max_held)
		why = "downstream holds the other leases: keeping a credit free";
	if (why && dmabuf)
		why = NULL; /* dmabuf consumers import the fd: only a lease will do */
	if (why) {
		if (!c->said_copy)
			GST_INFO_OBJECT(c->log_obj, "seq %" G_GUINT64_FORMAT ": copying (%s)", f->seq, why);
		c->said_copy = true;
		r = wrap_copy(c, f, vinfo, out);
		lastframe_frame_release(c->lf, f);
	} else {
		if (c->said_copy)
			GST_INFO_OBJECT(c->log_obj, "seq %" G_GUINT64_FORMAT ": zero copy again", f->seq);
		c->said_copy = false;
		r = wrap_zero_copy(c, f, vinfo, out);
		if (r < 0)
			lastframe_frame_release(c->lf, f);
	}
out:
	g_mutex_unlock(&c->lock);
	return r;
}
