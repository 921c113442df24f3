/* SPDX-License-Identifier: MIT */
#include "capture/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/util.h"

struct lf_pool_slot {
	struct lf_buffer buf;  /* first: the release callback gets &buf */
	int fd_rw;             /* ours, for writing */
	int fd_ro;             /* what clients get */
	uint8_t *map;
	size_t size;
	bool orphan;
};

static void slot_free(struct lf_pool_slot *s)
{
	if (s->map && s->map != MAP_FAILED)
		munmap(s->map, s->size);
	lf_close(&s->fd_rw);
	lf_close(&s->fd_ro);
	free(s);
}

static void slot_release(struct lf_buffer *b, void *data)
{
	struct lf_pool_slot *s = (struct lf_pool_slot *)b;

	if (s->orphan)
		slot_free(s);
}

static int slot_new(size_t size, uint32_t id, uint32_t generation, struct lf_pool_slot **out)
{
	struct lf_pool_slot *s = calloc(1, sizeof(*s));
	char path[64];
	int r;

	if (!s)
		return -ENOMEM;
	s->fd_rw = s->fd_ro = -1;
	s->size = size;
	s->fd_rw = memfd_create("lastframe-frame", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (s->fd_rw < 0 || ftruncate(s->fd_rw, (off_t)size) < 0) {
		r = -errno;
		goto fail;
	}
	/* Pre-fault now so the first copy into a slot does not pay for it. */
	s->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, s->fd_rw, 0);
	if (s->map == MAP_FAILED) {
		r = -errno;
		s->map = NULL;
		goto fail;
	}
	/* Clients must be able to trust the size they mapped. */
	if (fcntl(s->fd_rw, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		r = -errno;
		goto fail;
	}
	/* A read-only open file description: a client cannot mmap it writable. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd_rw);
	s->fd_ro = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd_ro < 0) {
		r = -errno;
		goto fail;
	}
	s->buf.id = id;
	s->buf.generation = generation;
	s->buf.type = LF_BUFFER_MEMFD;
	s->buf.release = slot_release;
	s->buf.release_data = NULL;
	s->buf.priv = s;
	for (unsigned i = 0; i < LF_MAX_PLANES; i++)
		s->buf.planes[i].fd = s->fd_ro;
	*out = s;
	return 0;
fail:
	slot_free(s);
	return r;
}

void lf_pool_init(struct lf_pool *p)
{
	memset(p, 0, sizeof(*p));
}

static void pool_orphan_all(struct lf_pool *p)
{
	for (uint32_t i = 0; i < p->n_slots; i++) {
		struct lf_pool_slot *s = p->slots[i];

		if (s->buf.refs == 0)
			slot_free(s);
		else
			s->orphan = true;
		p->slots[i] = NULL;
	}
	p->n_slots = 0;
}

int lf_pool_reset(struct lf_pool *p, size_t size, uint32_t generation, uint32_t max_slots,
		  uint32_t prealloc)
{
	pool_orphan_all(p);
	p->slot_size = size;
	p->generation = generation;
	p->max_slots = max_slots > LF_POOL_MAX_SLOTS ? LF_POOL_MAX_SLOTS : max_slots;
	if (p->max_slots < 1)
		p->max_slots = 1;
	for (uint32_t i = 0; i < prealloc && i < p->max_slots; i++) {
		int r = slot_new(size, p->n_slots, generation, &p->slots[p->n_slots]);
		if (r < 0)
			return r;
		p->n_slots++;
	}
	return 0;
}

int lf_pool_get(struct lf_pool *p, struct lf_buffer **buf, uint8_t **map)
{
	struct lf_pool_slot *s = NULL;
	int r;

	if (p->slot_size == 0)
		return -EINVAL;
	for (uint32_t i = 0; i < p->n_slots && !s; i++)
		if (p->slots[i]->buf.refs == 0)
			s = p->slots[i];
	if (!s) {
		if (p->n_slots >= p->max_slots)
			return -EBUSY;
		r = slot_new(p->slot_size, p->n_slots, p->generation, &p->slots[p->n_slots]);
		if (r < 0)
			return r;
		s = p->slots[p->n_slots++];
	}
	*buf = &s->buf;
	*map = s->map;
	return 0;
}

void lf_pool_set_generation(struct lf_pool *p, uint32_t generation)
{
	p->generation = generation;
	for (uint32_t i = 0; i < p->n_slots; i++)
		p->slots[i]->buf.generation = generation;
}

void lf_pool_destroy(struct lf_pool *p)
{
	pool_orphan_all(p);
	p->slot_size = 0;
}
