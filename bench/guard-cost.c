/* SPDX-License-Identifier: MIT */
/*
 * guard-cost: what the return guard's code (capture/returns.c,
 * capture/return-guard.c) costs per frame, without the noise of a whole
 * daemon on a shared machine. Per frame lastframed gives one buffer back
 * (the last lease's unref) and catches up with the ring twice (in that
 * return and in the next process event); this does the same on a real,
 * unconnected pw_stream (pw_stream_get_time_n() is a library call like any
 * other) and synthetic buffers carrying Header, Busy, VideoCrop and Cursor
 * metas, as the daemon's do. The ring fill alternates 1 / 0 as in steady
 * streaming. `bench/run` divides the result by the daemon's measured CPU
 * per frame.
 *
 * Prints one JSON line: {"program":"guard-cost","iterations":N,
 * "ns_per_frame_on":X,"ns_per_frame_off":Y}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipewire/pipewire.h>
#include <spa/buffer/buffer.h>
#include <spa/buffer/meta.h>

#include "bench/bench-util.h"
#include "capture/return-guard.h"

#define N_BUF 7
#define ITER 2000000

struct fake {
	struct spa_buffer sb;
	struct spa_meta metas[4];
	struct spa_meta_header hdr;
	struct spa_meta_busy busy;
	struct spa_meta_region crop;
	uint8_t cursor[64];
};

static struct fake bufs[N_BUF];
static const struct pw_stream_events no_events = { PW_VERSION_STREAM_EVENTS };

static void sync_ring(struct lf_return_guard *g, struct pw_stream *s, uint32_t fill)
{
	struct pw_time t;

	lf_return_guard_sample(g);
	pw_stream_get_time_n(s, &t, sizeof(t));
	/* The unconnected stream's ring is empty: play the fill of steady
	 * streaming instead (the call's cost is what counts). */
	lf_return_guard_sync(g, fill + t.queued_buffers, N_BUF - 2);
}

static double run(struct pw_stream *s, bool enabled)
{
	struct lf_return_guard g;
	uint64_t t0, t1;

	lf_return_guard_init(&g, enabled);
	t0 = bench_now_ns();
	for (uint32_t i = 0; i < ITER; i++) {
		struct fake *f = &bufs[i % N_BUF];
		struct spa_meta_busy *busy =
			spa_buffer_find_meta_data(&f->sb, SPA_META_Busy, sizeof(*busy));
		struct spa_meta_header *h =
			spa_buffer_find_meta_data(&f->sb, SPA_META_Header, sizeof(*h));

		f->hdr.seq = i;
		lf_return_guard_push(&g, &f->sb, busy ? &busy->count : NULL, h ? &h->seq : NULL);
		__atomic_fetch_sub(&f->busy.count, 1, __ATOMIC_SEQ_CST); /* pw_stream_queue_buffer */
		sync_ring(&g, s, 1);  /* in the return */
		sync_ring(&g, s, 0);  /* the next process event: the cycle took it */
		__atomic_fetch_add(&f->busy.count, 1, __ATOMIC_SEQ_CST); /* dequeued again */
	}
	t1 = bench_now_ns();
	return (double)(t1 - t0) / ITER;
}

int main(int argc, char **argv)
{
	struct pw_main_loop *ml;
	struct pw_stream *s;
	double on, off;

	pw_init(&argc, &argv);
	ml = pw_main_loop_new(NULL);
	if (!ml) {
		fprintf(stderr, "guard-cost: no loop\n");
		return 1;
	}
	s = pw_stream_new_simple(pw_main_loop_get_loop(ml), "guard-cost",
				 pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", NULL),
				 &no_events, NULL);
	if (!s) {
		fprintf(stderr, "guard-cost: no stream: %m\n");
		pw_main_loop_destroy(ml);
		return 1;
	}
	for (int i = 0; i < N_BUF; i++) {
		struct fake *f = &bufs[i];

		f->busy.count = 1;
		f->metas[0] = (struct spa_meta){ SPA_META_Header, sizeof(f->hdr), &f->hdr };
		f->metas[1] = (struct spa_meta){ SPA_META_VideoCrop, sizeof(f->crop), &f->crop };
		f->metas[2] = (struct spa_meta){ SPA_META_Cursor, sizeof(f->cursor), f->cursor };
		f->metas[3] = (struct spa_meta){ SPA_META_Busy, sizeof(f->busy), &f->busy };
		f->sb.n_metas = 4;
		f->sb.metas = f->metas;
	}
	/* Warm up, then alternate so drift falls on both. */
	run(s, true);
	off = run(s, false);
	on = run(s, true);
	off = (off + run(s, false)) / 2;
	on = (on + run(s, true)) / 2;
	printf("{\"program\":\"guard-cost\",\"iterations\":%d,\"ns_per_frame_on\":%.1f,"
	       "\"ns_per_frame_off\":%.1f}\n", ITER, on, off);
	pw_stream_destroy(s);
	pw_main_loop_destroy(ml);
	pw_deinit();
	return 0;
}
