/* SPDX-License-Identifier: MIT */
/* ipc/proto-parse.c: every rule of docs/protocol.md §6. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/proto-parse.h"

static struct lf_proto_msg m;

#define HDR(t, len) { .type = (t), .flags = 0, .length = (len) }

static int parse_d(const void *p, size_t len, unsigned n_fds)
{
	return lf_proto_parse(p, len, n_fds, LF_PROTO_TO_DAEMON, &m);
}

static int parse_c(const void *p, size_t len, unsigned n_fds)
{
	return lf_proto_parse(p, len, n_fds, LF_PROTO_TO_CLIENT, &m);
}

START_TEST(hello_valid)
{
	struct lf_msg_hello h = { .hdr = HDR(LF_MSG_HELLO, sizeof(h)), .version = 1, .caps = 5,
				  .max_held = 2 };

	strcpy(h.name, "test");
	ck_assert_int_eq(parse_d(&h, sizeof(h), 0), 0);
	ck_assert_uint_eq(m.hdr.type, LF_MSG_HELLO);
	ck_assert_uint_eq(m.u.hello.caps, 5);
	ck_assert_uint_eq(m.u.hello.max_held, 2);
	ck_assert_str_eq(m.u.hello.name, "test");
}
END_TEST

START_TEST(hello_bad)
{
	struct lf_msg_hello h = { .hdr = HDR(LF_MSG_HELLO, sizeof(h)), .version = 1 };

	/* wrong direction */
	ck_assert_int_eq(parse_c(&h, sizeof(h), 0), -EPROTO);
	/* truncated packet, length still claims the full size */
	ck_assert_int_eq(parse_d(&h, 20, 0), -EBADMSG);
	/* length says what it is but is not the HELLO size */
	h.hdr.length = 20;
	ck_assert_int_eq(parse_d(&h, 20, 0), -EBADMSG);
	h.hdr.length = sizeof(h);
	/* fds on a message that carries none */
	ck_assert_int_eq(parse_d(&h, sizeof(h), 1), -EBADMSG);
	/* name without NUL */
	memset(h.name, 'x', sizeof(h.name));
	ck_assert_int_eq(parse_d(&h, sizeof(h), 0), -EBADMSG);
}
END_TEST

START_TEST(header_rules)
{
	uint8_t buf[64] = { 0 };
	struct lf_msg_hdr h = HDR(LF_MSG_PING, 16);

	ck_assert_int_eq(parse_d(buf, 0, 0), -EBADMSG);
	ck_assert_int_eq(parse_d(buf, 7, 0), -EBADMSG);
	ck_assert_int_eq(parse_d(NULL, 16, 0), -EBADMSG);
	ck_assert_int_eq(parse_d(buf, LF_PROTO_MAX_MSG + 1, 0), -EMSGSIZE);
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(parse_d(buf, 16, 0), 0);
	ck_assert_int_eq(parse_d(buf, 17, 0), -EBADMSG); /* length != packet */
	ck_assert_int_eq(parse_d(buf, 16, LF_PROTO_MAX_FDS + 1), -EBADMSG);
	/* type 0 and far out of range are unknown */
	h.type = 0;
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(parse_d(buf, 16, 0), -EPROTO);
	h.type = 0xffff;
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(parse_d(buf, 16, 0), -EPROTO);
}
END_TEST

START_TEST(unknown_ignorable)
{
	struct lf_msg_hdr h = { .type = 200, .flags = LF_MSG_FLAG_IGNORABLE, .length = 8 };

	ck_assert_int_eq(parse_d(&h, 8, 0), LF_PROTO_IGNORE);
	ck_assert_int_eq(parse_d(&h, 8, 3), LF_PROTO_IGNORE); /* caller closes the fds */
	ck_assert_int_eq(parse_c(&h, 8, 0), LF_PROTO_IGNORE);
	h.flags = 0;
	ck_assert_int_eq(parse_d(&h, 8, 0), -EPROTO);
	/* IGNORABLE on a known type changes nothing: still validated */
	h.type = LF_MSG_PING;
	h.flags = LF_MSG_FLAG_IGNORABLE;
	ck_assert_int_eq(parse_d(&h, 8, 0), -EBADMSG);
}
END_TEST

START_TEST(direction_table)
{
	static const struct { uint16_t type; int to_d, to_c; } t[] = {
		{ LF_MSG_HELLO, 1, 0 }, { LF_MSG_WELCOME, 0, 1 }, { LF_MSG_FORMAT, 0, 1 },
		{ LF_MSG_ADD_BUFFER, 0, 1 }, { LF_MSG_REMOVE_BUFFER, 0, 1 }, { LF_MSG_FRAME, 0, 1 },
		{ LF_MSG_RELEASE, 1, 0 }, { LF_MSG_PING, 1, 1 }, { LF_MSG_PONG, 1, 1 },
		{ LF_MSG_BYE, 1, 1 }, { LF_MSG_IMPORT_FAILED, 1, 0 }, { LF_MSG_STATS_REQUEST, 1, 0 },
		{ LF_MSG_STATS, 0, 1 },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t sz = lf_proto_fixed_size(t[i].type);
		uint8_t *buf;

		if (!sz)
			continue; /* variable types have their own tests */
		buf = calloc(1, sz);
		struct lf_msg_hdr h = HDR(t[i].type, (uint32_t)sz);
		memcpy(buf, &h, sizeof(h));
		if (t[i].type == LF_MSG_ADD_BUFFER) {
			struct lf_msg_add_buffer *a = (void *)buf;
			a->n_planes = 1;
			a->buffer_type = LF_WIRE_BUFFER_MEMFD;
		}
		unsigned fds = t[i].type == LF_MSG_ADD_BUFFER ? 1 : 0;
		ck_assert_int_eq(parse_d(buf, sz, fds), t[i].to_d ? 0 : -EPROTO);
		ck_assert_int_eq(parse_c(buf, sz, fds), t[i].to_c ? 0 : -EPROTO);
		/* one byte more or less is malformed */
		h.length = (uint32_t)sz + 1;
		uint8_t *big = calloc(1, sz + 1);
		memcpy(big, buf, sz);
		memcpy(big, &h, sizeof(h));
		ck_assert_int_eq(lf_proto_parse(big, sz + 1, fds, t[i].to_d ? LF_PROTO_TO_DAEMON : LF_PROTO_TO_CLIENT, &m), -EBADMSG);
		free(big);
		free(buf);
	}
}
END_TEST

START_TEST(error_text)
{
	struct {
		struct lf_msg_error e;
		char text[300];
	} x = { 0 };

	x.e.hdr = (struct lf_msg_hdr)HDR(LF_MSG_ERROR, sizeof(x.e) + 4);
	x.e.code = EACCES;
	memcpy(x.text, "no!", 4);
	ck_assert_int_eq(parse_c(&x, sizeof(x.e) + 4, 0), 0);
	ck_assert_str_eq(m.error_text, "no!");
	ck_assert_uint_eq(m.u.error.code, EACCES);
	ck_assert_int_eq(parse_d(&x, sizeof(x.e) + 4, 0), 0);
	/* no NUL at the end */
	x.text[3] = 'x';
	ck_assert_int_eq(parse_c(&x, sizeof(x.e) + 4, 0), -EBADMSG);
	/* empty text (no NUL at all) */
	x.e.hdr.length = sizeof(x.e);
	ck_assert_int_eq(parse_c(&x, sizeof(x.e), 0), -EBADMSG);
	/* longest allowed and one more */
	memset(x.text, 'a', sizeof(x.text));
	x.text[LF_PROTO_MAX_ERROR_TEXT - 1] = 0;
	x.e.hdr.length = sizeof(x.e) + LF_PROTO_MAX_ERROR_TEXT;
	ck_assert_int_eq(parse_c(&x, x.e.hdr.length, 0), 0);
	x.text[LF_PROTO_MAX_ERROR_TEXT - 1] = 'a';
	x.text[LF_PROTO_MAX_ERROR_TEXT] = 0;
	x.e.hdr.length = sizeof(x.e) + LF_PROTO_MAX_ERROR_TEXT + 1;
	ck_assert_int_eq(parse_c(&x, x.e.hdr.length, 0), -EBADMSG);
	/* fds */
	x.e.hdr.length = sizeof(x.e) + 4;
	memcpy(x.text, "no!", 4);
	ck_assert_int_eq(parse_c(&x, sizeof(x.e) + 4, 1), -EBADMSG);
}
END_TEST

static uint8_t frame_buf[LF_PROTO_MAX_MSG];

static size_t make_frame(uint32_t flags, uint32_t n_damage, uint32_t cw, uint32_t ch, uint32_t n_fences)
{
	struct lf_msg_frame f = { 0 };
	size_t len = sizeof(f) + n_damage * sizeof(struct lf_wire_rect);

	if (flags & LF_FRAME_F_CURSOR_BITMAP)
		len += (size_t)cw * ch * 4;
	f.hdr = (struct lf_msg_hdr)HDR(LF_MSG_FRAME, (uint32_t)len);
	f.flags = flags;
	f.n_damage = n_damage;
	f.cursor_width = cw;
	f.cursor_height = ch;
	f.n_fences = n_fences;
	f.seq = 77;
	memset(frame_buf, 0, sizeof(frame_buf));
	memcpy(frame_buf, &f, sizeof(f));
	for (uint32_t i = 0; i < n_damage; i++) {
		struct lf_wire_rect r = { (int32_t)i, 2, 3, 4 };
		memcpy(frame_buf + sizeof(f) + i * sizeof(r), &r, sizeof(r));
	}
	return len;
}

START_TEST(status_text)
{
	struct {
		struct lf_msg_status st;
		char text[300];
	} x = { 0 };

	x.st.hdr = (struct lf_msg_hdr)HDR(LF_MSG_STATUS, sizeof(x.st) + 4);
	x.st.hdr.flags = LF_MSG_FLAG_IGNORABLE;
	memcpy(x.text, "hi!", 4);
	ck_assert_int_eq(parse_c(&x, sizeof(x.st) + 4, 0), 0);
	ck_assert_str_eq(m.status_text, "hi!");
	/* daemon to client only */
	ck_assert_int_eq(parse_d(&x, sizeof(x.st) + 4, 0), -EPROTO);
	/* no NUL, no text, too long, fds */
	x.text[3] = 'x';
	ck_assert_int_eq(parse_c(&x, sizeof(x.st) + 4, 0), -EBADMSG);
	x.st.hdr.length = sizeof(x.st);
	ck_assert_int_eq(parse_c(&x, sizeof(x.st), 0), -EBADMSG);
	memset(x.text, 'a', sizeof(x.text));
	x.text[LF_PROTO_MAX_STATUS_TEXT - 1] = 0;
	x.st.hdr.length = sizeof(x.st) + LF_PROTO_MAX_STATUS_TEXT;
	ck_assert_int_eq(parse_c(&x, x.st.hdr.length, 0), 0);
	x.text[LF_PROTO_MAX_STATUS_TEXT - 1] = 'a';
	x.text[LF_PROTO_MAX_STATUS_TEXT] = 0;
	x.st.hdr.length = sizeof(x.st) + LF_PROTO_MAX_STATUS_TEXT + 1;
	ck_assert_int_eq(parse_c(&x, x.st.hdr.length, 0), -EBADMSG);
	x.st.hdr.length = sizeof(x.st) + 4;
	memcpy(x.text, "hi!", 4);
	ck_assert_int_eq(parse_c(&x, sizeof(x.st) + 4, 1), -EBADMSG);
}
END_TEST

START_TEST(frame_variants)
{
	size_t len;
	struct lf_wire_rect r;

	len = make_frame(0, 0, 0, 0, 0);
	ck_assert_int_eq(parse_c(frame_buf, len, 0), 0);
	ck_assert_uint_eq(m.u.frame.seq, 77);
	ck_assert_int_eq(parse_d(frame_buf, len, 0), -EPROTO);

	len = make_frame(LF_FRAME_F_DAMAGE, 3, 0, 0, 0);
	ck_assert_int_eq(parse_c(frame_buf, len, 0), 0);
	memcpy(&r, m.damage + 2 * sizeof(r), sizeof(r));
	ck_assert_int_eq(r.x, 2);
	ck_assert_int_eq(parse_c(frame_buf, len - 1, 0), -EBADMSG);

	len = make_frame(LF_FRAME_F_DAMAGE, LF_PROTO_MAX_DAMAGE + 1, 0, 0, 0);
	ck_assert_int_eq(parse_c(frame_buf, len, 0), -EBADMSG);

	len = make_frame(LF_FRAME_F_CURSOR_BITMAP, 1, 64, 32, 0);
	ck_assert_int_eq(parse_c(frame_buf, len, 0), 0);
	ck_assert_ptr_eq(m.cursor, frame_buf + sizeof(struct lf_msg_frame) + 16);
	len = make_frame(LF_FRAME_F_CURSOR_BITMAP, 0, 128, 128, 0);
	ck_assert_int_eq(parse_c(frame_buf, len, 0), 0);
	len = make_frame(LF_FRAME_F_CURSOR_BITMAP, 0, 129, 1, 0);
	ck_assert_int_eq(parse_c(frame_buf, len, 0), -EBADMSG);
	/* size fields without the flag carry no bytes */
	len = make_frame(0, 0, 64, 64, 0);
	ck_assert_int_eq(parse_c(frame_buf, len, 0), 0);
	ck_assert_ptr_null(m.cursor);

	len = make_frame(LF_FRAME_F_FENCE_PENDING, 0, 0, 0, 2);
	ck_assert_int_eq(parse_c(frame_buf, len, 2), 0);
	ck_assert_uint_eq(m.n_fds, 2);
	ck_assert_int_eq(parse_c(frame_buf, len, 1), -EBADMSG);
	ck_assert_int_eq(parse_c(frame_buf, len, 0), -EBADMSG);
	len = make_frame(LF_FRAME_F_FENCE_PENDING, 0, 0, 0, 0);
	ck_assert_int_eq(parse_c(frame_buf, len, 0), -EBADMSG);
	len = make_frame(LF_FRAME_F_FENCE_PENDING, 0, 0, 0, 5);
	ck_assert_int_eq(parse_c(frame_buf, len, 5), -EBADMSG);
	/* fences without the flag */
	len = make_frame(0, 0, 0, 0, 1);
	ck_assert_int_eq(parse_c(frame_buf, len, 1), -EBADMSG);
	len = make_frame(0, 0, 0, 0, 0);
	ck_assert_int_eq(parse_c(frame_buf, len, 1), -EBADMSG);
	/* shorter than the fixed part */
	ck_assert_int_eq(parse_c(frame_buf, sizeof(struct lf_msg_frame) - 8, 0), -EBADMSG);
}
END_TEST

START_TEST(add_buffer_rules)
{
	struct lf_msg_add_buffer a = { .hdr = HDR(LF_MSG_ADD_BUFFER, sizeof(a)), .generation = 1,
				       .buffer_id = 3, .buffer_type = LF_WIRE_BUFFER_DMABUF,
				       .n_planes = 2 };

	ck_assert_int_eq(parse_c(&a, sizeof(a), 2), 0);
	ck_assert_int_eq(parse_c(&a, sizeof(a), 1), -EBADMSG);
	ck_assert_int_eq(parse_c(&a, sizeof(a), 3), -EBADMSG);
	a.n_planes = 0;
	ck_assert_int_eq(parse_c(&a, sizeof(a), 0), -EBADMSG);
	a.n_planes = 5;
	ck_assert_int_eq(parse_c(&a, sizeof(a), 4), -EBADMSG);
	a.n_planes = 1;
	a.buffer_type = LF_WIRE_BUFFER_NONE;
	ck_assert_int_eq(parse_c(&a, sizeof(a), 1), -EBADMSG);
	a.buffer_type = 7;
	ck_assert_int_eq(parse_c(&a, sizeof(a), 1), -EBADMSG);
}
END_TEST

START_TEST(format_and_welcome_rules)
{
	struct lf_msg_format f = { .hdr = HDR(LF_MSG_FORMAT, sizeof(f)), .n_planes = 4 };
	struct lf_msg_welcome w = { .hdr = HDR(LF_MSG_WELCOME, sizeof(w)), .version = 1 };

	ck_assert_int_eq(parse_c(&f, sizeof(f), 0), 0);
	f.n_planes = 5;
	ck_assert_int_eq(parse_c(&f, sizeof(f), 0), -EBADMSG);
	ck_assert_int_eq(parse_c(&w, sizeof(w), 0), 0);
	memset(w.daemon_version, 'v', sizeof(w.daemon_version));
	ck_assert_int_eq(parse_c(&w, sizeof(w), 0), -EBADMSG);
}
END_TEST

START_TEST(unaligned_input)
{
	/* The parser copies fixed parts: any alignment of the packet works. */
	uint8_t raw[sizeof(struct lf_msg_release) + 1];
	struct lf_msg_release r = { .hdr = HDR(LF_MSG_RELEASE, sizeof(r)), .generation = 4,
				    .buffer_id = 9, .seq = 1234567890123ull };

	memcpy(raw + 1, &r, sizeof(r));
	ck_assert_int_eq(parse_d(raw + 1, sizeof(r), 0), 0);
	ck_assert_uint_eq(m.u.release.seq, 1234567890123ull);
	ck_assert_uint_eq(m.u.release.buffer_id, 9);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(lf_proto_type_name(LF_MSG_FRAME), "FRAME");
	ck_assert_str_eq(lf_proto_type_name(0), "unknown");
	ck_assert_str_eq(lf_proto_type_name(999), "unknown");
	ck_assert_uint_eq(lf_proto_fixed_size(LF_MSG_STATS_REQUEST), sizeof(struct lf_msg_hdr));
	ck_assert_uint_eq(lf_proto_fixed_size(LF_MSG_FRAME), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipc-proto");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, hello_valid);
	tcase_add_test(tc, hello_bad);
	tcase_add_test(tc, header_rules);
	tcase_add_test(tc, unknown_ignorable);
	tcase_add_test(tc, direction_table);
	tcase_add_test(tc, error_text);
	tcase_add_test(tc, status_text);
	tcase_add_test(tc, frame_variants);
	tcase_add_test(tc, add_buffer_rules);
	tcase_add_test(tc, format_and_welcome_rules);
	tcase_add_test(tc, unaligned_input);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
