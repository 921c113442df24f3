/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed corpus of fuzz-proto (one valid packet of every message
 * type and interesting variants), in the target's input format: byte 0 =
 * direction (0x80 = to client) | n_fds, then the packet.
 *   cc -I. -o /tmp/gen-corpus tests/fuzz/gen-corpus.c && /tmp/gen-corpus tests/fuzz/corpus/fuzz-proto
 */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/proto.h"

static const char *dir;
static int count;

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

	if (argc != 2)
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
	return 0;
}
