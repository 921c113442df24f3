/* SPDX-License-Identifier: MIT */
/*
 * fence-kernel-check: the fence waiter (fence/, real ioctl) against the real
 * kernel's implicit fences on vgem dumb buffers, on a real pw_loop. Runs
 * inside the test VM (tests/vm/vm-run). Prints one "ok"/"not ok" line per
 * check and a JSON line with the waiter's stats; exit 0 when all pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pipewire/pipewire.h>

#include "fence/fence.h"
#include "base/util.h"
#include "tests/vm/vgem.h"

static int failures;

#define CHECK(cond, ...) do { \
	if (cond) { printf("ok: "); } else { printf("not ok: "); failures++; } \
	printf(__VA_ARGS__); printf("\n"); fflush(stdout); \
} while (0)

struct sink {
	int n_ready, n_early;
	uint64_t last_seq;
	uint32_t last_flags, early_fences;
	bool early_fence_was_pending;
};

static void on_early(void *data, const struct lf_frame *f)
{
	struct sink *s = data;
	struct pollfd p = { .fd = f->n_fences ? f->fences[0] : -1, .events = POLLIN };

	s->n_early++;
	s->early_fences = f->n_fences;
	s->early_fence_was_pending = poll(&p, 1, 0) == 0;
}

static void on_ready(void *data, struct lf_frame *f)
{
	struct sink *s = data;

	s->n_ready++;
	s->last_seq = f->seq;
	s->last_flags = f->flags;
	lf_frame_free(f);
}

static const struct lf_fence_events events = { .early = on_early, .ready = on_ready };

struct vbuf {
	uint32_t handle;
	struct lf_buffer b;
};

static struct pw_loop *loop;
static int drm = -1;
static int released;

static void on_release(struct lf_buffer *b, void *data) { released++; }

static int vbuf_init(struct vbuf *v)
{
	uint32_t pitch;
	uint64_t size;
	int r = vgem_dumb_create(drm, 64, 64, &v->handle, &pitch, &size);

	if (r < 0)
		return r;
	memset(&v->b, 0, sizeof(v->b));
	v->b.type = LF_BUFFER_DMABUF;
	v->b.n_planes = 1;
	v->b.planes[0].fd = vgem_export(drm, v->handle);
	v->b.planes[0].stride = pitch;
	v->b.planes[0].size = (uint32_t)size;
	v->b.release = on_release;
	return v->b.planes[0].fd < 0 ? v->b.planes[0].fd : 0;
}

static void submit(struct lf_fence_waiter *w, struct lf_buffer *b, uint64_t seq)
{
	struct lf_frame *f = lf_frame_new(b);

	if (!f)
		abort();
	f->seq = seq;
	lf_fence_waiter_submit(w, f);
}

/* Iterate the loop for about ms milliseconds (the loop, not a sleep: fence
 * fds and timers fire meanwhile). */
static void spin(int ms)
{
	uint64_t end = lf_now_ns() + (uint64_t)ms * 1000000ull;

	pw_loop_enter(loop);
	while (lf_now_ns() < end)
		pw_loop_iterate(loop, 5);
	pw_loop_leave(loop);
}

static void spin_until_ready(struct sink *s, int want, int max_ms)
{
	uint64_t end = lf_now_ns() + (uint64_t)max_ms * 1000000ull;

	pw_loop_enter(loop);
	while (s->n_ready < want && lf_now_ns() < end)
		pw_loop_iterate(loop, 5);
	pw_loop_leave(loop);
}

static struct lf_fence_waiter *waiter(const struct lf_fence_options *o, struct sink *s)
{
	struct lf_fence_waiter *w = NULL;

	memset(s, 0, sizeof(*s));
	if (lf_fence_waiter_new(loop, o, &events, s, &w) < 0) {
		fprintf(stderr, "fence-kernel-check: cannot create waiter\n");
		exit(1);
	}
	return w;
}

static void print_stats(const char *name, struct lf_fence_waiter *w)
{
	struct lf_fence_stats st;

	lf_fence_waiter_get_stats(w, &st);
	printf("{\"case\":\"%s\",\"waited\":%llu,\"already_signalled\":%llu,\"timeouts\":%llu,"
	       "\"superseded\":%llu,\"errors\":%llu,\"wait_p50_ns\":%llu,\"wait_p99_ns\":%llu,"
	       "\"disabled\":%s}\n", name,
	       (unsigned long long)st.waited, (unsigned long long)st.already_signalled,
	       (unsigned long long)st.timeouts, (unsigned long long)st.superseded,
	       (unsigned long long)st.errors, (unsigned long long)st.wait_p50_ns,
	       (unsigned long long)st.wait_p99_ns, st.disabled ? "true" : "false");
}

int main(int argc, char **argv)
{
	struct lf_fence_options o = { .timeout_ms = 2000 };
	struct lf_fence_stats st;
	struct lf_fence_waiter *w;
	struct vbuf a, b;
	struct sink s;
	uint32_t fa, fb;
	int r;

	pw_init(&argc, &argv);
	loop = pw_loop_new(NULL);
	drm = open(argc > 1 ? argv[1] : "/dev/dri/card0", O_RDWR | O_CLOEXEC);
	if (drm < 0 || !loop) {
		fprintf(stderr, "fence-kernel-check: no vgem device: %s\n", strerror(errno));
		return 77;
	}
	if ((r = vbuf_init(&a)) < 0 || (r = vbuf_init(&b)) < 0) {
		fprintf(stderr, "fence-kernel-check: dumb buffer: %s\n", strerror(-r));
		return 1;
	}

	/* 1. No fence: ready at once, without the loop. */
	w = waiter(&o, &s);
	submit(w, &a.b, 1);
	lf_fence_waiter_get_stats(w, &st);
	CHECK(s.n_ready == 1 && st.already_signalled == 1 && !st.disabled,
	      "unfenced dmabuf is handed on at once (already_signalled=%llu)",
	      (unsigned long long)st.already_signalled);

	/* 2. A writer's fence: wait for it, on the loop. */
	CHECK(vgem_fence_attach(drm, a.handle, VGEM_FENCE_WRITE, &fa) == 0, "attach write fence");
	submit(w, &a.b, 2);
	CHECK(s.n_early == 1 && s.early_fences == 1 && s.early_fence_was_pending,
	      "early publish carries the pending sync_file");
	spin(100);
	CHECK(s.n_ready == 1, "not handed on while the write fence is pending");
	CHECK(vgem_fence_signal(drm, fa) == 0, "signal write fence");
	spin_until_ready(&s, 2, 2000);
	lf_fence_waiter_get_stats(w, &st);
	CHECK(s.n_ready == 2 && s.last_seq == 2 && !(s.last_flags & LF_FRAME_FLAG_FENCE_PENDING) &&
	      st.waited == 1, "handed on after the fence signalled (waited=%llu)",
	      (unsigned long long)st.waited);

	/* 3. A reader's fence does not block another reader (EXPORT_SYNC_FILE READ). */
	CHECK(vgem_fence_attach(drm, a.handle, 0, &fa) == 0, "attach read fence");
	submit(w, &a.b, 3);
	CHECK(s.n_ready == 3, "a read fence does not make a reader wait");
	vgem_fence_signal(drm, fa);

	/* 4. Newer frame ready first: the older pending one is superseded. */
	CHECK(vgem_fence_attach(drm, a.handle, VGEM_FENCE_WRITE, &fa) == 0 &&
	      vgem_fence_attach(drm, b.handle, VGEM_FENCE_WRITE, &fb) == 0, "attach two fences");
	released = 0;
	submit(w, &a.b, 4);
	submit(w, &b.b, 5);
	vgem_fence_signal(drm, fb);
	spin_until_ready(&s, 4, 2000);
	lf_fence_waiter_get_stats(w, &st);
	CHECK(s.n_ready == 4 && s.last_seq == 5 && st.superseded == 1 && released == 2,
	      "newer ready frame supersedes the older pending one (superseded=%llu)",
	      (unsigned long long)st.superseded);
	vgem_fence_signal(drm, fa);
	spin(50);
	CHECK(s.n_ready == 4, "the superseded frame never follows");
	print_stats("wait", w);
	lf_fence_waiter_destroy(w);

	/* 5. A fence that never signals: timeout, then frames flow again. */
	o.timeout_ms = 50;
	w = waiter(&o, &s);
	CHECK(vgem_fence_attach(drm, a.handle, VGEM_FENCE_WRITE, &fa) == 0, "attach never-signalled fence");
	submit(w, &a.b, 10);
	spin(300);
	lf_fence_waiter_get_stats(w, &st);
	CHECK(s.n_ready == 0 && st.timeouts == 1, "timeout drops the frame (timeouts=%llu)",
	      (unsigned long long)st.timeouts);
	submit(w, &b.b, 11);
	CHECK(s.n_ready == 1 && s.last_seq == 11, "later frames still flow after a timeout");
	vgem_fence_signal(drm, fa);
	lf_fence_waiter_destroy(w);

	o.publish_on_timeout = true;
	w = waiter(&o, &s);
	CHECK(vgem_fence_attach(drm, a.handle, VGEM_FENCE_WRITE, &fa) == 0, "attach fence");
	submit(w, &a.b, 20);
	spin_until_ready(&s, 1, 2000);
	CHECK(s.n_ready == 1 && (s.last_flags & LF_FRAME_FLAG_FENCE_TIMEOUT),
	      "publish_on_timeout hands the frame on flagged FENCE_TIMEOUT");
	vgem_fence_signal(drm, fa);
	lf_fence_waiter_destroy(w);
	o.publish_on_timeout = false;

	/* 6. A memfd labelled as a dmabuf: waiting off for the stream, frames pass. */
	{
		struct lf_buffer m = { .type = LF_BUFFER_DMABUF, .n_planes = 1, .release = on_release };
		m.planes[0].fd = memfd_create("not-a-dmabuf", MFD_CLOEXEC);
		w = waiter(&o, &s);
		submit(w, &m, 30);
		submit(w, &m, 31);
		lf_fence_waiter_get_stats(w, &st);
		CHECK(s.n_ready == 2 && st.disabled && st.errors == 0,
		      "memfd labelled dmabuf: fence waiting off, frames pass through");
		close(m.planes[0].fd);
		lf_fence_waiter_destroy(w);
	}

	/* 7. Many already-signalled frames: no added latency. */
	w = waiter(&o, &s);
	for (int i = 0; i < 300; i++)
		submit(w, &a.b, 100 + (uint64_t)i);
	lf_fence_waiter_get_stats(w, &st);
	CHECK(s.n_ready == 300 && st.already_signalled == 300 && st.wait_p50_ns < 1000000,
	      "300 already-signalled frames: handed on at once, p50 %llu ns",
	      (unsigned long long)st.wait_p50_ns);
	print_stats("already_signalled", w);
	lf_fence_waiter_destroy(w);

	close(a.b.planes[0].fd);
	close(b.b.planes[0].fd);
	close(drm);
	pw_loop_destroy(loop);
	pw_deinit();
	printf("fence-kernel-check: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
