/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Per-client bookkeeping of the server, pure logic (no I/O, no allocation):
 * - lf_lease_set: the frames a client holds (its credits). Each lease keeps
 *   the lf_buffer pointer whose reference the server took for it; the set
 *   never refs or unrefs, it hands the pointer back on release/drain.
 * - lf_known_set: which buffer ids of the current generation a client has
 *   already received with ADD_BUFFER (fds are sent once per buffer).
 */
#include <stdbool.h>
#include <stdint.h>

#include "base/frame.h"

#define LF_LEASE_MAX 3   /* most credits any client can have */
#define LF_KNOWN_MAX 64  /* PipeWire streams have at most 64 buffers */

struct lf_lease {
	uint32_t generation;
	uint32_t buffer_id;
	uint64_t seq;
	uint64_t deadline_ns;
	struct lf_buffer *buf;
};

struct lf_lease_set {
	uint32_t max;  /* credits granted, 0..LF_LEASE_MAX */
	uint32_t n;
	struct lf_lease l[LF_LEASE_MAX];
};

void lf_lease_set_init(struct lf_lease_set *ls, uint32_t max);
static inline bool lf_lease_set_has_credit(const struct lf_lease_set *ls)
{
	return ls->n < ls->max;
}
/* -ENOSPC without a credit, -EEXIST when seq is already held. */
int lf_lease_set_take(struct lf_lease_set *ls, uint32_t generation, uint32_t buffer_id,
		      uint64_t seq, uint64_t deadline_ns, struct lf_buffer *buf);
/* Removes the matching lease and returns its buffer in *buf; -ENOENT if none. */
int lf_lease_set_release(struct lf_lease_set *ls, uint32_t generation, uint32_t buffer_id,
			 uint64_t seq, struct lf_buffer **buf);
/* Earliest deadline, UINT64_MAX when nothing is held. */
uint64_t lf_lease_set_earliest(const struct lf_lease_set *ls);
/* Removes the most recently taken lease (to undo a take whose send failed). */
struct lf_buffer *lf_lease_set_pop(struct lf_lease_set *ls);

struct lf_known_set {
	uint32_t generation;
	uint32_t n;
	uint32_t next_evict;
	uint32_t ids[LF_KNOWN_MAX];
};

void lf_known_set_reset(struct lf_known_set *ks, uint32_t generation);
bool lf_known_set_has(const struct lf_known_set *ks, uint32_t generation, uint32_t id);
/* Adds id (resetting the set when generation differs). When the set is full
 * one id is evicted and returned in *evicted (the caller sends REMOVE_BUFFER)
 * and the return value is 1; otherwise 0. */
int lf_known_set_add(struct lf_known_set *ks, uint32_t generation, uint32_t id, uint32_t *evicted);
