/* SPDX-License-Identifier: MIT */
/*
 * ipc/server*.c driven directly (fixture: ipc-server-fixture.c). Checks the
 * bookkeeping the integration tests can only see from outside: ADD_BUFFER
 * once per buffer per generation, credits and skipped counts, buffer
 * references (what goes back to "PipeWire"), generations, early fences,
 * control clients, cursor bitmaps.
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

#include "tests/unit/ipc-server-fixture.h"

START_TEST(handshake_and_negotiation)
{
	struct lf_proto_msg w;
	int a = ipct_cl_hello(0, 0, &w), b, c;

	ck_assert_uint_eq(w.u.welcome.version, 1);
	ck_assert_uint_eq(w.u.welcome.max_held, 1);
	ck_assert_uint_eq(w.u.welcome.lease_timeout_ms, 1000);
	b = ipct_cl_hello(0, 9, &w);
	ck_assert_uint_eq(w.u.welcome.max_held, 3);
	c = ipct_cl_hello(LF_CAP_NO_FRAMES | (1u << 20), 2, &w);
	ck_assert_uint_eq(w.u.welcome.max_held, 0);
	ck_assert_uint_eq(w.u.welcome.caps, LF_CAP_NO_FRAMES); /* unknown bit not granted */
	ck_assert_uint_eq(lf_server_client_count(ipct_srv), 3);
	ck_assert_int_eq(ipct_n_clients_event, 3);
	close(a);
	close(b);
	close(c);
	ipct_pump();
	ck_assert_uint_eq(lf_server_client_count(ipct_srv), 0);
	ck_assert_int_eq(ipct_n_clients_event, 0);
}
END_TEST

START_TEST(add_buffer_once_and_read_only)
{
	struct lf_proto_msg m;
	int fds[4];
	unsigned n;
	int c = ipct_cl_hello(0, 1, NULL);

	for (int round = 0; round < 4; round++) {
		ipct_publish(round % 2);
		int t = ipct_cl_recv(c, &m, fds, &n);
		if (round < 2) {
			ck_assert_int_eq(t, LF_MSG_ADD_BUFFER);
			ck_assert_uint_eq(n, 1);
			ck_assert_uint_eq(m.u.add_buffer.buffer_id, 10 + round);
			ck_assert_uint_eq(m.u.add_buffer.generation, 1);
			ck_assert_uint_eq(m.u.add_buffer.planes[0].stride, 256);
			ck_assert_int_eq(fcntl(fds[0], F_GETFL) & O_ACCMODE, O_RDONLY);
			ck_assert_ptr_eq(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0), MAP_FAILED);
			close(fds[0]);
			t = ipct_cl_recv(c, &m, fds, &n);
		}
		ck_assert_int_eq(t, LF_MSG_FRAME);
		ck_assert_uint_eq(n, 0);
		ck_assert_uint_eq(m.u.frame.buffer_id, 10 + round % 2);
		ck_assert_uint_eq(m.u.frame.seq, ipct_next_seq);
		ck_assert_uint_eq(m.u.frame.skipped, 0);
		ck_assert_uint_eq(lf_server_leases_held(ipct_srv), 1);
		ipct_cl_release(c, &m.u.frame);
		ck_assert_uint_eq(lf_server_leases_held(ipct_srv), 0);
	}
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), 0);
	close(c);
	ipct_pump();
}
END_TEST

START_TEST(no_credit_skips_then_newest)
{
	struct lf_proto_msg m, first;
	int c = ipct_cl_hello(0, 1, NULL);

	ipct_publish(0);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &first), LF_MSG_FRAME);
	ipct_publish(1);
	ipct_publish(2);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), 0); /* no credit: nothing */
	/* ipct_frame on buffer 1 was superseded while nobody held it: back to the pool */
	ck_assert_int_eq(ipct_released[1], 1);
	ck_assert_int_eq(ipct_bufs[1].refs, 0);
	ck_assert_int_eq(ipct_bufs[0].refs, 1); /* the lease */
	ck_assert_int_eq(ipct_bufs[2].refs, 1); /* the latest ipct_frame */
	ipct_cl_release(c, &first.u.frame);
	ck_assert_int_eq(ipct_bufs[0].refs, 0);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.buffer_id, 12);
	ck_assert_uint_eq(m.u.frame.skipped, 1);
	ck_assert_uint_eq(m.u.frame.seq, ipct_next_seq);
	ck_assert_int_eq(ipct_bufs[2].refs, 2);
	/* releasing the newest does not resend it */
	ipct_cl_release(c, &m.u.frame);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), 0);
	/* releasing again is a protocol error */
	ipct_cl_send(c, &(struct lf_msg_release){ .hdr = { LF_MSG_RELEASE, 0, sizeof(struct lf_msg_release) },
					     .generation = 1, .buffer_id = 12, .seq = ipct_next_seq },
		sizeof(struct lf_msg_release));
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ERROR);
	ck_assert_uint_eq(m.u.error.code, EINVAL);
	ck_assert_uint_eq(lf_server_client_count(ipct_srv), 0);
	close(c);
}
END_TEST

START_TEST(new_client_gets_latest)
{
	struct lf_proto_msg m;
	int c;

	ipct_publish(3);
	c = ipct_cl_hello(0, 1, NULL);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.buffer_id, 13);
	close(c);
	ipct_pump();
	ck_assert_int_eq(ipct_bufs[3].refs, 1); /* lease reclaimed at disconnect */
	ck_assert_uint_eq(lf_server_leases_held(ipct_srv), 0);
}
END_TEST

START_TEST(generation_change)
{
	struct lf_proto_msg m, held;
	int c = ipct_cl_hello(0, 2, NULL);

	ipct_publish(0);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &held), LF_MSG_FRAME);
	ipct_set_format(7);
	ipct_pump();
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_FORMAT);
	ck_assert_uint_eq(m.u.format.generation, 2); /* the daemon's own numbering */
	ck_assert_uint_eq(m.u.format.state, LF_STREAM_STREAMING);
	ck_assert_uint_eq(m.u.format.width, 64);
	ck_assert_uint_eq(m.u.format.buffer_type, LF_WIRE_BUFFER_MEMFD);
	/* same buffer id, new generation: announced again */
	ipct_publish(0);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_uint_eq(m.u.add_buffer.generation, 2);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.generation, 2);
	/* a ipct_frame of a stale buffer generation is dropped */
	ipct_bufs[1].generation = 1;
	ipct_publish(1);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), 0);
	/* leases of the old generation are still ipct_released by their old ids */
	ipct_cl_release(c, &held.u.frame);
	ck_assert_uint_eq(lf_server_client_count(ipct_srv), 1);
	/* state-only change keeps the generation */
	lf_server_set_format(ipct_srv, NULL, 0, LF_STREAM_PAUSED);
	ipct_pump();
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_FORMAT);
	ck_assert_uint_eq(m.u.format.generation, 3);
	ck_assert_uint_eq(m.u.format.drm_format, 0);
	lf_server_set_format(ipct_srv, NULL, 0, LF_STREAM_NONE);
	ipct_pump();
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_FORMAT);
	ck_assert_uint_eq(m.u.format.generation, 3);
	ck_assert_uint_eq(m.u.format.state, LF_STREAM_NONE);
	close(c);
	ipct_pump();
}
END_TEST

START_TEST(lease_timeout_disconnects)
{
	struct lf_proto_msg m;
	int c;

	lf_server_destroy(ipct_srv);
	ipct_make_server(50);
	ipct_set_format(1);
	c = ipct_cl_hello(0, 1, NULL);
	ipct_publish(0);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_FRAME);
	/* wait for the timer (no time assertion: as long as it takes) */
	pw_loop_enter(ipct_loop);
	for (int i = 0; i < 200 && lf_server_client_count(ipct_srv); i++)
		pw_loop_iterate(ipct_loop, 50);
	pw_loop_leave(ipct_loop);
	ck_assert_uint_eq(lf_server_client_count(ipct_srv), 0);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ERROR);
	ck_assert_uint_eq(m.u.error.code, ETIMEDOUT);
	ck_assert_int_eq(ipct_bufs[0].refs, 1); /* only the latest ipct_frame */
	close(c);
}
END_TEST

START_TEST(early_fences)
{
	struct lf_proto_msg m;
	int fds[4];
	unsigned n;
	int early = ipct_cl_hello(LF_CAP_EARLY_FENCES, 1, NULL);
	int plain = ipct_cl_hello(0, 1, NULL);
	struct lf_frame *f = ipct_frame(0);

	f->fences[0] = eventfd(0, EFD_CLOEXEC);
	f->n_fences = 1;
	f->flags |= LF_FRAME_FLAG_FENCE_PENDING;
	lf_server_publish_early(ipct_srv, f);
	ipct_pump();
	ck_assert_int_eq(ipct_cl_recv_nofd(early, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv(early, &m, fds, &n), LF_MSG_FRAME);
	ck_assert_uint_eq(n, 1);
	ck_assert(m.u.frame.flags & LF_FRAME_F_FENCE_PENDING);
	ck_assert_uint_eq(m.u.frame.n_fences, 1);
	close(fds[0]);
	ck_assert_int_eq(ipct_cl_recv_nofd(plain, &m), 0);
	/* the fence signalled: ready ipct_frame, same seq */
	close(f->fences[0]);
	f->fences[0] = -1;
	f->n_fences = 0;
	f->flags &= ~LF_FRAME_FLAG_FENCE_PENDING;
	lf_server_publish(ipct_srv, f);
	ipct_pump();
	ck_assert_int_eq(ipct_cl_recv_nofd(early, &m), 0); /* not twice */
	ck_assert_int_eq(ipct_cl_recv_nofd(plain, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv_nofd(plain, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.flags & LF_FRAME_F_FENCE_PENDING, 0);
	close(early);
	close(plain);
	ipct_pump();
}
END_TEST

START_TEST(control_client_and_stats)
{
	struct lf_proto_msg m;
	struct lf_msg_hdr req = { LF_MSG_STATS_REQUEST, 0, sizeof(req) };
	struct lf_msg_ping ping = { .hdr = { LF_MSG_PING, 0, sizeof(ping) }, .cookie = 99 };
	struct lf_proto_msg w;
	int c = ipct_cl_hello(LF_CAP_NO_FRAMES, 1, NULL), ext;

	ipct_publish(0);
	ipct_publish(1);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), 0);
	ipct_cl_send(c, &req, sizeof(req));
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_STATS);
	ck_assert_uint_eq(m.u.stats.frames_published, 2);
	ck_assert_uint_eq(m.u.stats.frames_sent, 0);
	ck_assert_uint_eq(m.u.stats.clients, 1);
	/* Without LF_CAP_STATS_EXT a client gets STATS as it was (old clients
	 * check its size); with it, the appended fields too. */
	ck_assert_uint_eq(m.hdr.length, LF_MSG_STATS_V1_SIZE);
	ext = ipct_cl_hello(LF_CAP_NO_FRAMES | LF_CAP_STATS_EXT, 1, &w);
	ck_assert_uint_eq(w.u.welcome.caps, LF_CAP_NO_FRAMES | LF_CAP_STATS_EXT);
	ck_assert_int_eq(ipct_cl_recv_nofd(ext, &m), 0);
	ipct_cl_send(ext, &req, sizeof(req));
	ck_assert_int_eq(ipct_cl_recv_nofd(ext, &m), LF_MSG_STATS);
	ck_assert_uint_eq(m.hdr.length, sizeof(struct lf_msg_stats));
	ck_assert_uint_eq(m.u.stats.clients, 2);
	close(ext);
	ipct_cl_send(c, &ping, sizeof(ping));
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_PONG);
	ck_assert_uint_eq(m.u.ping.cookie, 99);
	close(c);
	ipct_pump();
}
END_TEST

START_TEST(cursor_bitmap_when_changed)
{
	struct lf_proto_msg m;
	uint8_t bmp[2 * 2 * 4];
	int c = ipct_cl_hello(LF_CAP_CURSOR_BITMAP, 1, NULL);
	int plain = ipct_cl_hello(0, 1, NULL);
	struct lf_frame *f = ipct_frame(0);

	memset(bmp, 0xab, sizeof(bmp));
	f->flags |= LF_FRAME_FLAG_CURSOR | LF_FRAME_FLAG_CURSOR_BITMAP;
	f->cursor = (struct lf_cursor){ .present = true, .visible = true, .bitmap_changed = true,
					.x = 5, .y = 6, .width = 2, .height = 2, .bitmap = bmp };
	lf_server_publish(ipct_srv, f);
	ipct_pump();
	memset(bmp, 0, sizeof(bmp)); /* capture's memory is only borrowed */
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert(m.u.frame.flags & LF_FRAME_F_CURSOR_BITMAP);
	ck_assert_int_eq(m.u.frame.cursor_x, 5);
	ck_assert_uint_eq(m.u.frame.cursor_width, 2);
	ck_assert_uint_eq(m.cursor[0], 0xab);
	ipct_cl_release(c, &m.u.frame);
	ck_assert_int_eq(ipct_cl_recv_nofd(plain, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv_nofd(plain, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.flags & LF_FRAME_F_CURSOR_BITMAP, 0);
	ck_assert(m.u.frame.flags & LF_FRAME_F_CURSOR);
	ipct_cl_release(plain, &m.u.frame);
	/* position-only update: no bitmap again */
	f = ipct_frame(1);
	f->flags |= LF_FRAME_FLAG_CURSOR;
	f->cursor.x = 7;
	lf_server_publish(ipct_srv, f);
	ipct_pump();
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.flags & LF_FRAME_F_CURSOR_BITMAP, 0);
	ck_assert_int_eq(m.u.frame.cursor_x, 7);
	close(c);
	close(plain);
	ipct_pump();
}
END_TEST

/* PipeWire removed a buffer (capture set its fds to -1) while the latest
 * ipct_frame still refers to it: a new client is not failed, it gets the next
 * ipct_frame; a client that already knows the buffer is unaffected. */
START_TEST(removed_buffer_is_skipped)
{
	struct lf_proto_msg m;
	int first, c, saved;

	ipct_bufs[1].type = LF_BUFFER_DMABUF; /* no read-only copy: its own fd is needed */
	first = ipct_cl_hello(0, 1, NULL);
	ipct_publish(1); /* announced to the first client: the server caches it */
	ck_assert_int_eq(ipct_cl_recv_nofd(first, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv_nofd(first, &m), LF_MSG_FRAME);
	ipct_cl_release(first, &m.u.frame);
	saved = ipct_bufs[1].planes[0].fd;
	ipct_bufs[1].planes[0].fd = -1;
	c = ipct_cl_hello(0, 1, NULL);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), 0);
	ck_assert_uint_eq(lf_server_client_count(ipct_srv), 2);
	ipct_publish(0);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.buffer_id, 10);
	ipct_bufs[1].planes[0].fd = saved;
	ipct_bufs[1].type = LF_BUFFER_MEMFD;
	close(c);
	close(first);
	ipct_pump();
}
END_TEST

START_TEST(bye_on_destroy)
{
	struct lf_proto_msg m;
	int c = ipct_cl_hello(0, 1, NULL);

	ipct_publish(0);
	lf_server_destroy(ipct_srv);
	ipct_srv = NULL;
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_BYE);
	ck_assert_uint_eq(m.u.bye.reason, LF_BYE_SHUTDOWN);
	close(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipc-server");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, ipct_setup, ipct_teardown);
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
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
