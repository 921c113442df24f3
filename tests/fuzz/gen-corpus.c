/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed corpus of fuzz-proto (one valid packet of every message
 * type and interesting variants), in the target's input format: byte 0 =
 * direction (0x80 = to client) | n_fds, then the packet.
 * Also the seeds of fuzz-server (op programs, see tests/fuzz/fuzz-server.c).
 *   cc -I. -o /tmp/gen-corpus tests/fuzz/gen-corpus.c &&
 *   /tmp/gen-corpus tests/fuzz/corpus/fuzz-proto tests/fuzz/corpus/fuzz-server
 */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/proto.h"

static const char *dir;
static int count;

/* fuzz-server ops */
#define OP(op, arg) (unsigned char)((op) | ((arg) << 3))
#define PUBLISH(b) OP(0, b)
#define PACKET(fds) OP(1, fds)
#define NEWGEN OP(2, 0)
#define PUMP OP(3, 0)
#define RELEASE OP(4, 0)
#define HELLO(caps, held) OP(5, (caps) | ((held) << 3))
#define EARLY(b) OP(6, b)
#define PING OP(7, 1)
#define STATSREQ OP(7, 0)

static void put_raw(const char *d, const char *name, const void *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%02d-%s", d, ++count, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* An op program with one embedded packet (len 0: none) after PACKET. */
static void put_prog(const char *d, const char *name, const unsigned char *ops, size_t n_ops,
		     const void *pkt, size_t pkt_len)
{
	unsigned char buf[1024];
	size_t k = 0;

	for (size_t i = 0; i < n_ops; i++) {
		buf[k++] = ops[i];
		if ((ops[i] & 7) == 1) {
			buf[k++] = (unsigned char)(pkt_len & 0xff);
			buf[k++] = (unsigned char)(pkt_len >> 8);
			memcpy(buf + k, pkt, pkt_len);
			k += pkt_len;
		}
	}
	put_raw(d, name, buf, k);
}

static void put(const char *name, int to_client, unsigned n_fds, const void *p, size_t len)
{
	char path[4096];
	FILE *f;
	unsigned char b0 = (unsigned char)((to_client ? 0x80 : 0) | (n_fds & 7));

	snprintf(path, sizeof(path), "%s/%02d-%s", dir, ++count, name);
	f = fopen(path, "wb");
	if (!f || fwrite(&b0, 1, 1, f) != 1 || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

#define HDR(t, l) (struct lf_msg_hdr){ (t), 0, (uint32_t)(l) }

int main(int argc, char **argv)
{
	static unsigned char big[LF_PROTO_MAX_MSG];

	if (argc != 3)
		return 2;
	dir = argv[1];

	struct lf_msg_hello hello = { HDR(LF_MSG_HELLO, sizeof(hello)), 1, LF_CAP_EARLY_FENCES, 2, 0, "client" };
	put("hello", 0, 0, &hello, sizeof(hello));
	struct lf_msg_welcome w = { HDR(LF_MSG_WELCOME, sizeof(w)), 1, 1, 2, 1000, 7, 0, "lastframed 0.1.0" };
	put("welcome", 1, 0, &w, sizeof(w));

	struct { struct lf_msg_error e; char t[16]; } err = { { HDR(LF_MSG_ERROR, sizeof(struct lf_msg_error) + 7), 13, 0 }, "denied" };
	put("error-to-client", 1, 0, &err, sizeof(err.e) + 7);
	put("error-to-daemon", 0, 0, &err, sizeof(err.e) + 7);

	struct lf_msg_format fmt = { HDR(LF_MSG_FORMAT, sizeof(fmt)), 3, 2, 1920, 1080, 0x34325258, 1,
				     0, LF_WIRE_BUFFER_MEMFD, 1, 60, 1, LF_FORMAT_FLAG_MODIFIER, 0 };
	put("format", 1, 0, &fmt, sizeof(fmt));

	struct lf_msg_add_buffer ab = { HDR(LF_MSG_ADD_BUFFER, sizeof(ab)), 3, 1, LF_WIRE_BUFFER_DMABUF, 2,
					{ { 0, 7680, 8294400, 0 }, { 8294400, 3840, 2073600, 0 } } };
	put("add-buffer", 1, 2, &ab, sizeof(ab));
	struct lf_msg_remove_buffer rb = { HDR(LF_MSG_REMOVE_BUFFER, sizeof(rb)), 3, 1 };
	put("remove-buffer", 1, 0, &rb, sizeof(rb));

	struct lf_msg_frame fr = { HDR(LF_MSG_FRAME, sizeof(fr)), 3, 1, 42, 1000, 2000, 3000, 0,
				   LF_FRAME_F_CROP, { 0, 0, 1920, 1080 } };
	put("frame", 1, 0, &fr, sizeof(fr));
	/* damage + cursor bitmap */
	fr.flags = LF_FRAME_F_DAMAGE | LF_FRAME_F_CURSOR | LF_FRAME_F_CURSOR_BITMAP;
	fr.n_damage = 2;
	fr.cursor_width = 4;
	fr.cursor_height = 4;
	size_t len = sizeof(fr) + 2 * sizeof(struct lf_wire_rect) + 4 * 4 * 4;
	fr.hdr.length = (uint32_t)len;
	memset(big, 0, sizeof(big));
	memcpy(big, &fr, sizeof(fr));
	struct lf_wire_rect dmg[2] = { { 1, 2, 3, 4 }, { 10, 20, 30, 40 } };
	memcpy(big + sizeof(fr), dmg, sizeof(dmg));
	memset(big + sizeof(fr) + sizeof(dmg), 0xff, 64);
	put("frame-damage-cursor", 1, 0, big, len);
	/* early: fences */
	struct lf_msg_frame fe = { HDR(LF_MSG_FRAME, sizeof(fe)), 3, 1, 43, 0, 0, 0, 1, LF_FRAME_F_FENCE_PENDING };
	fe.n_fences = 1;
	put("frame-fence", 1, 1, &fe, sizeof(fe));

	struct lf_msg_release rel = { HDR(LF_MSG_RELEASE, sizeof(rel)), 3, 1, 42 };
	put("release", 0, 0, &rel, sizeof(rel));
	struct lf_msg_ping ping = { HDR(LF_MSG_PING, sizeof(ping)), 0x1234 };
	put("ping", 0, 0, &ping, sizeof(ping));
	ping.hdr.type = LF_MSG_PONG;
	put("pong", 1, 0, &ping, sizeof(ping));
	struct lf_msg_bye bye = { HDR(LF_MSG_BYE, sizeof(bye)), LF_BYE_CLIENT, 0 };
	put("bye", 0, 0, &bye, sizeof(bye));
	struct lf_msg_import_failed imf = { HDR(LF_MSG_IMPORT_FAILED, sizeof(imf)), 3, 0x34325258, 0x0100000000000002ull };
	put("import-failed", 0, 0, &imf, sizeof(imf));
	struct lf_msg_hdr sr = HDR(LF_MSG_STATS_REQUEST, sizeof(sr));
	put("stats-request", 0, 0, &sr, sizeof(sr));
	struct lf_msg_stats st = { HDR(LF_MSG_STATS, sizeof(st)), 2, 3 };
	put("stats", 1, 0, &st, sizeof(st));
	struct lf_msg_hdr ign = { 300, LF_MSG_FLAG_IGNORABLE, sizeof(ign) };
	put("unknown-ignorable", 0, 1, &ign, sizeof(ign));
	struct lf_msg_hdr unk = { 300, 0, sizeof(unk) };
	put("unknown-mandatory", 0, 0, &unk, sizeof(unk));
	printf("%d seeds in %s\n", count, dir);

	const char *sd = argv[2];
	count = 0;
	{
		const unsigned char p[] = { HELLO(0, 1), PUBLISH(0), RELEASE, PUBLISH(1), RELEASE,
					    PUBLISH(2), PUBLISH(3), RELEASE, PING, STATSREQ };
		put_prog(sd, "basic", p, sizeof(p), NULL, 0);
	}
	{
		const unsigned char p[] = { HELLO(LF_CAP_EARLY_FENCES, 2), EARLY(0), PUBLISH(0), EARLY(1),
					    RELEASE, PUBLISH(1), NEWGEN, PUBLISH(2), RELEASE, RELEASE };
		put_prog(sd, "early-newgen", p, sizeof(p), NULL, 0);
	}
	{
		const unsigned char p[] = { PUBLISH(1), HELLO(LF_CAP_NO_FRAMES, 0), PUBLISH(2), STATSREQ, PING };
		put_prog(sd, "control", p, sizeof(p), NULL, 0);
	}
	{
		const unsigned char p[] = { HELLO(0, 3), PUBLISH(0), PUBLISH(1), PUBLISH(2), PUBLISH(3),
					    RELEASE, PUBLISH(0), PACKET(0) };
		put_prog(sd, "release-raw", p, sizeof(p), &rel, sizeof(rel));
	}
	{
		const unsigned char p[] = { PACKET(0), PUBLISH(0), RELEASE, PUBLISH(1) };
		put_prog(sd, "hello-raw", p, sizeof(p), &hello, sizeof(hello));
	}
	{
		const unsigned char p[] = { HELLO(0, 1), PUBLISH(0), PACKET(2), PUBLISH(1) };
		put_prog(sd, "fds", p, sizeof(p), &ping, sizeof(ping));
	}
	{
		const unsigned char p[] = { HELLO(0, 1), PACKET(0) };
		put_prog(sd, "ignorable", p, sizeof(p), &ign, sizeof(ign));
	}
	{
		const unsigned char p[] = { HELLO(0, 1), PACKET(0), PUBLISH(0) };
		put_prog(sd, "import-failed", p, sizeof(p), &imf, sizeof(imf));
	}
	printf("%d seeds in %s\n", count, sd);
	return 0;
}
