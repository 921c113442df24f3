/* SPDX-License-Identifier: MIT */
/*
 * The readback engine (capture/readback.c) on a real GPU, texture-fed as in
 * test-capture-readback (machines without a DRM node, like the H200 of
 * issue 12, refuse dmabuf import, so a texture stands in for the imported
 * buffer). For each format at 1920x1080 and 3840x2160: exact pixels into a
 * memfd pool slot, then N back-to-back readbacks through the same worker
 * thread + eventfd hand-off the daemon uses, timed, while a 1 ms timer on
 * the same pw_loop measures how late the loop gets to it (its stall).
 * `make` builds it; `make gpu-check` or a person runs it (never make check).
 *
 *   readback [--software] [--frames N] [--size WxH]... [--json]
 *
 * Exit: 0 every format exact, 1 a mismatch or error, 77 no usable device.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>
#include <pipewire/pipewire.h>

#include "base/log.h"
#include "base/util.h"
#include "capture/pool.h"
#include "capture/readback.h"

#define MAX_SIZES 4
#define TICK_NS 1000000ull

struct run {
	struct pw_loop *loop;
	struct lf_readback *rb;
	struct spa_source *tick;
	/* the job stream */
	struct lf_readback_src src;
	struct lf_readback_dst dst;
	uint32_t want, done;
	int result;
	char why[160];
	uint64_t *read_ns, *total_ns;
	uint64_t cb_max_ns;        /* longest loop callback of the hand-off (done + next submit) */
	uint64_t submit_max_ns;
	/* the loop's own view: how late the 1 ms timer fires */
	uint64_t tick_expect_ns;
	uint64_t *late_ns;
	uint32_t n_late, cap_late;
	bool ticking;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_ms(uint64_t *v, uint32_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(uint32_t)((n - 1) * p + 0.5)] / 1e6;
}

static void on_tick(void *data, uint64_t expirations)
{
	struct run *r = data;
	uint64_t now = lf_now_ns();

	if (!r->ticking)
		return;
	/* Lateness of this expiry against the schedule we set. */
	if (r->tick_expect_ns && now > r->tick_expect_ns && r->n_late < r->cap_late)
		r->late_ns[r->n_late++] = now - r->tick_expect_ns;
	r->tick_expect_ns = now + TICK_NS;
}

static void submit(struct run *r)
{
	uint64_t t0 = lf_now_ns(), dt;

	r->result = lf_readback_submit(r->rb, &r->src, &r->dst, r->done);
	dt = lf_now_ns() - t0;
	if (dt > r->submit_max_ns)
		r->submit_max_ns = dt;
}

static void on_done(void *data, uint64_t cookie, int result, const char *why,
		    const struct lf_readback_timing *t)
{
	struct run *r = data;
	uint64_t t0 = lf_now_ns(), dt;

	if (result < 0) {
		r->result = result;
		snprintf(r->why, sizeof(r->why), "%s", why);
		r->want = r->done; /* stop */
		return;
	}
	r->read_ns[r->done] = t->read_ns;
	r->total_ns[r->done] = t->total_ns;
	r->done++;
	if (r->done < r->want)
		submit(r);
	dt = lf_now_ns() - t0;
	if (dt > r->cb_max_ns)
		r->cb_max_ns = dt;
}

static const struct lf_readback_events events = { .done = on_done };

static void pattern(uint8_t *px, uint32_t w, uint32_t h, uint32_t seed)
{
	uint32_t *p = (uint32_t *)px;

	for (size_t i = 0; i < (size_t)w * h; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		p[i] = seed;
	}
}

static uint32_t x_bits(uint32_t fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_XBGR8888:
		return 0xff000000u;
	case DRM_FORMAT_XRGB2101010:
	case DRM_FORMAT_XBGR2101010:
		return 0xc0000000u;
	}
	return 0;
}

/* Every pixel: the source with X bits set. Returns mismatches (first printed). */
static uint64_t compare(const uint8_t *src, const uint8_t *dst, uint32_t w, uint32_t h,
			uint32_t stride, uint32_t fourcc)
{
	const uint32_t *s = (const uint32_t *)src, x = x_bits(fourcc);
	uint64_t bad = 0;

	for (uint32_t y = 0; y < h; y++) {
		const uint32_t *d = (const uint32_t *)(dst + (size_t)y * stride);

		for (uint32_t i = 0; i < w; i++) {
			uint32_t want = s[(size_t)y * w + i] | x;

			if (d[i] == want)
				continue;
			if (!bad)
				fprintf(stderr, "  %.4s %ux%u: first mismatch at (%u,%u): 0x%08x, want 0x%08x\n",
					(const char *)&fourcc, w, h, i, y, d[i], want);
			bad++;
		}
	}
	return bad;
}

static void pump(struct run *r)
{
	while (r->done < r->want && r->result == 0)
		pw_loop_iterate(r->loop, 100);
}

static int one(struct run *r, uint32_t fourcc, uint32_t w, uint32_t h, uint32_t frames,
	       bool json)
{
	uint32_t stride = w * 4, tex = 0;
	size_t size = (size_t)stride * h;
	uint8_t *px = malloc(size), *map;
	struct lf_buffer *slot;
	struct lf_pool pool;
	struct timespec tick = { 0, TICK_NS };
	uint64_t bad = 0;
	int ret = 1;

	lf_pool_init(&pool);
	r->read_ns = calloc(frames, sizeof(uint64_t));
	r->total_ns = calloc(frames, sizeof(uint64_t));
	r->cap_late = frames * 200 + 1000;
	r->late_ns = calloc(r->cap_late, sizeof(uint64_t));
	if (!px || !r->read_ns || !r->total_ns || !r->late_ns)
		goto out;
	pattern(px, w, h, fourcc ^ w);
	if (lf_pool_reset(&pool, size, 1, 2, 1) < 0 || lf_pool_get(&pool, &slot, &map) < 0)
		goto out;
	if (lf_readback_test_texture(r->rb, fourcc, w, h, px, stride, &tex) < 0) {
		fprintf(stderr, "  %.4s: cannot make the source texture\n", (const char *)&fourcc);
		goto out;
	}
	r->src = (struct lf_readback_src){ .fourcc = fourcc, .width = w, .height = h,
					   .modifier = DRM_FORMAT_MOD_INVALID, .texture = tex };
	r->dst = (struct lf_readback_dst){ .map = map, .stride = stride, .size = size };

	/* Exactness first: the slot starts as garbage. */
	memset(map, 0xa5, size);
	r->want = 1;
	r->done = 0;
	r->result = 0;
	submit(r);
	pump(r);
	if (r->result < 0) {
		fprintf(stderr, "  %.4s %ux%u: readback failed: %s\n", (const char *)&fourcc, w, h,
			r->why);
		goto out;
	}
	bad = compare(px, map, w, h, stride, fourcc);

	/* Then the timed run, the 1 ms timer ticking on the same loop. */
	r->want = frames;
	r->done = 0;
	r->cb_max_ns = r->submit_max_ns = 0;
	r->n_late = 0;
	r->tick_expect_ns = 0;
	r->ticking = true;
	pw_loop_update_timer(r->loop, r->tick, &tick, &tick, false);
	submit(r);
	pump(r);
	r->ticking = false;
	pw_loop_update_timer(r->loop, r->tick, NULL, NULL, false);
	if (r->result < 0) {
		fprintf(stderr, "  %.4s %ux%u: readback failed: %s\n", (const char *)&fourcc, w, h,
			r->why);
		goto out;
	}
	/* And the last frame of the run is still exact. */
	bad += compare(px, map, w, h, stride, fourcc);

	double late_p99 = pct_ms(r->late_ns, r->n_late, 0.99);
	double rd50 = pct_ms(r->read_ns, frames, 0.5), rd99 = pct_ms(r->read_ns, frames, 0.99);
	double tt50 = pct_ms(r->total_ns, frames, 0.5), tt99 = pct_ms(r->total_ns, frames, 0.99);

	/* Baseline, same run: a CPU copy of the frame into the same slot (what
	 * the MemPtr path costs per frame). */
	uint32_t n_cpy = frames < 50 ? frames : 50;
	for (uint32_t i = 0; i < n_cpy; i++) {
		uint64_t t0 = lf_now_ns();

		memcpy(map, px, size);
		r->read_ns[i] = lf_now_ns() - t0;
	}
	double cpy50 = pct_ms(r->read_ns, n_cpy, 0.5);

	uint64_t late_max = 0;
	for (uint32_t i = 0; i < r->n_late; i++)
		if (r->late_ns[i] > late_max)
			late_max = r->late_ns[i];

	if (json)
		printf("{\"format\":\"%.4s\",\"width\":%u,\"height\":%u,\"frames\":%u,\"exact\":%s,"
		       "\"read_p50_ms\":%.3f,\"read_p99_ms\":%.3f,\"total_p50_ms\":%.3f,"
		       "\"total_p99_ms\":%.3f,\"loop_callback_max_us\":%.1f,\"submit_max_us\":%.1f,"
		       "\"timer_late_p99_ms\":%.3f,\"timer_late_max_ms\":%.3f,\"ticks\":%u,"
		       "\"memcpy_p50_ms\":%.3f}\n",
		       (const char *)&fourcc, w, h, frames, bad ? "false" : "true", rd50, rd99, tt50,
		       tt99, r->cb_max_ns / 1e3, r->submit_max_ns / 1e3, late_p99, late_max / 1e6,
		       r->n_late, cpy50);
	else
		printf("%.4s %4ux%-4u %s  readback p50 %.3f ms p99 %.3f ms (submit->done p50 %.3f "
		       "p99 %.3f)  loop: hand-off callback max %.1f us, 1 ms timer late p99 %.3f "
		       "max %.3f ms; memcpy p50 %.3f ms\n",
		       (const char *)&fourcc, w, h, bad ? "MISMATCH" : "exact", rd50, rd99, tt50,
		       tt99, r->cb_max_ns / 1e3, late_p99, late_max / 1e6, cpy50);
	fflush(stdout);
	ret = bad ? 1 : 0;
out:
	if (tex)
		lf_readback_test_texture_free(r->rb, tex);
	lf_pool_destroy(&pool);
	free(r->read_ns);
	free(r->total_ns);
	free(r->late_ns);
	r->read_ns = r->total_ns = r->late_ns = NULL;
	free(px);
	return ret;
}

static int usage(int code)
{
	fprintf(code ? stderr : stdout,
		"Usage: readback [--software] [--frames N] [--size WxH]... [--json]\n"
		"Texture-fed GPU readback check and timing (capture/readback.c).\n"
		"  --software   allow a software EGL device (llvmpipe) when no GPU exists\n"
		"  --frames N   timed readbacks per format and size (default 300)\n"
		"  --size WxH   sizes to run (default 1920x1080 and 3840x2160)\n"
		"  --format F   only this DRM fourcc (e.g. XR24); default all the engine reads\n"
		"  --json       one JSON object per format and size\n"
		"Exit: 0 all exact, 1 mismatch/error, 77 no usable EGL device.\n");
	return code;
}

int main(int argc, char **argv)
{
	static const uint32_t fourccs[] = {
		DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888,
		DRM_FORMAT_ABGR8888, DRM_FORMAT_XRGB2101010, DRM_FORMAT_ARGB2101010,
		DRM_FORMAT_XBGR2101010, DRM_FORMAT_ABGR2101010,
	};
	struct lf_readback_options o = { .texture_only = true, .require_hardware = true };
	uint32_t sizes[MAX_SIZES][2], n_sizes = 0, frames = 300, only = 0;
	struct run r = { 0 };
	bool json = false;
	char why[192] = "";
	int fails = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--software") == 0)
			o.require_hardware = false;
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc)
			frames = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc && n_sizes < MAX_SIZES) {
			if (sscanf(argv[++i], "%ux%u", &sizes[n_sizes][0], &sizes[n_sizes][1]) != 2)
				return usage(2);
			n_sizes++;
		} else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc && strlen(argv[i + 1]) == 4)
			memcpy(&only, argv[++i], 4);
		else if (strcmp(argv[i], "--help") == 0)
			return usage(0);
		else
			return usage(2);
	}
	if (frames < 1 || frames > 100000)
		return usage(2);
	if (n_sizes == 0) {
		sizes[0][0] = 1920, sizes[0][1] = 1080;
		sizes[1][0] = 3840, sizes[1][1] = 2160;
		n_sizes = 2;
	}
	lf_log_init("readback", LOG_WARNING);
	pw_init(&argc, &argv);
	r.loop = pw_loop_new(NULL);
	if (!r.loop)
		return 1;
	r.tick = pw_loop_add_timer(r.loop, on_tick, &r);
	rc = lf_readback_new(r.loop, &o, &events, &r, &r.rb, why, sizeof(why));
	if (rc < 0) {
		printf("SKIP: no usable EGL device: %s\n", why);
		pw_loop_destroy(r.loop);
		return 77;
	}
	if (!json)
		printf("device: %s; dmabuf import: %s; %u timed frames per case\n",
		       lf_readback_device(r.rb), lf_readback_can_import(r.rb) ? "yes" : "no", frames);
	else
		printf("{\"device\":\"%s\",\"import\":%s,\"frames\":%u}\n", lf_readback_device(r.rb),
		       lf_readback_can_import(r.rb) ? "true" : "false", frames);
	pw_loop_enter(r.loop);
	for (uint32_t s = 0; s < n_sizes; s++)
		for (size_t f = 0; f < LF_ARRAY_SIZE(fourccs); f++)
			if (!only || only == fourccs[f])
				fails += one(&r, fourccs[f], sizes[s][0], sizes[s][1], frames, json) != 0;
	pw_loop_leave(r.loop);
	lf_readback_destroy(r.rb);
	pw_loop_destroy_source(r.loop, r.tick);
	pw_loop_destroy(r.loop);
	if (!json)
		printf("%s\n", fails ? "FAIL" : "PASS");
	return fails ? 1 : 0;
}
