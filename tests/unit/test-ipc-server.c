/* SPDX-License-Identifier: MIT */
/*
 * ipc/server*.c driven directly: a real pw_loop (iterated by the test, no
 * PipeWire daemon), the server on a socket in a temp dir, raw clients, and
 * fake lf_buffers backed by memfds. Checks the bookkeeping the integration
 * tests can only see from outside: ADD_BUFFER once per buffer per
 * generation, credits and skipped counts, buffer references (what goes back
 * to "PipeWire"), generations, early fences, control clients, cursor bitmaps.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <pipewire/pipewire.h>

#include "ipc/proto-parse.h"
#include "ipc/server.h"

#define NBUF 4

static struct pw_loop *loop;
static struct lf_server *srv;
static char dir[40], path[80];
static struct lf_buffer bufs[NBUF];
static int released[NBUF];
static uint64_t next_seq;
static int n_clients_event;
static uint8_t rx[LF_PROTO_MAX_MSG];

static void buf_release(struct lf_buffer *b, void *data)
{
	released[b - bufs]++;
}

static void on_clients(void *data, uint32_t n)
{
	n_clients_event = (int)n;
}

static const struct lf_server_events events = { .clients_changed = on_clients };

static void pump(void)
{
	pw_loop_enter(loop);
	for (int i = 0; i < 20; i++)
		pw_loop_iterate(loop, 0);
	pw_loop_leave(loop);
}

static void make_server(uint32_t lease_timeout_ms)
{
	struct lf_server_options o = { .socket_path = path, .listen_fd = -1, .max_clients = 8,
				       .lease_timeout_ms = lease_timeout_ms, .max_held = 3 };

	ck_assert_int_eq(lf_server_new(loop, &o, &events, NULL, &srv), 0);
}

static void set_format(uint32_t gen)
{
	struct lf_video_format f = { .width = 64, .height = 16, .drm_format = 0x34325258,
				     .n_planes = 1, .buffer_type = LF_BUFFER_MEMFD,
				     .fps_num = 60, .fps_den = 1 };

	for (int i = 0; i < NBUF; i++)
		bufs[i].generation = gen;
	lf_server_set_format(srv, &f, gen, LF_STREAM_STREAMING);
}

static void setup(void)
{
	pw_init(NULL, NULL);
	loop = pw_loop_new(NULL);
	ck_assert_ptr_nonnull(loop);
	snprintf(dir, sizeof(dir), "/tmp/lf-test-ipc-server.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/socket", dir);
	memset(released, 0, sizeof(released));
	next_seq = 100;
	for (int i = 0; i < NBUF; i++) {
		int fd = memfd_create("lf-test", MFD_CLOEXEC);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ftruncate(fd, 4096), 0);
		bufs[i] = (struct lf_buffer){ .id = 10 + i, .generation = 1, .type = LF_BUFFER_MEMFD,
					      .n_planes = 1, .release = buf_release,
					      .planes = { { .fd = fd, .offset = 0, .stride = 256, .size = 4096 } } };
	}
	make_server(1000);
	set_format(1);
}

static void teardown(void)
{
	lf_server_destroy(srv);
	srv = NULL;
	for (int i = 0; i < NBUF; i++) {
		ck_assert_int_eq(bufs[i].refs, 0); /* every reference went back */
		close(bufs[i].planes[0].fd);
	}
	/* the socket we created is gone, its directory stays */
	ck_assert_int_ne(access(path, F_OK), 0);
	char sub[160];
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	rmdir(sub);
	rmdir(dir);
	pw_loop_destroy(loop);
	pw_deinit();
}

static int cl_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	pump();
	return fd;
}

static void cl_send(int fd, const void *p, size_t len)
{
	ck_assert_int_eq(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
	pump();
}

/* Next message (type returned, 0 when none queued), fds kept in fds[]. */
static int cl_recv(int fd, struct lf_proto_msg *m, int *fds, unsigned *n_fds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * LF_PROTO_MAX_FDS)];
		struct cmsghdr a;
	} ctrl;
	struct iovec iov = { rx, sizeof(rx) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl.b,
			      .msg_controllen = sizeof(ctrl.b) };
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	unsigned k = 0;

	if (n <= 0)
		return 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		unsigned c = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds + k, CMSG_DATA(cm), c * sizeof(int));
		k += c;
	}
	*n_fds = k;
	ck_assert_int_eq(lf_proto_parse(rx, (size_t)n, k, LF_PROTO_TO_CLIENT, m), 0);
	return m->hdr.type;
}

static int cl_recv_nofd(int fd, struct lf_proto_msg *m)
{
	int fds[LF_PROTO_MAX_FDS];
	unsigned n = 0;
	int t = cl_recv(fd, m, fds, &n);

	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	return t;
}

static int cl_hello(uint32_t caps, uint32_t max_held, struct lf_proto_msg *welcome)
{
	struct lf_msg_hello h = { .hdr = { LF_MSG_HELLO, 0, sizeof(h) }, .version = 3,
				  .caps = caps, .max_held = max_held };
	struct lf_proto_msg m;
	int fd = cl_connect();

	strcpy(h.name, "unit");
	cl_send(fd, &h, sizeof(h));
	ck_assert_int_eq(cl_recv_nofd(fd, &m), LF_MSG_WELCOME);
	if (welcome)
		*welcome = m;
	ck_assert_int_eq(cl_recv_nofd(fd, &m), LF_MSG_FORMAT);
	return fd;
}

static void cl_release(int fd, const struct lf_msg_frame *f)
{
	struct lf_msg_release r = { .hdr = { LF_MSG_RELEASE, 0, sizeof(r) },
				    .generation = f->generation, .buffer_id = f->buffer_id, .seq = f->seq };

	cl_send(fd, &r, sizeof(r));
}

static struct lf_frame *frame(int b)
{
	struct lf_frame *f = lf_frame_new(&bufs[b]);

	f->seq = ++next_seq;
	return f;
}

static void publish(int b)
{
	lf_server_publish(srv, frame(b));
	pump();
}

START_TEST(handshake_and_negotiation)
{
	struct lf_proto_msg w;
	int a = cl_hello(0, 0, &w), b, c;

	ck_assert_uint_eq(w.u.welcome.version, 1);
	ck_assert_uint_eq(w.u.welcome.max_held, 1);
	ck_assert_uint_eq(w.u.welcome.lease_timeout_ms, 1000);
	b = cl_hello(0, 9, &w);
	ck_assert_uint_eq(w.u.welcome.max_held, 3);
	c = cl_hello(LF_CAP_NO_FRAMES | (1u << 20), 2, &w);
	ck_assert_uint_eq(w.u.welcome.max_held, 0);
	ck_assert_uint_eq(w.u.welcome.caps, LF_CAP_NO_FRAMES); /* unknown bit not granted */
	ck_assert_uint_eq(lf_server_client_count(srv), 3);
	ck_assert_int_eq(n_clients_event, 3);
	close(a);
	close(b);
	close(c);
	pump();
	ck_assert_uint_eq(lf_server_client_count(srv), 0);
	ck_assert_int_eq(n_clients_event, 0);
}
END_TEST

START_TEST(add_buffer_once_and_read_only)
{
	struct lf_proto_msg m;
	int fds[4];
	unsigned n;
	int c = cl_hello(0, 1, NULL);

	for (int round = 0; round < 4; round++) {
		publish(round % 2);
		int t = cl_recv(c, &m, fds, &n);
		if (round < 2) {
			ck_assert_int_eq(t, LF_MSG_ADD_BUFFER);
			ck_assert_uint_eq(n, 1);
			ck_assert_uint_eq(m.u.add_buffer.buffer_id, 10 + round);
			ck_assert_uint_eq(m.u.add_buffer.generation, 1);
			ck_assert_uint_eq(m.u.add_buffer.planes[0].stride, 256);
			ck_assert_int_eq(fcntl(fds[0], F_GETFL) & O_ACCMODE, O_RDONLY);
			ck_assert_ptr_eq(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0), MAP_FAILED);
			close(fds[0]);
			t = cl_recv(c, &m, fds, &n);
		}
		ck_assert_int_eq(t, LF_MSG_FRAME);
		ck_assert_uint_eq(n, 0);
		ck_assert_uint_eq(m.u.frame.buffer_id, 10 + round % 2);
		ck_assert_uint_eq(m.u.frame.seq, next_seq);
		ck_assert_uint_eq(m.u.frame.skipped, 0);
		ck_assert_uint_eq(lf_server_leases_held(srv), 1);
		cl_release(c, &m.u.frame);
		ck_assert_uint_eq(lf_server_leases_held(srv), 0);
	}
	ck_assert_int_eq(cl_recv_nofd(c, &m), 0);
	close(c);
	pump();
}
END_TEST

START_TEST(no_credit_skips_then_newest)
{
	struct lf_proto_msg m, first;
	int c = cl_hello(0, 1, NULL);

	publish(0);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(cl_recv_nofd(c, &first), LF_MSG_FRAME);
	publish(1);
	publish(2);
	ck_assert_int_eq(cl_recv_nofd(c, &m), 0); /* no credit: nothing */
	/* frame on buffer 1 was superseded while nobody held it: back to the pool */
	ck_assert_int_eq(released[1], 1);
	ck_assert_int_eq(bufs[1].refs, 0);
	ck_assert_int_eq(bufs[0].refs, 1); /* the lease */
	ck_assert_int_eq(bufs[2].refs, 1); /* the latest frame */
	cl_release(c, &first.u.frame);
	ck_assert_int_eq(bufs[0].refs, 0);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.buffer_id, 12);
	ck_assert_uint_eq(m.u.frame.skipped, 1);
	ck_assert_uint_eq(m.u.frame.seq, next_seq);
	ck_assert_int_eq(bufs[2].refs, 2);
	/* releasing the newest does not resend it */
	cl_release(c, &m.u.frame);
	ck_assert_int_eq(cl_recv_nofd(c, &m), 0);
	/* releasing again is a protocol error */
	cl_send(c, &(struct lf_msg_release){ .hdr = { LF_MSG_RELEASE, 0, sizeof(struct lf_msg_release) },
					     .generation = 1, .buffer_id = 12, .seq = next_seq },
		sizeof(struct lf_msg_release));
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_ERROR);
	ck_assert_uint_eq(m.u.error.code, EINVAL);
	ck_assert_uint_eq(lf_server_client_count(srv), 0);
	close(c);
}
END_TEST

START_TEST(new_client_gets_latest)
{
	struct lf_proto_msg m;
	int c;

	publish(3);
	c = cl_hello(0, 1, NULL);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.buffer_id, 13);
	close(c);
	pump();
	ck_assert_int_eq(bufs[3].refs, 1); /* lease reclaimed at disconnect */
	ck_assert_uint_eq(lf_server_leases_held(srv), 0);
}
END_TEST

START_TEST(generation_change)
{
	struct lf_proto_msg m, held;
	int c = cl_hello(0, 2, NULL);

	publish(0);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(cl_recv_nofd(c, &held), LF_MSG_FRAME);
	set_format(7);
	pump();
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_FORMAT);
	ck_assert_uint_eq(m.u.format.generation, 2); /* the daemon's own numbering */
	ck_assert_uint_eq(m.u.format.state, LF_STREAM_STREAMING);
	ck_assert_uint_eq(m.u.format.width, 64);
	ck_assert_uint_eq(m.u.format.buffer_type, LF_WIRE_BUFFER_MEMFD);
	/* same buffer id, new generation: announced again */
	publish(0);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_uint_eq(m.u.add_buffer.generation, 2);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.generation, 2);
	/* a frame of a stale buffer generation is dropped */
	bufs[1].generation = 1;
	publish(1);
	ck_assert_int_eq(cl_recv_nofd(c, &m), 0);
	/* leases of the old generation are still released by their old ids */
	cl_release(c, &held.u.frame);
	ck_assert_uint_eq(lf_server_client_count(srv), 1);
	/* state-only change keeps the generation */
	lf_server_set_format(srv, NULL, 0, LF_STREAM_PAUSED);
	pump();
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_FORMAT);
	ck_assert_uint_eq(m.u.format.generation, 3);
	ck_assert_uint_eq(m.u.format.drm_format, 0);
	lf_server_set_format(srv, NULL, 0, LF_STREAM_NONE);
	pump();
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_FORMAT);
	ck_assert_uint_eq(m.u.format.generation, 3);
	ck_assert_uint_eq(m.u.format.state, LF_STREAM_NONE);
	close(c);
	pump();
}
END_TEST

START_TEST(lease_timeout_disconnects)
{
	struct lf_proto_msg m;
	int c;

	lf_server_destroy(srv);
	make_server(50);
	set_format(1);
	c = cl_hello(0, 1, NULL);
	publish(0);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_FRAME);
	/* wait for the timer (no time assertion: as long as it takes) */
	pw_loop_enter(loop);
	for (int i = 0; i < 200 && lf_server_client_count(srv); i++)
		pw_loop_iterate(loop, 50);
	pw_loop_leave(loop);
	ck_assert_uint_eq(lf_server_client_count(srv), 0);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_ERROR);
	ck_assert_uint_eq(m.u.error.code, ETIMEDOUT);
	ck_assert_int_eq(bufs[0].refs, 1); /* only the latest frame */
	close(c);
}
END_TEST

START_TEST(early_fences)
{
	struct lf_proto_msg m;
	int fds[4];
	unsigned n;
	int early = cl_hello(LF_CAP_EARLY_FENCES, 1, NULL);
	int plain = cl_hello(0, 1, NULL);
	struct lf_frame *f = frame(0);

	f->fences[0] = eventfd(0, EFD_CLOEXEC);
	f->n_fences = 1;
	f->flags |= LF_FRAME_FLAG_FENCE_PENDING;
	lf_server_publish_early(srv, f);
	pump();
	ck_assert_int_eq(cl_recv_nofd(early, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(cl_recv(early, &m, fds, &n), LF_MSG_FRAME);
	ck_assert_uint_eq(n, 1);
	ck_assert(m.u.frame.flags & LF_FRAME_F_FENCE_PENDING);
	ck_assert_uint_eq(m.u.frame.n_fences, 1);
	close(fds[0]);
	ck_assert_int_eq(cl_recv_nofd(plain, &m), 0);
	/* the fence signalled: ready frame, same seq */
	close(f->fences[0]);
	f->fences[0] = -1;
	f->n_fences = 0;
	f->flags &= ~LF_FRAME_FLAG_FENCE_PENDING;
	lf_server_publish(srv, f);
	pump();
	ck_assert_int_eq(cl_recv_nofd(early, &m), 0); /* not twice */
	ck_assert_int_eq(cl_recv_nofd(plain, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(cl_recv_nofd(plain, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.flags & LF_FRAME_F_FENCE_PENDING, 0);
	close(early);
	close(plain);
	pump();
}
END_TEST

START_TEST(control_client_and_stats)
{
	struct lf_proto_msg m;
	struct lf_msg_hdr req = { LF_MSG_STATS_REQUEST, 0, sizeof(req) };
	struct lf_msg_ping ping = { .hdr = { LF_MSG_PING, 0, sizeof(ping) }, .cookie = 99 };
	int c = cl_hello(LF_CAP_NO_FRAMES, 1, NULL);

	publish(0);
	publish(1);
	ck_assert_int_eq(cl_recv_nofd(c, &m), 0);
	cl_send(c, &req, sizeof(req));
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_STATS);
	ck_assert_uint_eq(m.u.stats.frames_published, 2);
	ck_assert_uint_eq(m.u.stats.frames_sent, 0);
	ck_assert_uint_eq(m.u.stats.clients, 1);
	cl_send(c, &ping, sizeof(ping));
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_PONG);
	ck_assert_uint_eq(m.u.ping.cookie, 99);
	close(c);
	pump();
}
END_TEST

START_TEST(cursor_bitmap_when_changed)
{
	struct lf_proto_msg m;
	uint8_t bmp[2 * 2 * 4];
	int c = cl_hello(LF_CAP_CURSOR_BITMAP, 1, NULL);
	int plain = cl_hello(0, 1, NULL);
	struct lf_frame *f = frame(0);

	memset(bmp, 0xab, sizeof(bmp));
	f->flags |= LF_FRAME_FLAG_CURSOR | LF_FRAME_FLAG_CURSOR_BITMAP;
	f->cursor = (struct lf_cursor){ .present = true, .visible = true, .bitmap_changed = true,
					.x = 5, .y = 6, .width = 2, .height = 2, .bitmap = bmp };
	lf_server_publish(srv, f);
	pump();
	memset(bmp, 0, sizeof(bmp)); /* capture's memory is only borrowed */
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert(m.u.frame.flags & LF_FRAME_F_CURSOR_BITMAP);
	ck_assert_int_eq(m.u.frame.cursor_x, 5);
	ck_assert_uint_eq(m.u.frame.cursor_width, 2);
	ck_assert_uint_eq(m.cursor[0], 0xab);
	cl_release(c, &m.u.frame);
	ck_assert_int_eq(cl_recv_nofd(plain, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(cl_recv_nofd(plain, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.flags & LF_FRAME_F_CURSOR_BITMAP, 0);
	ck_assert(m.u.frame.flags & LF_FRAME_F_CURSOR);
	cl_release(plain, &m.u.frame);
	/* position-only update: no bitmap again */
	f = frame(1);
	f->flags |= LF_FRAME_FLAG_CURSOR;
	f->cursor.x = 7;
	lf_server_publish(srv, f);
	pump();
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.flags & LF_FRAME_F_CURSOR_BITMAP, 0);
	ck_assert_int_eq(m.u.frame.cursor_x, 7);
	close(c);
	close(plain);
	pump();
}
END_TEST

/* PipeWire removed a buffer (capture set its fds to -1) while the latest
 * frame still refers to it: a new client is not failed, it gets the next
 * frame; a client that already knows the buffer is unaffected. */
START_TEST(removed_buffer_is_skipped)
{
	struct lf_proto_msg m;
	int first, c, saved;

	bufs[1].type = LF_BUFFER_DMABUF; /* no read-only copy: its own fd is needed */
	first = cl_hello(0, 1, NULL);
	publish(1); /* announced to the first client: the server caches it */
	ck_assert_int_eq(cl_recv_nofd(first, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(cl_recv_nofd(first, &m), LF_MSG_FRAME);
	cl_release(first, &m.u.frame);
	saved = bufs[1].planes[0].fd;
	bufs[1].planes[0].fd = -1;
	c = cl_hello(0, 1, NULL);
	ck_assert_int_eq(cl_recv_nofd(c, &m), 0);
	ck_assert_uint_eq(lf_server_client_count(srv), 2);
	publish(0);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.buffer_id, 10);
	bufs[1].planes[0].fd = saved;
	bufs[1].type = LF_BUFFER_MEMFD;
	close(c);
	close(first);
	pump();
}
END_TEST

START_TEST(bye_on_destroy)
{
	struct lf_proto_msg m;
	int c = cl_hello(0, 1, NULL);

	publish(0);
	lf_server_destroy(srv);
	srv = NULL;
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert_int_eq(cl_recv_nofd(c, &m), LF_MSG_BYE);
	ck_assert_uint_eq(m.u.bye.reason, LF_BYE_SHUTDOWN);
	close(c);
}
END_TEST

START_TEST(socket_files)
{
	struct lf_server_options o = { .socket_path = path, .listen_fd = -1 };
	struct lf_server *other = NULL;
	struct stat st;
	char dpath[160];

	/* 0700 directory, 0600 socket */
	snprintf(dpath, sizeof(dpath), "%s/sub", dir);
	ck_assert_int_eq(stat(dpath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* a live server is not replaced */
	ck_assert_int_eq(lf_server_new(loop, &o, NULL, NULL, &other), -EADDRINUSE);
	ck_assert_int_eq(stat(path, &st), 0);
	/* a stale socket (nobody listening) is */
	lf_server_destroy(srv);
	srv = NULL;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	ck_assert_int_eq(lf_server_new(loop, &o, NULL, NULL, &srv), 0);
	/* a non-socket file is left alone */
	lf_server_destroy(srv);
	srv = NULL;
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(fd);
	ck_assert_int_eq(lf_server_new(loop, &o, NULL, NULL, &other), -EEXIST);
	unlink(path);
	make_server(1000);
	set_format(1);
}
END_TEST

/* Child: become uid/gid 65534 with supplementary group 4242, connect, HELLO.
 * Exit status: 2 WELCOME, the error code for ERROR, 1 anything else. */
static int peer_as_nobody(void)
{
	struct lf_msg_hello h = { .hdr = { LF_MSG_HELLO, 0, sizeof(h) }, .version = 1 };
	gid_t g = 4242;
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		struct lf_proto_msg m;
		int fd, t;

		if (setgroups(1, &g) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(1);
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			_exit(1);
		send(fd, &h, sizeof(h), MSG_NOSIGNAL);
		ssize_t n = recv(fd, rx, sizeof(rx), 0);
		if (n < 0 && errno == ECONNRESET)
			n = recv(fd, rx, sizeof(rx), 0);
		if (n <= 0 || lf_proto_parse(rx, (size_t)n, 0, LF_PROTO_TO_CLIENT, &m) < 0)
			_exit(1);
		t = m.hdr.type;
		_exit(t == LF_MSG_WELCOME ? 2 : t == LF_MSG_ERROR ? (int)m.u.error.code : 1);
	}
	/* The server runs on this thread: turn the loop until the child is done. */
	pw_loop_enter(loop);
	while (waitpid(pid, &status, WNOHANG) == 0)
		pw_loop_iterate(loop, 10);
	pw_loop_leave(loop);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void allow_server(const uid_t *uids, size_t nu, const gid_t *gids, size_t ng)
{
	struct lf_server_options o = { .socket_path = path, .listen_fd = -1, .allowed_uids = uids,
				       .n_allowed_uids = nu, .allowed_gids = gids, .n_allowed_gids = ng };
	char sub[80];

	lf_server_destroy(srv);
	ck_assert_int_eq(lf_server_new(loop, &o, NULL, NULL, &srv), 0);
	/* the directory and socket modes would stop the peer before SO_PEERCRED */
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	ck_assert_int_eq(chmod(dir, 0711), 0);
	ck_assert_int_eq(chmod(sub, 0711), 0);
	ck_assert_int_eq(chmod(path, 0666), 0);
}

START_TEST(allow_lists)
{
	const uid_t nobody = 65534, other = 1234;
	const gid_t nogroup = 65534, supp = 4242, wrong = 4243;

	if (geteuid() != 0)
		return; /* needs root to be another user */
	allow_server(NULL, 0, NULL, 0);
	ck_assert_int_eq(peer_as_nobody(), EACCES);
	allow_server(&nobody, 1, NULL, 0);
	ck_assert_int_eq(peer_as_nobody(), 2);
	allow_server(&other, 1, &nogroup, 1);
	ck_assert_int_eq(peer_as_nobody(), 2);
	allow_server(NULL, 0, &supp, 1);
	ck_assert_int_eq(peer_as_nobody(), 2);
	allow_server(&other, 1, &wrong, 1);
	ck_assert_int_eq(peer_as_nobody(), EACCES);
	set_format(1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipc-server");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, handshake_and_negotiation);
	tcase_add_test(tc, add_buffer_once_and_read_only);
	tcase_add_test(tc, no_credit_skips_then_newest);
	tcase_add_test(tc, new_client_gets_latest);
	tcase_add_test(tc, generation_change);
	tcase_add_test(tc, lease_timeout_disconnects);
	tcase_add_test(tc, early_fences);
	tcase_add_test(tc, control_client_and_stats);
	tcase_add_test(tc, cursor_bitmap_when_changed);
	tcase_add_test(tc, removed_buffer_is_skipped);
	tcase_add_test(tc, bye_on_destroy);
	tcase_add_test(tc, socket_files);
	tcase_add_test(tc, allow_lists);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
