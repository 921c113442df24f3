/* SPDX-License-Identifier: MIT */
/*
 * liblastframe against garbage: thousands of valid message sequences with one
 * message mutated (bytes flipped, cut short, grown, wrong fd count) go
 * through the real receive path. Whatever the library makes of them, it must
 * not crash, read out of bounds (run it under `make check SAN=1` or
 * valgrind), leak memory or fds, or hand out a frame it cannot map safely.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/lib/client.h"
#include "tests/unit/unit-util.h"

static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* A connection object on one end of a socketpair, as after the handshake. */
static struct lastframe *fake_connection(int *peer)
{
	int sv[2];
	struct lastframe *lf = calloc(1, sizeof(*lf));

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	lf->fd = sv[0];
	lf->rx = malloc(LF_PROTO_MAX_MSG);
	lf->version = 1;
	lf->max_held = 3;
	*peer = sv[1];
	return lf;
}

static void send_pkt(int fd, const void *msg, size_t len, const int *fds, unsigned n_fds)
{
	ck_assert_int_eq(tu_send_fds(fd, msg, len, fds, n_fds), (ssize_t)len);
}

struct pkt {
	uint8_t buf[1024];
	size_t len;
	unsigned n_fds;
};

static void hdr(struct pkt *p, uint16_t type, size_t len)
{
	struct lf_msg_hdr h = { type, 0, (uint32_t)len };
	memset(p->buf, 0, sizeof(p->buf));
	memcpy(p->buf, &h, sizeof(h));
	p->len = len;
	p->n_fds = 0;
}

/* A plausible session: format, two buffers, frames (one with damage and a
 * cursor), a remove, a new generation, stats, ping, an ignorable extra. */
static unsigned build_script(struct pkt *s)
{
	unsigned n = 0;
	struct lf_msg_format f = { .generation = 1, .state = 2, .width = 4, .height = 2,
				   .drm_format = 0x34325258, .n_planes = 1,
				   .buffer_type = LF_WIRE_BUFFER_MEMFD, .source_type = 1 };
	struct lf_msg_add_buffer a = { .generation = 1, .buffer_type = LF_WIRE_BUFFER_MEMFD,
				       .n_planes = 1, .planes = { { 0, 16, 32, 0 } } };
	struct lf_msg_frame fr = { .generation = 1, .seq = 1 };

	hdr(&s[n], LF_MSG_FORMAT, sizeof(f));
	memcpy(s[n].buf + 8, (uint8_t *)&f + 8, sizeof(f) - 8);
	n++;
	for (uint32_t id = 0; id < 2; id++) {
		a.buffer_id = id;
		hdr(&s[n], LF_MSG_ADD_BUFFER, sizeof(a));
		memcpy(s[n].buf + 8, (uint8_t *)&a + 8, sizeof(a) - 8);
		s[n++].n_fds = 1;
	}
	hdr(&s[n], LF_MSG_FRAME, sizeof(fr));
	memcpy(s[n].buf + 8, (uint8_t *)&fr + 8, sizeof(fr) - 8);
	n++;
	/* Damage + cursor bitmap. */
	fr.seq = 2;
	fr.buffer_id = 1;
	fr.flags = LF_FRAME_F_DAMAGE | LF_FRAME_F_CURSOR | LF_FRAME_F_CURSOR_BITMAP;
	fr.n_damage = 2;
	fr.cursor_width = fr.cursor_height = 4;
	size_t flen = sizeof(fr) + 2 * sizeof(struct lf_wire_rect) + 4 * 4 * 4;
	hdr(&s[n], LF_MSG_FRAME, flen);
	memcpy(s[n].buf + 8, (uint8_t *)&fr + 8, sizeof(fr) - 8);
	n++;
	struct lf_msg_remove_buffer rm = { .generation = 1, .buffer_id = 0 };
	hdr(&s[n], LF_MSG_REMOVE_BUFFER, sizeof(rm));
	memcpy(s[n].buf + 8, (uint8_t *)&rm + 8, sizeof(rm) - 8);
	n++;
	f.generation = 2;
	hdr(&s[n], LF_MSG_FORMAT, sizeof(f));
	memcpy(s[n].buf + 8, (uint8_t *)&f + 8, sizeof(f) - 8);
	n++;
	hdr(&s[n++], LF_MSG_STATS, sizeof(struct lf_msg_stats));
	hdr(&s[n++], LF_MSG_PING, sizeof(struct lf_msg_ping));
	hdr(&s[n], 77, 24);
	((struct lf_msg_hdr *)s[n++].buf)->flags = LF_MSG_FLAG_IGNORABLE;
	return n;
}

static void mutate(struct pkt *p)
{
	switch (rng() % 6) {
	case 0: /* flip a few bytes, header included */
	case 1:
		for (unsigned k = 1 + rng() % 4; k; k--)
			p->buf[rng() % (p->len > 8 ? p->len : 8)] ^= (uint8_t)(1u << (rng() % 8));
		break;
	case 2: /* a random 32-bit field */
		if (p->len >= 12) {
			uint32_t v = rng() % 3 ? rng() % 300 : rng();
			memcpy(p->buf + 8 + 4 * (rng() % ((p->len - 8) / 4)), &v, 4);
		}
		break;
	case 3: { /* cut short or grown, length field following or not */
		size_t len = rng() % (p->len + 64);
		if (rng() % 2 && len >= 8)
			((struct lf_msg_hdr *)p->buf)->length = (uint32_t)len;
		p->len = len ? len : 1;
		break;
	}
	case 4: /* wrong number of fds */
		p->n_fds = rng() % 3;
		break;
	case 5: /* another message type */
		((struct lf_msg_hdr *)p->buf)->type = (uint16_t)(rng() % 20);
		break;
	}
}

/* Takes what the library hands out, reading every byte it says is there. */
static void consume(struct lastframe *lf)
{
	struct lastframe_frame *f;
	struct lastframe_stream_info info;
	int r;

	lastframe_get_stream_info(lf, &info);
	while ((r = lastframe_next_frame(lf, 0, &f)) == 0) {
		for (unsigned i = 0; i < f->n_planes; i++) {
			const uint8_t *p;
			size_t size;
			volatile uint8_t sum = 0;
			if (lastframe_frame_map(lf, f, i, (const void **)&p, &size) == 0)
				for (size_t k = 0; k < size; k++)
					sum += p[k];
		}
		if (f->cursor_bitmap) {
			volatile uint8_t sum = 0;
			for (size_t k = 0; k < (size_t)f->cursor_width * f->cursor_height * 4; k++)
				sum += f->cursor_bitmap[k];
		}
		ck_assert_uint_le(f->n_damage, LASTFRAME_MAX_DAMAGE);
		ck_assert_uint_le(f->n_fences, LASTFRAME_MAX_PLANES);
		lastframe_frame_release(lf, f);
	}
	ck_assert(r == -EAGAIN || r < 0);
}

START_TEST(test_mutated_sessions)
{
	struct pkt script[16];
	int fds_before = tu_count_fds();
	int memfd = memfd_create("buf", MFD_CLOEXEC);

	ck_assert_int_eq(ftruncate(memfd, 32), 0);
	rng_state = 0x9e3779b97f4a7c15ull;
	for (unsigned iter = 0; iter < 3000; iter++) {
		unsigned n = build_script(script);
		int peer;
		struct lastframe *lf = fake_connection(&peer);

		/* Mutate one message (sometimes two); a few runs stay valid. */
		if (iter % 10)
			mutate(&script[rng() % n]);
		if (iter % 7 == 0)
			mutate(&script[rng() % n]);
		for (unsigned i = 0; i < n; i++) {
			int fds[2] = { memfd, memfd };
			send_pkt(peer, script[i].buf, script[i].len, fds, script[i].n_fds);
			/* Consume as we go so frames and buffers interleave. */
			if (rng() % 3 == 0)
				consume(lf);
		}
		consume(lf);
		lastframe_disconnect(lf);
		close(peer);
	}
	close(memfd);
	ck_assert_int_eq(tu_count_fds(), fds_before);
}
END_TEST

/* The valid script alone: everything arrives and is usable. */
START_TEST(test_valid_script)
{
	struct pkt script[16];
	struct lastframe_frame *f;
	struct lastframe_stream_info info;
	int peer, memfd = memfd_create("buf", MFD_CLOEXEC);
	struct lastframe *lf = fake_connection(&peer);
	unsigned n = build_script(script);

	ck_assert_int_eq(ftruncate(memfd, 32), 0);
	for (unsigned i = 0; i < n; i++) {
		int fds[1] = { memfd };
		send_pkt(peer, script[i].buf, script[i].len, fds, script[i].n_fds);
	}
	ck_assert_int_eq(lastframe_dispatch(lf), 2);
	ck_assert_int_eq(lastframe_get_stream_info(lf, &info), 0);
	ck_assert_uint_eq(info.generation, 2);
	/* Both frames were of generation 1: handed back at the new FORMAT. */
	ck_assert_int_eq(lastframe_next_frame(lf, 0, &f), -EAGAIN);
	lastframe_disconnect(lf);
	close(peer);
	close(memfd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("client-robust");
	TCase *tc = tcase_create("robust");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_valid_script);
	tcase_add_test(tc, test_mutated_sessions);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
