/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Building the params we hand to pw_stream: EnumFormat (dmabuf variants with
 * modifiers first, then shared memory), Buffers and Meta. A dynamic builder
 * grows as needed (hundreds of modifiers); params are resolved from offsets
 * once building is done because the builder may move its memory.
 */
#include <stdbool.h>
#include <stdint.h>

#include <spa/pod/dynamic.h>

#include "capture/modifiers.h"

#define LF_PODS_MAX 64

struct lf_pods {
	struct spa_pod_dynamic_builder db;
	uint8_t stack[2048];
	uint32_t offsets[LF_PODS_MAX];
	const struct spa_pod *params[LF_PODS_MAX];
	uint32_t n;
	int error;
	uint32_t request_width, request_height; /* offer only this size; 0 = a range */
};

void lf_pods_init(struct lf_pods *p);
void lf_pods_clear(struct lf_pods *p);
/* EnumFormat: per table format a dmabuf variant (when mods lists some
 * modifiers for it; NULL = none), then the shared-memory variants. */
int lf_pods_add_formats(struct lf_pods *p, const struct lf_modset *mods);
/* Buffers: dmabuf = the negotiated format carries a modifier. */
int lf_pods_add_buffers(struct lf_pods *p, bool dmabuf, uint32_t n_buffers);
/* Meta: Header, VideoCrop, Cursor, VideoDamage. */
int lf_pods_add_meta(struct lf_pods *p);
/* Resolve p->params[0..n); valid until the next add or clear. */
int lf_pods_finish(struct lf_pods *p);
