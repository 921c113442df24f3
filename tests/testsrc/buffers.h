/* SPDX-License-Identifier: MIT */
#pragma once
/* Buffer memory of lastframe-testsrc: one allocation per buffer holding every
 * plane (memfd, memfd labelled DmaBuf, or a vgem dumb buffer), or PipeWire's
 * own memory for MemPtr. */
#include <stdbool.h>
#include <stdint.h>

#include <spa/buffer/buffer.h>

struct pw_buffer;

#include "tests/testsrc/testsrc.h"
#include "tests/testsrc/vgem.h"

struct ts_buf {
	struct pw_buffer *pwb; /* back pointers for timer callbacks */
	void *owner;
	int fd;             /* our allocation, owned; -1 when PipeWire allocated */
	uint8_t *map;
	size_t map_size;
	bool is_vgem;
	struct ts_vgem_bo bo;
	/* vgem: a frame queued with old content and a pending write fence */
	struct spa_source *fence_timer;
	bool fence_pending;
	uint32_t fence;
	uint32_t pending_counter;
	int pending_kind;
};

/* Fill sb's datas for fmt (fd, mapoffset, maxsize, type, flags). */
int ts_buf_alloc(struct ts_buf *tb, struct spa_buffer *sb, const struct ts_format *fmt,
		 struct ts_vgem *vgem);
/* Undo ts_buf_alloc (the fence timer is the producer's business). */
void ts_buf_free(struct ts_buf *tb, struct spa_buffer *sb, struct ts_vgem *vgem);
/* Where each plane starts in memory, for drawing. */
int ts_buf_planes(const struct ts_buf *tb, struct spa_buffer *sb, const struct ts_format *fmt,
		  uint8_t *planes[TS_MAX_PLANES]);
/* The chunk offset of plane i (in its data). */
uint32_t ts_buf_chunk_offset(const struct ts_buf *tb, const struct ts_format *fmt, uint32_t i);
