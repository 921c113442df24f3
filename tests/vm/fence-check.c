/* SPDX-License-Identifier: MIT */
/*
 * fence-check: a liblastframe client that checks, on every frame it receives,
 * that the producer had finished it. Runs inside the test VM against
 * lastframe-testsrc --vgem (which queues each dmabuf with an unsignalled vgem
 * write fence and renders + signals it later).
 *
 * Per frame, at once on receipt:
 *  - the dmabuf's write fences have signalled: poll(dmabuf, POLLIN, 0), which
 *    does not wait;
 *  - the pixels, read through our own mmap WITHOUT DMA_BUF_IOCTL_SYNC (whose
 *    START would wait for the fence and hide a frame published too early),
 *    are one complete testsrc pattern;
 *  - its counter is newer than every counter seen before.
 * A frame that arrived with its fence pending is held (we hold the lease, so
 * only the producer's pending render writes it) until the fence signals, then
 * read again: if the pixels changed, the client was shown unfinished content
 * ("stale"). That is what --expect-stale (the negative control) looks for.
 *
 * Usage: fence-check [--frames N] [--wait-ms MS] [--early]
 *                    [--expect-stale | --expect-timeout-flag]
 * Prints a JSON summary. Exit 0: N frames, all good (or, with --expect-stale,
 * at least one stale one: the negative control); 1 otherwise; 77 no dmabufs.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client/lastframe.h"
#include "tests/testsrc/pattern.h"

#define FOURCC(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

struct tally {
	uint64_t frames, good, unsignalled, stale, incomplete, not_newer, timeout_flagged, map_errors;
	uint64_t early, early_bad;
	uint32_t last_counter;
	bool have_counter;
	char first_bad[256];
};

/* How to read plane 0 as RGB: bytes per pixel and the offsets of R, G, B in
 * a pixel; false for formats we don't read. NV12's pattern is grey (U = V =
 * 128), so its luma plane alone is the picture: R = G = B = Y. */
static bool rgb_layout(uint32_t drm_format, int *bpp, int off[3])
{
	switch (drm_format) {
	case FOURCC('X', 'R', '2', '4'): case FOURCC('A', 'R', '2', '4'): /* B G R x */
		*bpp = 4; off[0] = 2; off[1] = 1; off[2] = 0; return true;
	case FOURCC('X', 'B', '2', '4'): case FOURCC('A', 'B', '2', '4'): /* R G B x */
		*bpp = 4; off[0] = 0; off[1] = 1; off[2] = 2; return true;
	case FOURCC('N', 'V', '1', '2'):
		*bpp = 1; off[0] = off[1] = off[2] = 0; return true;
	default:
		return false;
	}
}

static void note_bad(struct tally *t, const struct lastframe_frame *f, const char *what)
{
	if (!t->first_bad[0])
		snprintf(t->first_bad, sizeof(t->first_bad), "seq %llu: %s",
			 (unsigned long long)f->seq, what);
}

/* The pattern in the mapped plane, read right now. */
static void read_pattern(const struct lastframe_frame *f, const uint8_t *px, int bpp, const int off[3],
			 uint8_t *rgb, struct lf_pattern_result *res)
{
	const struct lastframe_plane *p = &f->planes[0];

	for (uint32_t y = 0; y < f->height; y++)
		for (uint32_t x = 0; x < f->width; x++)
			for (int c = 0; c < 3; c++)
				rgb[((size_t)y * f->width + x) * 3 + c] =
					px[(size_t)y * p->stride + (size_t)x * (size_t)bpp + off[c]];
	lf_pattern_check_rgb(rgb, f->width, f->height, (size_t)f->width * 3, res);
}

static int check_frame(struct tally *t, const struct lastframe_frame *f, uint8_t *rgb)
{
	const struct lastframe_plane *p = &f->planes[0];
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	struct lf_pattern_result res, fin;
	/* Plane 0 only; a plane may share the fd (NV12's UV), never needed here. */
	size_t len = (size_t)p->stride * f->height + p->offset;
	bool signalled, bad = false;
	void *map;
	int off[3], bpp;

	if (f->buffer_type != LASTFRAME_BUFFER_DMABUF)
		return -EPROTO;
	if (!rgb_layout(f->drm_format, &bpp, off))
		return -ENOTSUP;
	t->frames++;
	if (f->flags & LASTFRAME_FRAME_FENCE_TIMEOUT)
		t->timeout_flagged++;
	/* An early frame (LASTFRAME_EARLY_FENCES) comes with the sync_files
	 * to wait on: wait on them as a GPU client would; afterwards the
	 * dmabuf must be ready, or the daemon sent the wrong fences. */
	if (f->flags & LASTFRAME_FRAME_FENCE_PENDING) {
		t->early++;
		for (uint32_t i = 0; i < f->n_fences; i++) {
			struct pollfd sf = { .fd = f->fences[i], .events = POLLIN };
			if (poll(&sf, 1, 5000) != 1 || !(sf.revents & POLLIN)) {
				t->early_bad++;
				note_bad(t, f, "early sync_file did not signal");
			}
		}
		if (f->n_fences == 0) {
			t->early_bad++;
			note_bad(t, f, "FENCE_PENDING without sync_files");
		}
	}
	/* First, before anything else can let time pass. */
	signalled = poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, p->fd, 0);
	if (map == MAP_FAILED) {
		t->map_errors++;
		note_bad(t, f, "mmap failed");
		return 0;
	}
	read_pattern(f, (const uint8_t *)map + p->offset, bpp, off, rgb, &res);
	fin = res;
	if (!signalled && (f->flags & LASTFRAME_FRAME_FENCE_TIMEOUT)) {
		/* Published on timeout (lastframed --fence-timeout-publish): known
		 * unfinished, and its fence may only signal once we let go. */
		t->unsignalled++;
		bad = true;
	} else if (!signalled) {
		t->unsignalled++;
		note_bad(t, f, "write fence still pending when the frame arrived");
		bad = true;
		/* Let the producer finish (we hold the buffer, so nobody else
		 * writes it), then see whether what we read was its final content. */
		if (poll(&pfd, 1, 5000) != 1) {
			note_bad(t, f, "write fence never signalled");
		} else {
			read_pattern(f, (const uint8_t *)map + p->offset, bpp, off, rgb, &fin);
		}
		if (!res.complete || !fin.complete || res.counter != fin.counter) {
			t->stale++;
			note_bad(t, f, "pixels on arrival were not the frame's final pixels");
		}
	}
	munmap(map, len);

	if (!res.complete) {
		t->incomplete++;
		note_bad(t, f, res.error ? res.error : "incomplete");
		bad = true;
	} else if (t->have_counter && fin.counter <= t->last_counter) {
		t->not_newer++;
		note_bad(t, f, "counter not newer than a frame seen before");
		bad = true;
	}
	if (fin.complete && (!t->have_counter || fin.counter > t->last_counter)) {
		t->last_counter = fin.counter;
		t->have_counter = true;
	}
	t->good += !bad;
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: fence-check [--frames N] [--wait-ms MS] [--early]\n"
		"                   [--expect-stale | --expect-timeout-flag]\n"
		"Receive N frames (default 300) from lastframed and check each was\n"
		"finished (fence signalled, complete pattern, newer counter) on arrival.\n"
		"  --wait-ms MS     longest wait for one frame (default 10000)\n"
		"  --early          ask for frames before their fence signals (with sync_files)\n"
		"                   and wait on those sync_files before reading\n"
		"  --expect-timeout-flag  succeed if N frames came, all flagged FENCE_TIMEOUT\n"
		"  --expect-stale   negative control: succeed only if a frame arrived with\n"
		"                   pixels that were not yet its final ones\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "frames", required_argument, NULL, 'n' },
		{ "wait-ms", required_argument, NULL, 'w' },
		{ "expect-stale", no_argument, NULL, 's' },
		{ "early", no_argument, NULL, 'e' },
		{ "expect-timeout-flag", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lastframe_options lo = { .name = "fence-check", .max_held = 1 };
	struct lastframe *lf = NULL;
	struct tally t = { 0 };
	uint64_t want = 300;
	int wait_ms = 10000, c, r, ret = 1;
	bool expect_stale = false, expect_timeout = false;
	uint8_t *rgb = NULL;
	size_t rgb_size = 0;

	while ((c = getopt_long(argc, argv, "n:w:seTh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': want = strtoull(optarg, NULL, 10); break;
		case 'w': wait_ms = atoi(optarg); break;
		case 's': expect_stale = true; break;
		case 'e': lo.flags |= LASTFRAME_EARLY_FENCES; break;
		case 'T': expect_timeout = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	r = lastframe_connect(&lo, &lf);
	if (r < 0) {
		fprintf(stderr, "fence-check: connect: %s\n", lastframe_strerror(r));
		return 1;
	}
	while (t.frames < want) {
		struct lastframe_frame *f;
		size_t need;

		r = lastframe_next_frame(lf, wait_ms, &f);
		if (r < 0) {
			fprintf(stderr, "fence-check: after %llu frames: %s\n",
				(unsigned long long)t.frames, lastframe_strerror(r));
			break;
		}
		need = (size_t)f->width * f->height * 3;
		if (need > rgb_size) {
			free(rgb);
			rgb = malloc(need);
			rgb_size = rgb ? need : 0;
		}
		r = rgb ? check_frame(&t, f, rgb) : -ENOMEM;
		lastframe_frame_release(lf, f);
		if (r < 0) {
			fprintf(stderr, "fence-check: cannot check this stream: %s\n", strerror(-r));
			ret = r == -EPROTO ? 77 : 1;
			goto out;
		}
	}
	printf("{\"frames\":%llu,\"good\":%llu,\"unsignalled\":%llu,\"stale\":%llu,\"incomplete\":%llu,"
	       "\"not_newer\":%llu,\"timeout_flagged\":%llu,\"map_errors\":%llu,"
	       "\"early\":%llu,\"early_bad\":%llu,\"last_counter\":%u,\"first_bad\":\"%s\"}\n",
	       (unsigned long long)t.frames, (unsigned long long)t.good,
	       (unsigned long long)t.unsignalled, (unsigned long long)t.stale,
	       (unsigned long long)t.incomplete,
	       (unsigned long long)t.not_newer, (unsigned long long)t.timeout_flagged,
	       (unsigned long long)t.map_errors, (unsigned long long)t.early,
	       (unsigned long long)t.early_bad, t.last_counter, t.first_bad);
	if (expect_stale)
		ret = t.stale > 0 ? 0 : 1;
	else if (expect_timeout)
		ret = t.frames >= want && t.timeout_flagged == t.frames ? 0 : 1;
	else
		ret = t.frames >= want && t.good == t.frames && t.early_bad == 0 ? 0 : 1;
out:
	free(rgb);
	lastframe_disconnect(lf);
	return ret;
}
