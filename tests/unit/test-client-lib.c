/* SPDX-License-Identifier: MIT */
/*
 * liblastframe against a scripted peer: a forked child plays the daemon's
 * side of docs/protocol.md byte by byte, so every message the library parses
 * and every reply it sends is checked without a PipeWire session.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/lib/client.h"
#include "tests/unit/unit-util.h"

static char dir[] = "/tmp/test-client-lib-XXXXXX";
static char path[100];
static int listen_fd = -1;

static void setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/socket", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(listen_fd, 0);
	ck_assert_int_eq(bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(listen_fd, 4), 0);
}

static void teardown(void)
{
	close(listen_fd);
	unlink(path);
	rmdir(dir);
	strcpy(dir, "/tmp/test-client-lib-XXXXXX");
}

/* --- the peer ---------------------------------------------------------- */
#define EXPECT(cond) do { if (!(cond)) { fprintf(stderr, "peer: %s:%d: %s\n", __FILE__, __LINE__, #cond); _exit(1); } } while (0)

static void peer_send(int c, const void *msg, size_t len, const int *fds, unsigned n_fds)
{
	EXPECT(tu_send_fds(c, msg, len, fds, n_fds) == (ssize_t)len);
}

static uint16_t peer_recv(int c, void *buf, size_t cap)
{
	ssize_t n = recv(c, buf, cap, 0);
	struct lf_msg_hdr h;

	EXPECT(n >= 8);
	memcpy(&h, buf, sizeof(h));
	EXPECT(h.length == (size_t)n);
	return h.type;
}

static int peer_handshake(uint32_t max_held)
{
	struct lf_msg_hello hello;
	struct lf_msg_welcome w = { { LF_MSG_WELCOME, 0, sizeof(w) }, 1, 0, max_held, 1000, 9, 0, "fake" };
	int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

	EXPECT(c >= 0);
	EXPECT(peer_recv(c, &hello, sizeof(hello)) == LF_MSG_HELLO);
	EXPECT(hello.version == 1);
	peer_send(c, &w, sizeof(w), NULL, 0);
	return c;
}

static void peer_format(int c, uint32_t gen, uint32_t w, uint32_t h)
{
	struct lf_msg_format f = { { LF_MSG_FORMAT, 0, sizeof(f) }, gen, 2, w, h, 0x34325258, 1, 0,
				   LF_WIRE_BUFFER_MEMFD, 1, 60, 1, LF_FORMAT_FLAG_MODIFIER, 0 };
	peer_send(c, &f, sizeof(f), NULL, 0);
}

/* A memfd of size bytes filled with byte value `fill`. */
static void peer_add_buffer(int c, uint32_t gen, uint32_t id, uint32_t stride, uint32_t size,
			    uint8_t fill)
{
	struct lf_msg_add_buffer a = { { LF_MSG_ADD_BUFFER, 0, sizeof(a) }, gen, id,
				       LF_WIRE_BUFFER_MEMFD, 1, { { 0, stride, size, 0 } } };
	int fd = memfd_create("buf", MFD_CLOEXEC);
	uint8_t *p;

	EXPECT(fd >= 0 && ftruncate(fd, size) == 0);
	p = mmap(NULL, size, PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT(p != MAP_FAILED);
	memset(p, fill, size);
	munmap(p, size);
	peer_send(c, &a, sizeof(a), &fd, 1);
	close(fd);
}

static void peer_frame(int c, uint32_t gen, uint32_t id, uint64_t seq)
{
	struct lf_msg_frame f = { { LF_MSG_FRAME, 0, sizeof(f) }, gen, id, seq, 1000, 2000, 3000, 4 };
	peer_send(c, &f, sizeof(f), NULL, 0);
}

static void peer_expect_release(int c, uint32_t gen, uint32_t id, uint64_t seq)
{
	struct lf_msg_release r;

	EXPECT(peer_recv(c, &r, sizeof(r)) == LF_MSG_RELEASE);
	EXPECT(r.generation == gen && r.buffer_id == id && r.seq == seq);
}

static void peer_expect_bye_or_eof(int c)
{
	uint8_t buf[64];
	ssize_t n = recv(c, buf, sizeof(buf), 0);

	if (n > 0) {
		struct lf_msg_bye *b = (void *)buf;
		EXPECT(b->hdr.type == LF_MSG_BYE && b->reason == LF_BYE_CLIENT);
	}
}

static pid_t peer_start(void)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	return pid;
}

static void peer_wait(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "peer failed");
}

/* --- tests -------------------------------------------------------------- */
START_TEST(test_frames_and_map_cache)
{
	struct lastframe_options o = { .socket_path = path, .max_held = 2 };
	struct lastframe_stream_info info;
	struct lastframe_frame *f;
	struct lastframe *lf;
	const uint8_t *p1, *p2;
	size_t size;
	int fds_before = tu_count_fds();
	pid_t pid = peer_start();

	if (pid == 0) {
		uint8_t buf[256];
		int c = peer_handshake(2);
		peer_format(c, 1, 4, 2);
		peer_add_buffer(c, 1, 3, 16, 32, 0x5a);
		peer_frame(c, 1, 3, 10);
		peer_expect_release(c, 1, 3, 10);
		peer_frame(c, 1, 3, 11);
		peer_expect_release(c, 1, 3, 11);
		EXPECT(peer_recv(c, buf, sizeof(buf)) == LF_MSG_STATS_REQUEST);
		struct lf_msg_stats st = { { LF_MSG_STATS, 0, sizeof(st) }, 2, 1, 5, 77 };
		st.fps_milli = 59940;
		peer_send(c, &st, sizeof(st), NULL, 0);
		EXPECT(peer_recv(c, buf, sizeof(buf)) == LF_MSG_PING);
		((struct lf_msg_hdr *)buf)->type = LF_MSG_PONG;
		peer_send(c, buf, 16, NULL, 0);
		peer_expect_bye_or_eof(c);
		_exit(0);
	}
	ck_assert_int_eq(lastframe_connect(&o, &lf), 0);
	ck_assert_int_eq(lastframe_next_frame(lf, 2000, &f), 0);
	ck_assert_int_eq(lastframe_get_stream_info(lf, &info), 0);
	ck_assert_uint_eq(info.width, 4);
	ck_assert_uint_eq(info.state, LASTFRAME_STREAM_STREAMING);
	ck_assert(info.has_modifier);
	ck_assert_uint_eq(info.modifier, 0);
	ck_assert_uint_eq(f->seq, 10);
	ck_assert_uint_eq(f->pts_ns, 1000);
	ck_assert_uint_eq(f->daemon_recv_ns, 2000);
	ck_assert_uint_eq(f->skipped, 4);
	ck_assert_uint_eq(f->width, 4);
	ck_assert_uint_eq(f->height, 2);
	ck_assert_uint_eq(f->drm_format, 0x34325258);
	ck_assert_uint_eq(f->buffer_type, LASTFRAME_BUFFER_MEMFD);
	ck_assert_uint_eq(f->n_planes, 1);
	ck_assert_uint_eq(f->planes[0].stride, 16);
	ck_assert_int_ge(f->planes[0].fd, 0);
	ck_assert_uint_gt(f->client_recv_ns, 0);
	ck_assert_int_eq(lastframe_frame_map(lf, f, 1, (const void **)&p1, &size), -EINVAL);
	ck_assert_int_eq(lastframe_frame_map(lf, f, 0, (const void **)&p1, &size), 0);
	ck_assert_uint_eq(size, 32);
	ck_assert_uint_eq(p1[0], 0x5a);
	ck_assert_uint_eq(p1[31], 0x5a);
	ck_assert_int_eq(lastframe_frame_unmap(lf, f, 0), 0);
	ck_assert_int_eq(lastframe_frame_release(lf, f), 0);
	ck_assert_int_eq(lastframe_frame_release(lf, f), -EINVAL); /* not held any more */
	ck_assert_int_eq(lastframe_next_frame(lf, 2000, &f), 0);
	ck_assert_uint_eq(f->seq, 11);
	ck_assert_int_eq(lastframe_frame_map(lf, f, 0, (const void **)&p2, &size), 0);
	ck_assert_ptr_eq(p1, p2); /* mapped once per buffer */
	ck_assert_int_eq(lastframe_frame_release(lf, f), 0);

	struct lastframe_stats st;
	ck_assert_int_eq(lastframe_get_stats(lf, 2000, &st), 0);
	ck_assert_uint_eq(st.frames_in, 77);
	ck_assert_uint_eq(st.clients, 1);
	ck_assert(st.fps > 59.9 && st.fps < 60.0);
	ck_assert_int_eq(lastframe_ping(lf, 2000), 0);
	ck_assert_int_eq(lastframe_next_frame(lf, 0, &f), -EAGAIN);
	lastframe_disconnect(lf);
	peer_wait(pid);
	ck_assert_int_eq(tu_count_fds(), fds_before);
}
END_TEST

/* A new generation while a frame is held: the held frame stays readable,
 * its release still names the old generation, and nothing leaks. */
START_TEST(test_generation_change_while_held)
{
	struct lastframe_options o = { .socket_path = path };
	struct lastframe_frame *f, *g;
	struct lastframe *lf;
	const uint8_t *p;
	int fds_before = tu_count_fds();
	pid_t pid = peer_start();

	if (pid == 0) {
		int c = peer_handshake(1);
		peer_format(c, 1, 4, 2);
		peer_add_buffer(c, 1, 0, 16, 32, 0x11);
		peer_frame(c, 1, 0, 1);
		peer_format(c, 2, 8, 2);
		struct lf_msg_remove_buffer rm = { { LF_MSG_REMOVE_BUFFER, 0, sizeof(rm) }, 1, 0 };
		peer_send(c, &rm, sizeof(rm), NULL, 0);
		peer_expect_release(c, 1, 0, 1);
		peer_add_buffer(c, 2, 0, 32, 64, 0x22);
		peer_frame(c, 2, 0, 2);
		peer_expect_release(c, 2, 0, 2);
		peer_expect_bye_or_eof(c);
		_exit(0);
	}
	ck_assert_int_eq(lastframe_connect(&o, &lf), 0);
	ck_assert_int_eq(lastframe_next_frame(lf, 2000, &f), 0);
	ck_assert_int_eq(lastframe_frame_map(lf, f, 0, (const void **)&p, NULL), 0);
	/* Read the new FORMAT and REMOVE_BUFFER. */
	struct lastframe_stream_info info;
	for (int i = 0; i < 200; i++) {
		lastframe_dispatch(lf);
		if (lastframe_get_stream_info(lf, &info) == 0 && info.generation == 2)
			break;
		usleep(5000);
	}
	ck_assert_uint_eq(info.generation, 2);
	ck_assert_uint_eq(p[0], 0x11); /* still mapped */
	ck_assert_uint_eq(f->width, 4);
	ck_assert_int_eq(lastframe_frame_release(lf, f), 0);
	ck_assert_int_eq(lastframe_next_frame(lf, 2000, &g), 0);
	ck_assert_uint_eq(g->generation, 2);
	ck_assert_uint_eq(g->width, 8);
	ck_assert_int_eq(lastframe_frame_map(lf, g, 0, (const void **)&p, NULL), 0);
	ck_assert_uint_eq(p[63], 0x22);
	ck_assert_int_eq(lastframe_frame_release(lf, g), 0);
	lastframe_disconnect(lf);
	peer_wait(pid);
	ck_assert_int_eq(tu_count_fds(), fds_before);
}
END_TEST

/* An early frame: fence fds, damage and a cursor bitmap come through, and
 * the fences are closed on release. */
START_TEST(test_fences_damage_cursor)
{
	struct lastframe_options o = { .socket_path = path,
				       .flags = LASTFRAME_EARLY_FENCES | LASTFRAME_CURSOR_BITMAP };
	struct lastframe_frame *f;
	struct lastframe *lf;
	int fds_before = tu_count_fds();
	pid_t pid = peer_start();

	if (pid == 0) {
		struct lf_msg_hello hello;
		struct lf_msg_welcome w = { { LF_MSG_WELCOME, 0, sizeof(w) }, 1,
					    LF_CAP_EARLY_FENCES | LF_CAP_CURSOR_BITMAP, 1, 1000 };
		int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		EXPECT(peer_recv(c, &hello, sizeof(hello)) == LF_MSG_HELLO);
		EXPECT(hello.caps == (LF_CAP_EARLY_FENCES | LF_CAP_CURSOR_BITMAP | LF_CAP_STATS_EXT));
		peer_send(c, &w, sizeof(w), NULL, 0);
		peer_format(c, 1, 4, 2);
		peer_add_buffer(c, 1, 0, 16, 32, 9);
		struct {
			struct lf_msg_frame f;
			struct lf_wire_rect dmg[2];
			uint32_t cursor[4];
		} m = { { { LF_MSG_FRAME, 0, sizeof(m) }, 1, 0, 5 } };
		m.f.flags = LF_FRAME_F_FENCE_PENDING | LF_FRAME_F_DAMAGE | LF_FRAME_F_CURSOR |
			    LF_FRAME_F_CURSOR_BITMAP | LF_FRAME_F_CROP;
		m.f.crop = (struct lf_wire_rect){ 1, 0, 2, 2 };
		m.f.cursor_x = 3;
		m.f.hotspot_y = 1;
		m.f.cursor_width = m.f.cursor_height = 2;
		m.f.n_damage = 2;
		m.f.n_fences = 1;
		m.dmg[1] = (struct lf_wire_rect){ 1, 1, 2, 1 };
		m.cursor[3] = 0xff00ff00;
		int fence = memfd_create("fence", MFD_CLOEXEC);
		peer_send(c, &m, sizeof(m), &fence, 1);
		close(fence);
		peer_expect_release(c, 1, 0, 5);
		peer_expect_bye_or_eof(c);
		_exit(0);
	}
	ck_assert_int_eq(lastframe_connect(&o, &lf), 0);
	ck_assert_int_eq(lastframe_next_frame(lf, 2000, &f), 0);
	ck_assert_uint_eq(f->n_fences, 1);
	ck_assert_int_ge(f->fences[0], 0);
	ck_assert_int_eq(f->fences[1], -1);
	ck_assert(f->flags & LASTFRAME_FRAME_FENCE_PENDING);
	ck_assert_uint_eq(f->n_damage, 2);
	ck_assert_int_eq(f->damage[1].x, 1);
	ck_assert_uint_eq(f->damage[1].width, 2);
	ck_assert_int_eq(f->crop.x, 1);
	ck_assert_int_eq(f->cursor_x, 3);
	ck_assert_int_eq(f->hotspot_y, 1);
	ck_assert_ptr_nonnull(f->cursor_bitmap);
	ck_assert_uint_eq(f->cursor_bitmap[12], 0x00);
	ck_assert_uint_eq(f->cursor_bitmap[13], 0xff);
	ck_assert_int_eq(tu_count_fds(), fds_before + 3); /* socket, buffer, fence */
	ck_assert_int_eq(lastframe_frame_release(lf, f), 0);
	ck_assert_int_eq(tu_count_fds(), fds_before + 2);
	lastframe_disconnect(lf);
	peer_wait(pid);
	ck_assert_int_eq(tu_count_fds(), fds_before);
}
END_TEST

/* Frames that arrived before a BYE are still handed out, then -EPIPE. */
START_TEST(test_frame_then_bye)
{
	struct lastframe_options o = { .socket_path = path };
	struct lastframe_frame *f;
	struct lastframe *lf;
	const void *p;
	int fds_before = tu_count_fds();
	pid_t pid = peer_start();

	if (pid == 0) {
		uint8_t buf[64];
		int c = peer_handshake(1);
		peer_format(c, 1, 4, 2);
		peer_add_buffer(c, 1, 0, 16, 32, 7);
		peer_frame(c, 1, 0, 1);
		struct lf_msg_bye b = { { LF_MSG_BYE, 0, sizeof(b) }, LF_BYE_SHUTDOWN, 0 };
		peer_send(c, &b, sizeof(b), NULL, 0);
		/* Wait for the client to have read everything before closing. */
		EXPECT(recv(c, buf, sizeof(buf), 0) >= 0);
		_exit(0);
	}
	ck_assert_int_eq(lastframe_connect(&o, &lf), 0);
	/* Read it all (FRAME and BYE) before asking for the frame. */
	for (int i = 0; i < 400 && lastframe_dispatch(lf) >= 0; i++)
		usleep(5000);
	ck_assert_int_eq(lastframe_next_frame(lf, 0, &f), 0);
	ck_assert_uint_eq(f->seq, 1);
	ck_assert_int_eq(lastframe_frame_map(lf, f, 0, &p, NULL), 0);
	ck_assert_uint_eq(((const uint8_t *)p)[31], 7);
	ck_assert_int_eq(lastframe_frame_release(lf, f), -EPIPE); /* freed all the same */
	ck_assert_int_eq(lastframe_next_frame(lf, 1000, &f), -EPIPE);
	lastframe_disconnect(lf);
	peer_wait(pid);
	ck_assert_int_eq(tu_count_fds(), fds_before);
}
END_TEST

START_TEST(test_refused_before_hello)
{
	struct lastframe_options o = { .socket_path = path };
	struct lastframe *lf = NULL;
	pid_t pid = peer_start();

	if (pid == 0) {
		struct { struct lf_msg_error e; char t[8]; } m = { { { LF_MSG_ERROR, 0, sizeof(m) }, EBUSY, 0 }, "full" };
		int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		peer_send(c, &m, sizeof(m), NULL, 0);
		close(c);
		_exit(0);
	}
	ck_assert_int_eq(lastframe_connect(&o, &lf), -EBUSY);
	ck_assert_ptr_null(lf);
	peer_wait(pid);
}
END_TEST

START_TEST(test_bye_and_eof)
{
	struct lastframe_options o = { .socket_path = path, .flags = LASTFRAME_CONTROL_ONLY };
	struct lastframe_frame *f;
	struct lastframe *lf;
	pid_t pid = peer_start();

	if (pid == 0) {
		struct lf_msg_hello hello;
		struct lf_msg_welcome w = { { LF_MSG_WELCOME, 0, sizeof(w) }, 1, LF_CAP_NO_FRAMES, 0 };
		int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		EXPECT(peer_recv(c, &hello, sizeof(hello)) == LF_MSG_HELLO);
		EXPECT(hello.caps == (LF_CAP_NO_FRAMES | LF_CAP_STATS_EXT));
		peer_send(c, &w, sizeof(w), NULL, 0); /* control clients get 0 credits */
		struct lf_msg_bye b = { { LF_MSG_BYE, 0, sizeof(b) }, LF_BYE_SHUTDOWN, 0 };
		peer_send(c, &b, sizeof(b), NULL, 0);
		close(c);
		/* Second client: plain EOF. */
		c = peer_handshake(1);
		close(c);
		_exit(0);
	}
	ck_assert_int_eq(lastframe_connect(&o, &lf), 0);
	ck_assert_int_eq(lastframe_next_frame(lf, 2000, &f), -EPIPE);
	ck_assert_int_eq(lastframe_next_frame(lf, 2000, &f), -EPIPE); /* sticky */
	lastframe_disconnect(lf);
	o.flags = 0;
	ck_assert_int_eq(lastframe_connect(&o, &lf), 0);
	ck_assert_int_eq(lastframe_next_frame(lf, 2000, &f), -ECONNRESET);
	lastframe_disconnect(lf);
	peer_wait(pid);
}
END_TEST

/* Ignorable unknown messages are skipped (their fds closed); a mandatory one
 * ends the connection with ERROR(EPROTO) to the daemon. */
START_TEST(test_unknown_messages)
{
	struct lastframe_options o = { .socket_path = path };
	struct lastframe_frame *f;
	struct lastframe *lf;
	int fds_before = tu_count_fds();
	pid_t pid = peer_start();

	if (pid == 0) {
		uint8_t buf[512];
		int c = peer_handshake(1);
		struct lf_msg_hdr ign = { 99, LF_MSG_FLAG_IGNORABLE, 8 };
		int fd = memfd_create("junk", MFD_CLOEXEC);
		peer_send(c, &ign, sizeof(ign), &fd, 1);
		peer_format(c, 1, 4, 2);
		peer_add_buffer(c, 1, 0, 16, 32, 1);
		peer_frame(c, 1, 0, 1);
		peer_expect_release(c, 1, 0, 1);
		struct lf_msg_hdr bad = { 98, 0, 8 };
		peer_send(c, &bad, sizeof(bad), NULL, 0);
		EXPECT(peer_recv(c, buf, sizeof(buf)) == LF_MSG_ERROR);
		EXPECT(((struct lf_msg_error *)buf)->code == EPROTO);
		_exit(0);
	}
	ck_assert_int_eq(lastframe_connect(&o, &lf), 0);
	ck_assert_int_eq(lastframe_next_frame(lf, 2000, &f), 0);
	ck_assert_int_eq(lastframe_frame_release(lf, f), 0);
	ck_assert_int_eq(lastframe_next_frame(lf, 2000, &f), -EPROTO);
	lastframe_disconnect(lf);
	peer_wait(pid);
	ck_assert_int_eq(tu_count_fds(), fds_before);
}
END_TEST

/* ADD_BUFFER with fewer fds than planes: protocol error, the fd is closed. */
START_TEST(test_bad_fd_count)
{
	struct lastframe_options o = { .socket_path = path };
	struct lastframe_frame *f;
	struct lastframe *lf;
	int fds_before = tu_count_fds();
	pid_t pid = peer_start();

	if (pid == 0) {
		uint8_t buf[512];
		int c = peer_handshake(1);
		peer_format(c, 1, 4, 2);
		struct lf_msg_add_buffer a = { { LF_MSG_ADD_BUFFER, 0, sizeof(a) }, 1, 0,
					       LF_WIRE_BUFFER_MEMFD, 2, { { 0, 16, 32, 0 }, { 0, 16, 32, 0 } } };
		int fd = memfd_create("buf", MFD_CLOEXEC);
		peer_send(c, &a, sizeof(a), &fd, 1);
		EXPECT(peer_recv(c, buf, sizeof(buf)) == LF_MSG_ERROR);
		_exit(0);
	}
	ck_assert_int_eq(lastframe_connect(&o, &lf), 0);
	ck_assert_int_eq(lastframe_next_frame(lf, 2000, &f), -EPROTO);
	lastframe_disconnect(lf);
	peer_wait(pid);
	ck_assert_int_eq(tu_count_fds(), fds_before);
}
END_TEST

/* A plane claiming more bytes than its memfd holds is refused, not SIGBUS. */
START_TEST(test_short_buffer)
{
	struct lastframe_options o = { .socket_path = path };
	struct lastframe_frame *f;
	struct lastframe *lf;
	const void *p;
	pid_t pid = peer_start();

	if (pid == 0) {
		int c = peer_handshake(1);
		peer_format(c, 1, 4, 2);
		struct lf_msg_add_buffer a = { { LF_MSG_ADD_BUFFER, 0, sizeof(a) }, 1, 0,
					       LF_WIRE_BUFFER_MEMFD, 1, { { 0, 16, 4096 * 4, 0 } } };
		int fd = memfd_create("buf", MFD_CLOEXEC);
		EXPECT(ftruncate(fd, 32) == 0);
		peer_send(c, &a, sizeof(a), &fd, 1);
		peer_frame(c, 1, 0, 1);
		peer_expect_release(c, 1, 0, 1);
		peer_expect_bye_or_eof(c);
		_exit(0);
	}
	ck_assert_int_eq(lastframe_connect(&o, &lf), 0);
	ck_assert_int_eq(lastframe_next_frame(lf, 2000, &f), 0);
	ck_assert_int_eq(lastframe_frame_map(lf, f, 0, &p, NULL), -EBADMSG);
	ck_assert_int_eq(lastframe_frame_release(lf, f), 0);
	lastframe_disconnect(lf);
	peer_wait(pid);
}
END_TEST

START_TEST(test_timeouts_and_paths)
{
	struct lastframe_options o = { .socket_path = path };
	struct lastframe_frame *f;
	struct lastframe *lf;
	pid_t pid = peer_start();

	if (pid == 0) {
		int c = peer_handshake(1);
		peer_expect_bye_or_eof(c);
		_exit(0);
	}
	ck_assert_int_eq(lastframe_connect(&o, &lf), 0);
	ck_assert_int_eq(lastframe_next_frame(lf, 0, &f), -EAGAIN);
	ck_assert_int_eq(lastframe_next_frame(lf, 30, &f), -ETIMEDOUT);
	ck_assert_int_eq(lastframe_get_stream_info(lf, &(struct lastframe_stream_info){ 0 }), -ENODATA);
	lastframe_disconnect(lf);
	peer_wait(pid);

	o.socket_path = "/nonexistent/lastframe/socket";
	ck_assert_int_eq(lastframe_connect(&o, &lf), -ENOENT);
	setenv("LASTFRAME_SOCKET", "/nonexistent/env/socket", 1);
	ck_assert_int_eq(lastframe_connect(NULL, &lf), -ENOENT);
	o.socket_path = NULL;
	o.max_held = 4;
	ck_assert_int_eq(lastframe_connect(&o, &lf), -EINVAL);
	char longp[300];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	o.max_held = 0;
	o.socket_path = longp;
	ck_assert_int_eq(lastframe_connect(&o, &lf), -ENAMETOOLONG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("client-lib");
	TCase *tc = tcase_create("lib");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_frames_and_map_cache);
	tcase_add_test(tc, test_generation_change_while_held);
	tcase_add_test(tc, test_fences_damage_cursor);
	tcase_add_test(tc, test_frame_then_bye);
	tcase_add_test(tc, test_refused_before_hello);
	tcase_add_test(tc, test_bye_and_eof);
	tcase_add_test(tc, test_unknown_messages);
	tcase_add_test(tc, test_bad_fd_count);
	tcase_add_test(tc, test_short_buffer);
	tcase_add_test(tc, test_timeouts_and_paths);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
