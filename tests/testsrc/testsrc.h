/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * lastframe-testsrc: a PipeWire Video/Source producer for tests. It behaves
 * like the producers lastframed meets in the field (Mutter, portals, OBS,
 * gstreamer) and can misbehave on demand (cursor-only and CORRUPTED buffers,
 * bursts, resizes, unsignalled fences). Files:
 *   main.c     options, --verify
 *   producer.c the pw_stream, its state and the frame clock
 *   params.c   EnumFormat/Buffers/Meta pods, modifier fixation
 *   buffers.c  buffer memory (memfd, memfd-as-dmabuf, vgem)
 *   vgem.c     vgem dumb buffers and fences (VM only)
 *   pattern.c  the frame pattern and its checker
 *   image.c    PNG/PPM reading for --verify
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/testsrc/pattern.h"

#define TS_MAX_MODIFIERS 512
#define TS_MAX_PLANES 2

enum ts_buffer_kind {
	TS_BUFFER_MEMFD,
	TS_BUFFER_MEMPTR,
	TS_BUFFER_DMABUF,
};

enum ts_dmabuf_mode {
	TS_DMABUF_FIXATE,  /* modifier list, MANDATORY|DONT_FIXATE, producer fixates */
	TS_DMABUF_MUTTER,  /* one INVALID modifier, MANDATORY (Mutter 43 on a GPU) */
	TS_DMABUF_LINEAR,  /* LINEAR only */
	TS_DMABUF_FOREIGN, /* only modifiers the consumer does not know: SHM fallback */
	TS_DMABUF_NV12,    /* NV12, two planes, with fixation */
};

struct ts_options {
	const char *name;
	uint32_t width, height, rate;
	enum lf_pattern_format format;
	enum ts_buffer_kind buffer;
	enum ts_dmabuf_mode dmabuf_mode;
	uint64_t modifiers[TS_MAX_MODIFIERS];
	size_t n_modifiers;        /* 0: the mode's default list */
	bool vgem;
	int fence_delay_ms;        /* -1: never signal */
	uint32_t cursor_every, corrupt_every, burst, n_buffers;
	uint64_t resize_at;        /* counter at which to resize; 0 = never */
	uint32_t resize_width, resize_height;
	uint64_t frames;           /* stop after this many buffers; 0 = forever */
	bool linger;               /* after --frames: stay connected, idle */
	bool wait_consumer;        /* send nothing until a consumer is linked */
	bool on_signal;            /* no frame clock: a frame (or burst) per SIGUSR2 */
	bool wait_buffer;          /* no free buffer: retry in 1 ms, do not skip */
	bool no_pts, print_serial, verbose;
};

/* The format the consumer and we agreed on. */
struct ts_format {
	uint32_t spa_format;
	enum lf_pattern_format pattern;
	uint32_t width, height;
	bool has_modifier;
	uint64_t modifier;
	uint32_t n_planes;
	uint32_t n_datas;                /* 1 for MemPtr (all planes in one block, as
	                                    gstreamer does), else one per plane */
	uint32_t strides[TS_MAX_PLANES];
	uint32_t offsets[TS_MAX_PLANES]; /* plane offsets within one allocation */
	uint32_t plane_sizes[TS_MAX_PLANES];
	uint32_t total_size;
	uint32_t data_type;              /* SPA_DATA_* the buffers carry */
};

int ts_producer_run(const struct ts_options *opts);
int ts_verify_main(int argc, char **argv);

/* params.c */
struct spa_pod;
struct spa_pod_builder;
uint32_t ts_spa_format(enum lf_pattern_format f);
/* The initial EnumFormat list for the options (SHM fallback last). */
int ts_params_enum_formats(struct spa_pod_builder *b, const struct ts_options *o,
			   uint32_t width, uint32_t height, const struct spa_pod **params,
			   uint32_t max);
/* A negotiated Format arrived. Returns 1 when the producer must fixate: then
 * params holds the re-announced EnumFormats (fixed first); 0 when the
 * format is final and *fmt is filled in; negative errno when unusable. */
int ts_params_on_format(struct spa_pod_builder *b, const struct ts_options *o,
			const struct spa_pod *format, struct ts_format *fmt,
			const struct spa_pod **params, uint32_t max, uint32_t *n_params);
/* Buffers + Meta params for a final format. */
int ts_params_buffers(struct spa_pod_builder *b, const struct ts_options *o,
		      const struct ts_format *fmt, const struct spa_pod **params, uint32_t max);
/* The mode's modifier list (or the --modifiers override). */
size_t ts_params_modifiers(const struct ts_options *o, const uint64_t **mods);
