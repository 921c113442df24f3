/* SPDX-License-Identifier: MIT */
#include "ipc/lease.h"

#include <errno.h>
#include <string.h>

void lf_lease_set_init(struct lf_lease_set *ls, uint32_t max)
{
	memset(ls, 0, sizeof(*ls));
	ls->max = max > LF_LEASE_MAX ? LF_LEASE_MAX : max;
}

int lf_lease_set_take(struct lf_lease_set *ls, uint32_t generation, uint32_t buffer_id,
		      uint64_t seq, uint64_t deadline_ns, struct lf_buffer *buf)
{
	if (ls->n >= ls->max)
		return -ENOSPC;
	for (uint32_t i = 0; i < ls->n; i++)
		if (ls->l[i].seq == seq)
			return -EEXIST;
	ls->l[ls->n++] = (struct lf_lease){
		.generation = generation,
		.buffer_id = buffer_id,
		.seq = seq,
		.deadline_ns = deadline_ns,
		.buf = buf,
	};
	return 0;
}

int lf_lease_set_release(struct lf_lease_set *ls, uint32_t generation, uint32_t buffer_id,
			 uint64_t seq, struct lf_buffer **buf)
{
	for (uint32_t i = 0; i < ls->n; i++) {
		struct lf_lease *l = &ls->l[i];

		if (l->seq != seq || l->generation != generation || l->buffer_id != buffer_id)
			continue;
		*buf = l->buf;
		/* Keep the order of the rest: pop() relies on "last = newest". */
		memmove(l, l + 1, (ls->n - i - 1) * sizeof(*l));
		ls->n--;
		return 0;
	}
	return -ENOENT;
}

uint64_t lf_lease_set_earliest(const struct lf_lease_set *ls)
{
	uint64_t t = UINT64_MAX;

	for (uint32_t i = 0; i < ls->n; i++)
		if (ls->l[i].deadline_ns < t)
			t = ls->l[i].deadline_ns;
	return t;
}

struct lf_buffer *lf_lease_set_pop(struct lf_lease_set *ls)
{
	if (ls->n == 0)
		return NULL;
	return ls->l[--ls->n].buf;
}

void lf_known_set_reset(struct lf_known_set *ks, uint32_t generation)
{
	ks->generation = generation;
	ks->n = 0;
	ks->next_evict = 0;
}

bool lf_known_set_has(const struct lf_known_set *ks, uint32_t generation, uint32_t id)
{
	if (ks->generation != generation)
		return false;
	for (uint32_t i = 0; i < ks->n; i++)
		if (ks->ids[i] == id)
			return true;
	return false;
}

int lf_known_set_add(struct lf_known_set *ks, uint32_t generation, uint32_t id, uint32_t *evicted)
{
	if (ks->generation != generation)
		lf_known_set_reset(ks, generation);
	if (lf_known_set_has(ks, generation, id))
		return 0;
	if (ks->n < LF_KNOWN_MAX) {
		ks->ids[ks->n++] = id;
		return 0;
	}
	/* Full (more buffers than PipeWire allows): recycle slots round-robin. */
	*evicted = ks->ids[ks->next_evict];
	ks->ids[ks->next_evict] = id;
	ks->next_evict = (ks->next_evict + 1) % LF_KNOWN_MAX;
	return 1;
}
