/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ipc/proto-parse.c. Input: byte 0 = direction (bit 7)
 * and number of fds that "came with" the packet (bits 0-2); the rest is the
 * packet. Checks the parser's promises on every accepted message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/proto-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lf_proto_msg m;
	enum lf_proto_dir dir;
	unsigned n_fds;
	uint8_t *pkt;
	size_t len;
	int r;

	if (size < 1)
		return 0;
	dir = data[0] & 0x80 ? LF_PROTO_TO_CLIENT : LF_PROTO_TO_DAEMON;
	n_fds = data[0] & 0x7;
	len = size - 1;
	/* An exact-size heap copy so ASan sees any read past the packet. */
	pkt = malloc(len ? len : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data + 1, len);
	r = lf_proto_parse(pkt, len, n_fds, dir, &m);
	if (r == 0) {
		size_t fixed = lf_proto_fixed_size(m.hdr.type);

		if (m.hdr.length != len)
			abort();
		/* STATS is the one message with two sizes: without
		 * LF_CAP_STATS_EXT a client gets the first LF_MSG_STATS_V1_SIZE. */
		if (fixed && fixed != len &&
		    !(m.hdr.type == LF_MSG_STATS && len == LF_MSG_STATS_V1_SIZE))
			abort();
		if (m.n_fds != n_fds)
			abort();
		if (m.hdr.type == LF_MSG_ERROR) {
			if (strlen(m.error_text) >= LF_PROTO_MAX_ERROR_TEXT)
				abort();
		}
		if (m.hdr.type == LF_MSG_FRAME) {
			volatile uint8_t sink = 0;
			size_t nd = (size_t)m.u.frame.n_damage * sizeof(struct lf_wire_rect);

			for (size_t i = 0; i < nd; i++)
				sink ^= m.damage[i];
			if (m.cursor) {
				size_t nc = (size_t)m.u.frame.cursor_width * m.u.frame.cursor_height * 4;
				for (size_t i = 0; i < nc; i++)
					sink ^= m.cursor[i];
			}
			(void)sink;
		}
		if (m.hdr.type == LF_MSG_HELLO && strlen(m.u.hello.name) >= LF_PROTO_NAME_LEN)
			abort();
	} else if (r != LF_PROTO_IGNORE && r >= 0) {
		abort();
	}
	free(pkt);
	return 0;
}
