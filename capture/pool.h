/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The memfd pool for MemPtr producers: their memory has no fd, so each frame
 * is copied into a daemon-owned, pre-faulted, size-sealed memfd that clients
 * get read-only. Slots are lf_buffers: a slot is free again when its last
 * reference goes. A reset (new size / generation) orphans held slots; an
 * orphan frees itself on its last unref, so holders never see freed memory.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/frame.h"

#define LF_POOL_MAX_SLOTS 16

struct lf_pool_slot;

struct lf_pool {
	struct lf_pool_slot *slots[LF_POOL_MAX_SLOTS];
	uint32_t n_slots, max_slots;
	size_t slot_size;
	uint32_t generation;
};

void lf_pool_init(struct lf_pool *p);
/* Orphan every slot and start over with slots of `size` bytes labelled
 * `generation`; pre-creates `prealloc` slots. */
int lf_pool_reset(struct lf_pool *p, size_t size, uint32_t generation, uint32_t max_slots,
		  uint32_t prealloc);
/* A free slot (refs 0) and its writable mapping; -EBUSY when all are held. */
int lf_pool_get(struct lf_pool *p, struct lf_buffer **buf, uint8_t **map);
/* Relabel free and held slots (the buffer set was republished). */
void lf_pool_set_generation(struct lf_pool *p, uint32_t generation);
void lf_pool_destroy(struct lf_pool *p);
