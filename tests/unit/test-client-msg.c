/* SPDX-License-Identifier: MIT */
/* liblastframe's packet building and checking (client/lib/msg.c). */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "client/lib/client.h"

START_TEST(test_build_sizes)
{
	struct lf_msg_hello h;
	struct lf_msg_release r;
	struct lf_msg_ping p;
	struct lf_msg_bye b;
	struct lf_msg_import_failed i;

	/* docs/protocol.md §3 sizes. */
	lf_client_build_hello(&h, "a-very-long-program-name-longer-than-32-bytes", 5, 2);
	ck_assert_uint_eq(h.hdr.type, LF_MSG_HELLO);
	ck_assert_uint_eq(h.hdr.length, 56);
	ck_assert_uint_eq(h.hdr.flags, 0);
	ck_assert_uint_eq(h.version, LF_PROTO_VERSION);
	ck_assert_uint_eq(h.caps, 5);
	ck_assert_uint_eq(h.max_held, 2);
	ck_assert_uint_eq(h.reserved, 0);
	ck_assert_uint_eq(h.name[31], '\0');
	ck_assert_int_eq(strncmp(h.name, "a-very-long-program-name-longer", 31), 0);
	lf_client_build_hello(&h, NULL, 0, 1);
	ck_assert_str_eq(h.name, "");

	lf_client_build_release(&r, 3, 4, 5);
	ck_assert_uint_eq(r.hdr.type, LF_MSG_RELEASE);
	ck_assert_uint_eq(r.hdr.length, 24);
	ck_assert_uint_eq(r.generation, 3);
	ck_assert_uint_eq(r.buffer_id, 4);
	ck_assert_uint_eq(r.seq, 5);

	lf_client_build_ping(&p, LF_MSG_PONG, 0x1122334455667788ull);
	ck_assert_uint_eq(p.hdr.type, LF_MSG_PONG);
	ck_assert_uint_eq(p.hdr.length, 16);
	ck_assert_uint_eq(p.cookie, 0x1122334455667788ull);

	lf_client_build_bye(&b, LF_BYE_CLIENT);
	ck_assert_uint_eq(b.hdr.length, 16);
	ck_assert_uint_eq(b.reason, LF_BYE_CLIENT);

	lf_client_build_import_failed(&i, 7, 0x34325258, 0x0100000000000002ull);
	ck_assert_uint_eq(i.hdr.type, LF_MSG_IMPORT_FAILED);
	ck_assert_uint_eq(i.hdr.length, 24);
	ck_assert_uint_eq(i.generation, 7);
	ck_assert_uint_eq(i.drm_format, 0x34325258);
	ck_assert_uint_eq(i.modifier, 0x0100000000000002ull);
}
END_TEST

static void set_hdr(void *buf, uint16_t type, uint16_t flags, uint32_t len)
{
	struct lf_msg_hdr h = { type, flags, len };
	memcpy(buf, &h, sizeof(h));
}

START_TEST(test_check_basic)
{
	uint8_t buf[512] = { 0 };

	ck_assert_int_eq(lf_client_check_msg(buf, 4, 0), -EPROTO);          /* short */
	set_hdr(buf, LF_MSG_PING, 0, 16);
	ck_assert_int_eq(lf_client_check_msg(buf, 16, 0), 0);
	ck_assert_int_eq(lf_client_check_msg(buf, 24, 0), -EPROTO);         /* length != packet */
	ck_assert_int_eq(lf_client_check_msg(buf, 16, 1), -EPROTO);         /* unexpected fd */
	set_hdr(buf, LF_MSG_PING, 0, 8);
	ck_assert_int_eq(lf_client_check_msg(buf, 8, 0), -EPROTO);          /* too short for PING */
	set_hdr(buf, 200, LF_MSG_FLAG_IGNORABLE, 40);
	ck_assert_int_eq(lf_client_check_msg(buf, 40, 0), 1);               /* unknown, ignorable */
	set_hdr(buf, 200, 0, 40);
	ck_assert_int_eq(lf_client_check_msg(buf, 40, 0), -EPROTO);         /* unknown, mandatory */
	set_hdr(buf, LF_MSG_HELLO, 0, 56);
	ck_assert_int_eq(lf_client_check_msg(buf, 56, 0), -EPROTO);         /* wrong direction */
	set_hdr(buf, LF_MSG_HELLO, LF_MSG_FLAG_IGNORABLE, 56);
	ck_assert_int_eq(lf_client_check_msg(buf, 56, 0), -EPROTO);         /* known: flag ignored */
	set_hdr(buf, 201, LF_MSG_FLAG_IGNORABLE, 16);
	ck_assert_int_eq(lf_client_check_msg(buf, 16, 2), 1);               /* its fds get closed */
	set_hdr(buf, LF_MSG_WELCOME, 0, 72);
	ck_assert_int_eq(lf_client_check_msg(buf, 72, 0), -EPROTO);         /* sizes are exact */
	set_hdr(buf, LF_MSG_WELCOME, 0, 64);
	ck_assert_int_eq(lf_client_check_msg(buf, 64, 0), 0);
	set_hdr(buf, LF_MSG_STATS, 0, sizeof(struct lf_msg_stats));
	ck_assert_int_eq(lf_client_check_msg(buf, sizeof(struct lf_msg_stats), 0), 0);
	set_hdr(buf, LF_MSG_STATS, 0, 100);
	ck_assert_int_eq(lf_client_check_msg(buf, 100, 0), -EPROTO);
	/* A daemon without LF_CAP_STATS_EXT (or an older one) sends the old size. */
	set_hdr(buf, LF_MSG_STATS, 0, LF_MSG_STATS_V1_SIZE);
	ck_assert_int_eq(lf_client_check_msg(buf, LF_MSG_STATS_V1_SIZE, 0), 0);
	set_hdr(buf, LF_MSG_STATS, 0, LF_MSG_STATS_V1_SIZE + 8);
	ck_assert_int_eq(lf_client_check_msg(buf, LF_MSG_STATS_V1_SIZE + 8, 0), -EPROTO);
	set_hdr(buf, LF_MSG_REMOVE_BUFFER, 0, 16);
	ck_assert_int_eq(lf_client_check_msg(buf, 16, 0), 0);
	set_hdr(buf, LF_MSG_BYE, 0, 16);
	ck_assert_int_eq(lf_client_check_msg(buf, 16, 0), 0);
}
END_TEST

START_TEST(test_check_format)
{
	struct lf_msg_format f = { 0 };

	set_hdr(&f, LF_MSG_FORMAT, 0, sizeof(f));
	ck_assert_uint_eq(sizeof(f), 64);
	f.n_planes = 4;
	ck_assert_int_eq(lf_client_check_msg(&f, sizeof(f), 0), 0);
	f.n_planes = 5;
	ck_assert_int_eq(lf_client_check_msg(&f, sizeof(f), 0), -EPROTO);
}
END_TEST

START_TEST(test_check_add_buffer)
{
	struct lf_msg_add_buffer a = { 0 };

	set_hdr(&a, LF_MSG_ADD_BUFFER, 0, sizeof(a));
	ck_assert_uint_eq(sizeof(a), 88);
	a.buffer_type = LF_WIRE_BUFFER_MEMFD;
	a.n_planes = 2;
	a.planes[0].size = a.planes[1].size = 100;
	ck_assert_int_eq(lf_client_check_msg(&a, sizeof(a), 2), 0);
	ck_assert_int_eq(lf_client_check_msg(&a, sizeof(a), 1), -EPROTO); /* fds != planes */
	ck_assert_int_eq(lf_client_check_msg(&a, sizeof(a), 0), -EPROTO);
	a.n_planes = 0;
	ck_assert_int_eq(lf_client_check_msg(&a, sizeof(a), 0), -EPROTO);
	a.n_planes = 5;
	ck_assert_int_eq(lf_client_check_msg(&a, sizeof(a), 4), -EPROTO);
	a.n_planes = 1;
	a.buffer_type = LF_WIRE_BUFFER_NONE;
	ck_assert_int_eq(lf_client_check_msg(&a, sizeof(a), 1), -EPROTO);
	a.buffer_type = LF_WIRE_BUFFER_DMABUF;
	ck_assert_int_eq(lf_client_check_msg(&a, sizeof(a), 1), 0);
	a.planes[0].size = 0;
	ck_assert_int_eq(lf_client_check_msg(&a, sizeof(a), 1), -EPROTO);
}
END_TEST

START_TEST(test_check_frame)
{
	uint8_t buf[sizeof(struct lf_msg_frame) + 16 * 16 + 4 * 4 * 4] = { 0 };
	struct lf_msg_frame *f = (void *)buf;
	size_t base = sizeof(*f);

	ck_assert_uint_eq(base, 104);
	set_hdr(buf, LF_MSG_FRAME, 0, base);
	ck_assert_int_eq(lf_client_check_msg(buf, base, 0), 0);
	f->n_damage = 2;
	ck_assert_int_eq(lf_client_check_msg(buf, base, 0), -EPROTO); /* damage missing */
	set_hdr(buf, LF_MSG_FRAME, 0, base + 32);
	ck_assert_int_eq(lf_client_check_msg(buf, base + 32, 0), 0);
	set_hdr(buf, LF_MSG_FRAME, 0, base + 40);
	ck_assert_int_eq(lf_client_check_msg(buf, base + 40, 0), -EPROTO); /* trailing junk */
	f->n_damage = 17;
	set_hdr(buf, LF_MSG_FRAME, 0, sizeof(buf));
	ck_assert_int_eq(lf_client_check_msg(buf, sizeof(buf), 0), -EPROTO);
	f->n_damage = 16;
	f->flags = LF_FRAME_F_CURSOR_BITMAP;
	f->cursor_width = f->cursor_height = 4;
	ck_assert_int_eq(lf_client_check_msg(buf, sizeof(buf), 0), 0);
	f->cursor_width = 5;
	ck_assert_int_eq(lf_client_check_msg(buf, sizeof(buf), 0), -EPROTO); /* bitmap cut */
	f->cursor_width = 129;
	f->cursor_height = 0;
	ck_assert_int_eq(lf_client_check_msg(buf, sizeof(buf), 0), -EPROTO); /* too wide */
	f->cursor_width = 4;
	f->cursor_height = 4;
	/* Fences: fds only with FENCE_PENDING, one per fence. */
	f->flags |= LF_FRAME_F_FENCE_PENDING;
	f->n_fences = 2;
	ck_assert_int_eq(lf_client_check_msg(buf, sizeof(buf), 2), 0);
	ck_assert_int_eq(lf_client_check_msg(buf, sizeof(buf), 1), -EPROTO);
	f->flags &= ~LF_FRAME_F_FENCE_PENDING;
	ck_assert_int_eq(lf_client_check_msg(buf, sizeof(buf), 2), -EPROTO);
	f->n_fences = 5;
	ck_assert_int_eq(lf_client_check_msg(buf, sizeof(buf), 0), -EPROTO);
}
END_TEST

START_TEST(test_error_text)
{
	uint8_t buf[64] = { 0 };
	struct lf_msg_error *e = (void *)buf;

	set_hdr(buf, LF_MSG_ERROR, 0, 16 + 6);
	e->code = EBUSY;
	memcpy(e->text, "busy!", 6);
	ck_assert_int_eq(lf_client_check_msg(buf, 22, 0), 0);
	ck_assert_str_eq(lf_client_error_text(buf, 22), "busy!");
	memcpy(e->text, "busy!!", 6); /* no NUL inside the packet */
	ck_assert_int_eq(lf_client_check_msg(buf, 22, 0), -EPROTO);
	ck_assert_str_eq(lf_client_error_text(buf, 22), "");
	set_hdr(buf, LF_MSG_ERROR, 0, 16);
	ck_assert_int_eq(lf_client_check_msg(buf, 16, 0), -EPROTO);         /* no text at all */
	ck_assert_str_eq(lf_client_error_text(buf, 16), "");
}
END_TEST

START_TEST(test_strerror)
{
	ck_assert_str_eq(lastframe_strerror(-EPIPE), "lastframed closed the connection");
	ck_assert_str_eq(lastframe_strerror(EPIPE), "lastframed closed the connection");
	ck_assert_str_eq(lastframe_strerror(-ENOENT), "lastframed is not running (no socket)");
	ck_assert_str_eq(lastframe_strerror(-ENOMEM), "Cannot allocate memory");
	ck_assert_str_eq(lastframe_strerror(-99999), "unknown error");
	ck_assert_str_eq(lastframe_strerror(0), "success");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("client-msg");
	TCase *tc = tcase_create("msg");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_build_sizes);
	tcase_add_test(tc, test_check_basic);
	tcase_add_test(tc, test_check_format);
	tcase_add_test(tc, test_check_add_buffer);
	tcase_add_test(tc, test_check_frame);
	tcase_add_test(tc, test_error_text);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
