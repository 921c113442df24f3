/* SPDX-License-Identifier: MIT */
/* The return guard's bookkeeping (why: capture/return-guard.h). */
#include <string.h>

#include "capture/return-guard.h"

static struct lf_return_entry *at(struct lf_return_guard *g, uint32_t i)
{
	return &g->ring[(g->head + i) % LF_RETURN_GUARD_MAX];
}

static void unmark(struct lf_return_guard *g, struct lf_return_entry *e)
{
	if (!e->marked)
		return;
	/* The producer reads the count from its own process. */
	__atomic_fetch_sub(e->busy, 1, __ATOMIC_SEQ_CST);
	e->marked = false;
	g->n_marked--;
}

void lf_return_guard_init(struct lf_return_guard *g, bool enabled)
{
	memset(g, 0, sizeof(*g));
	g->enabled = enabled;
}

void lf_return_guard_push(struct lf_return_guard *g, const void *buf, uint32_t *busy,
			  const uint64_t *seq)
{
	struct lf_return_entry *e;

	if (g->n == LF_RETURN_GUARD_MAX) {
		/* More returns than the stream has buffers: the ring must have
		 * let go of the oldest (our view is stale); never overflow. */
		unmark(g, at(g, 0));
		g->head = (g->head + 1) % LF_RETURN_GUARD_MAX;
		g->n--;
	}
	e = at(g, g->n++);
	*e = (struct lf_return_entry){ .buf = buf, .busy = busy, .seq = seq };
	e->seq_at_return = e->seq_seen = seq ? *seq : 0;
	if (g->enabled && busy) {
		/* Taken before pw_stream_queue_buffer() drops the stream's
		 * own count, so the producer never sees it free. */
		__atomic_fetch_add(busy, 1, __ATOMIC_SEQ_CST);
		e->marked = true;
		g->n_marked++;
		g->stats.marked++;
	}
}

void lf_return_guard_undo(struct lf_return_guard *g)
{
	if (g->n == 0)
		return;
	unmark(g, at(g, g->n - 1));
	g->n--;
}

void lf_return_guard_sample(struct lf_return_guard *g)
{
	for (uint32_t i = 0; i < g->n; i++) {
		struct lf_return_entry *e = at(g, i);

		if (e->seq)
			e->seq_seen = __atomic_load_n(e->seq, __ATOMIC_SEQ_CST);
	}
}

void lf_return_guard_sync(struct lf_return_guard *g, uint32_t fill, uint32_t limit)
{
	while (g->n > fill) {
		unmark(g, at(g, 0));
		g->head = (g->head + 1) % LF_RETURN_GUARD_MAX;
		g->n--;
	}
	for (uint32_t i = 0; i < g->n; i++) {
		struct lf_return_entry *e = at(g, i);

		if (e->seq && !e->refused && e->seq_seen != e->seq_at_return) {
			e->refused = true;
			g->stats.refused++;
		}
	}
	/* Oldest first: the ring lets go of those next anyway. */
	for (uint32_t i = 0; i < g->n && g->n_marked > limit; i++) {
		struct lf_return_entry *e = at(g, i);

		if (e->marked) {
			unmark(g, e);
			g->stats.released_early++;
		}
	}
}

void lf_return_guard_forget(struct lf_return_guard *g, const void *buf)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < g->n; i++) {
		struct lf_return_entry e = *at(g, i);

		if (e.buf == buf) {
			/* The producer may keep its buffers (and their busy
			 * counts) for the next consumer: never leave a mark. */
			unmark(g, &e);
			continue;
		}
		*at(g, kept++) = e;
	}
	g->n = kept;
}

void lf_return_guard_clear(struct lf_return_guard *g)
{
	struct lf_return_guard_stats st = g->stats;
	bool enabled = g->enabled;

	for (uint32_t i = 0; i < g->n; i++)
		unmark(g, at(g, i));
	lf_return_guard_init(g, enabled);
	g->stats = st;
}
