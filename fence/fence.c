/* SPDX-License-Identifier: MIT */
/*
 * Pass-through fence waiter: every frame goes straight to ready(). The real
 * EXPORT_SYNC_FILE waiting lands next; this keeps the daemon linkable.
 */
#include "fence/fence.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct lf_fence_waiter {
	struct pw_loop *loop;
	struct lf_fence_options opts;
	const struct lf_fence_events *events;
	void *data;
};

int lf_fence_waiter_new(struct pw_loop *loop, const struct lf_fence_options *opts,
			const struct lf_fence_events *events, void *data,
			struct lf_fence_waiter **out)
{
	struct lf_fence_waiter *w;

	if (!loop || !events || !events->ready || !out)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->loop = loop;
	if (opts)
		w->opts = *opts;
	if (w->opts.timeout_ms == 0)
		w->opts.timeout_ms = 100;
	w->events = events;
	w->data = data;
	*out = w;
	return 0;
}

void lf_fence_waiter_destroy(struct lf_fence_waiter *w)
{
	free(w);
}

void lf_fence_waiter_submit(struct lf_fence_waiter *w, struct lf_frame *f)
{
	if (!f)
		return;
	w->events->ready(w->data, f);
}

void lf_fence_waiter_flush(struct lf_fence_waiter *w)
{
}

void lf_fence_waiter_get_stats(struct lf_fence_waiter *w, struct lf_fence_stats *st)
{
	memset(st, 0, sizeof(*st));
}
