/* SPDX-License-Identifier: MIT */
/*
 * Lazy reads (ipc/server-lazy.c, fixture: ipc-server-fixture.c): a client
 * holding the newest frame while frames flow is read right before the next
 * publish instead of when its RELEASE arrives. What clients must not notice:
 * a skipped client still gets the newest frame at its RELEASE, requests are
 * answered within LF_SRV_LAZY_IDLE_MS, an unread RELEASE never times out, a
 * dead client is noticed at once.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ipc/server-priv.h"
#include "tests/unit/ipc-server-fixture.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Turn the loop (with timers) until fd has a message or max_ms passed;
 * returns the message type, 0 when none came. */
static int wait_msg(int fd, struct lf_proto_msg *m, unsigned max_ms)
{
	uint64_t end = now_ms() + max_ms;
	int t;

	pw_loop_enter(ipct_loop);
	while (!(t = ipct_cl_recv_nofd(fd, m)) && now_ms() < end)
		pw_loop_iterate(ipct_loop, 5);
	pw_loop_leave(ipct_loop);
	return t;
}

static void send_ping(int fd, uint64_t cookie)
{
	struct lf_msg_ping p = { .hdr = { LF_MSG_PING, 0, sizeof(p) }, .cookie = cookie };

	ipct_cl_send(fd, &p, sizeof(p));
}

/* Publish on buffer b and read the client's FRAME (after its ADD_BUFFER). */
static void publish_and_get(int c, int b, struct lf_proto_msg *m)
{
	ipct_publish(b);
	if (ipct_cl_recv_nofd(c, m) == LF_MSG_ADD_BUFFER)
		ck_assert_int_eq(ipct_cl_recv_nofd(c, m), LF_MSG_FRAME);
	ck_assert_uint_eq(m->hdr.type, LF_MSG_FRAME);
	ck_assert_uint_eq(m->u.frame.buffer_id, 10 + b);
}

START_TEST(release_read_at_next_publish)
{
	struct lf_proto_msg m;
	int c = ipct_cl_hello(0, 1, NULL);

	publish_and_get(c, 0, &m);
	ipct_cl_release(c, &m.u.frame);
	/* unread: the daemon was not woken for it */
	ck_assert_uint_eq(lf_server_leases_held(ipct_srv), 1);
	ck_assert_int_eq(ipct_bufs[0].refs, 2); /* latest + lease */
	publish_and_get(c, 1, &m);
	/* read before the frame was offered: credit back, buffer 0 back to the pool */
	ck_assert_uint_eq(m.u.frame.skipped, 0);
	ck_assert_int_eq(ipct_bufs[0].refs, 0);
	ck_assert_int_eq(ipct_released[0], 1);
	ck_assert_uint_eq(lf_server_leases_held(ipct_srv), 1);
	close(c);
	ipct_pump();
}
END_TEST

START_TEST(skipped_client_woken_by_release)
{
	struct lf_proto_msg m, held;
	int c = ipct_cl_hello(0, 1, NULL);

	publish_and_get(c, 0, &held);
	ipct_publish(1); /* no credit: skipped */
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), 0);
	ipct_cl_release(c, &held.u.frame);
	/* no publish needed: its RELEASE woke the daemon, which sent the newest */
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_FRAME);
	ck_assert_uint_eq(m.u.frame.buffer_id, 11);
	ck_assert_uint_eq(m.u.frame.skipped, 0);
	ck_assert_int_eq(ipct_bufs[0].refs, 0);
	close(c);
	ipct_pump();
}
END_TEST

START_TEST(ping_answered_at_next_publish)
{
	struct lf_proto_msg m;
	int c = ipct_cl_hello(0, 1, NULL);

	publish_and_get(c, 0, &m);
	send_ping(c, 7);
	ipct_publish(1); /* no credit: the PONG is all it gets */
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_PONG);
	ck_assert_uint_eq(m.u.ping.cookie, 7);
	close(c);
	ipct_pump();
}
END_TEST

/* No publish at all: answered within LF_SRV_LAZY_IDLE_MS (the slack is for
 * a loaded machine; this is a bound check, not a timing goal). */
START_TEST(ping_answered_when_frames_stop)
{
	struct lf_proto_msg m;
	int c = ipct_cl_hello(0, 1, NULL);
	uint64_t t0;

	publish_and_get(c, 0, &m);
	t0 = now_ms();
	send_ping(c, 8);
	ck_assert_int_eq(wait_msg(c, &m, 5000), LF_MSG_PONG);
	ck_assert_uint_eq(m.u.ping.cookie, 8);
	ck_assert_uint_lt(now_ms() - t0, LF_SRV_LAZY_IDLE_MS + 500);
	ck_assert_uint_eq(lf_server_client_count(ipct_srv), 1);
	/* awake again: answered at once now */
	send_ping(c, 9);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_PONG);
	close(c);
	ipct_pump();
}
END_TEST

START_TEST(pause_wakes_lazy_clients)
{
	struct lf_proto_msg m;
	int c = ipct_cl_hello(0, 1, NULL);

	publish_and_get(c, 0, &m);
	lf_server_set_format(ipct_srv, NULL, 0, LF_STREAM_PAUSED);
	ipct_pump();
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_FORMAT);
	send_ping(c, 10);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_PONG);
	close(c);
	ipct_pump();
}
END_TEST

START_TEST(unread_release_does_not_time_out)
{
	struct lf_proto_msg m;
	int c;

	lf_server_destroy(ipct_srv);
	ipct_make_server(50); /* shorter than LF_SRV_LAZY_IDLE_MS: the lease timer reads it */
	ipct_set_format(1);
	c = ipct_cl_hello(0, 1, NULL);
	publish_and_get(c, 0, &m);
	ipct_cl_release(c, &m.u.frame);
	ck_assert_uint_eq(lf_server_leases_held(ipct_srv), 1);
	ck_assert_int_eq(wait_msg(c, &m, 300), 0); /* no ERROR(ETIMEDOUT) */
	ck_assert_uint_eq(lf_server_client_count(ipct_srv), 1);
	ck_assert_uint_eq(lf_server_leases_held(ipct_srv), 0);
	close(c);
	ipct_pump();
}
END_TEST

START_TEST(dead_client_noticed_at_once)
{
	struct lf_proto_msg m;
	int c = ipct_cl_hello(0, 1, NULL), other = ipct_cl_hello(0, 1, NULL);

	publish_and_get(c, 0, &m);
	publish_and_get(other, 0, &m); /* same frame, already sent */
	ipct_cl_release(c, &m.u.frame);
	ck_assert_uint_eq(lf_server_leases_held(ipct_srv), 2); /* lazy: unread */
	close(c);
	ipct_pump(); /* no publish, no timer */
	ck_assert_uint_eq(lf_server_client_count(ipct_srv), 1);
	ck_assert_int_eq(ipct_n_clients_event, 1);
	ck_assert_uint_eq(lf_server_leases_held(ipct_srv), 1);
	ck_assert_int_eq(ipct_bufs[0].refs, 2); /* latest + the other's lease */
	close(other);
	ipct_pump();
	ck_assert_uint_eq(lf_server_client_count(ipct_srv), 0);
	ck_assert_int_eq(ipct_bufs[0].refs, 1);
}
END_TEST

/* More than one batch queued while lazy: the rest is read by the loop. */
START_TEST(backlog_over_a_batch)
{
	struct lf_proto_msg m;
	int c = ipct_cl_hello(0, 1, NULL), n = 0;

	publish_and_get(c, 0, &m);
	for (int i = 0; i < LF_SRV_RX_BATCH + 8; i++) {
		struct lf_msg_ping p = { .hdr = { LF_MSG_PING, 0, sizeof(p) }, .cookie = (uint64_t)i };

		ck_assert_int_eq(send(c, &p, sizeof(p), MSG_NOSIGNAL), (ssize_t)sizeof(p));
	}
	ipct_publish(1);
	while (ipct_cl_recv_nofd(c, &m) == LF_MSG_PONG)
		ck_assert_uint_eq(m.u.ping.cookie, (uint64_t)n++);
	ck_assert_int_eq(n, LF_SRV_RX_BATCH + 8);
	close(c);
	ipct_pump();
}
END_TEST

/* An early-fence client released lazily still gets the next frame early. */
START_TEST(early_client_drained_before_early_publish)
{
	struct lf_proto_msg m;
	int fds[4];
	unsigned n;
	int c = ipct_cl_hello(LF_CAP_EARLY_FENCES, 1, NULL);
	struct lf_frame *f;

	publish_and_get(c, 0, &m);
	ipct_cl_release(c, &m.u.frame);
	f = ipct_frame(1);
	f->fences[0] = eventfd(0, EFD_CLOEXEC);
	f->n_fences = 1;
	f->flags |= LF_FRAME_FLAG_FENCE_PENDING;
	lf_server_publish_early(ipct_srv, f);
	ipct_pump();
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), LF_MSG_ADD_BUFFER);
	ck_assert_int_eq(ipct_cl_recv(c, &m, fds, &n), LF_MSG_FRAME);
	ck_assert_uint_eq(n, 1);
	ck_assert(m.u.frame.flags & LF_FRAME_F_FENCE_PENDING);
	close(fds[0]);
	close(f->fences[0]);
	f->fences[0] = -1;
	f->n_fences = 0;
	f->flags &= ~LF_FRAME_FLAG_FENCE_PENDING;
	lf_server_publish(ipct_srv, f);
	ipct_pump();
	ck_assert_int_eq(ipct_cl_recv_nofd(c, &m), 0); /* not twice */
	close(c);
	ipct_pump();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipc-lazy");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, ipct_setup, ipct_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, release_read_at_next_publish);
	tcase_add_test(tc, skipped_client_woken_by_release);
	tcase_add_test(tc, ping_answered_at_next_publish);
	tcase_add_test(tc, ping_answered_when_frames_stop);
	tcase_add_test(tc, pause_wakes_lazy_clients);
	tcase_add_test(tc, unread_release_does_not_time_out);
	tcase_add_test(tc, dead_client_noticed_at_once);
	tcase_add_test(tc, backlog_over_a_batch);
	tcase_add_test(tc, early_client_drained_before_early_publish);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
