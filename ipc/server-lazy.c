/* SPDX-License-Identifier: MIT */
/*
 * Lazy reads. A frame client sends one RELEASE per frame; reading it when it
 * arrives costs the daemon a second wake-up per frame per client (besides
 * PipeWire's), for nothing: the released buffer is also the latest frame,
 * which the server holds until the next publish anyway, and the credit is
 * only needed by that publish. So while a client holds the newest frame and
 * frames flow, only HUP/ERR stay armed on its socket, and what it sent is
 * read (MSG_DONTWAIT) right before the next frame is offered to it.
 *
 * Its socket wakes us again (EPOLLIN armed) whenever reading late would
 * change what the client sees: a publish skipped it (no credit: its RELEASE
 * must bring the newest frame at once), the format or stream state changed,
 * no frame was published for LF_SRV_LAZY_IDLE_MS (requests such as PING wait
 * at most that long), or it sent more than one batch. The lease timer drains
 * a client before judging it (server.c), so an unread RELEASE never times out.
 */
#include <stdint.h>

#include "daemon/util.h"
#include "ipc/server-priv.h"

#define LAZY_IDLE_NS ((uint64_t)LF_SRV_LAZY_IDLE_MS * 1000000ull)

void lf_srv_client_set_lazy(struct srv_client *c, bool lazy)
{
	struct lf_server *s = c->s;

	if (c->lazy == lazy)
		return; /* the common case: no epoll_ctl per frame */
	c->lazy = lazy;
	if (lazy)
		s->n_lazy++;
	else
		s->n_lazy--;
	/* Level-triggered: re-arming EPOLLIN with messages queued wakes the
	 * loop at once, so nothing sent while lazy is left unread. */
	pw_loop_update_io(s->loop, c->src,
			  lazy ? SPA_IO_HUP | SPA_IO_ERR : SPA_IO_IN | SPA_IO_HUP | SPA_IO_ERR);
}

/* Reads what a client queued. 0 all read, 1 more than a batch (EPOLLIN is
 * armed so the loop reads the rest), < 0 the client is gone. */
int lf_srv_client_drain(struct srv_client *c)
{
	int r = lf_srv_client_receive(c, LF_SRV_RX_BATCH);

	if (r > 0)
		lf_srv_client_set_lazy(c, false);
	return r;
}

/* Nothing to gain from reading this client at once: it got f (a RELEASE
 * now would return a credit that only the next publish uses, and the
 * buffer of the latest frame stays out of PipeWire's pool until then
 * anyway) and a next publish, which drains it, is expected. */
static bool may_sleep(const struct srv_client *c, const struct lf_frame *f)
{
	return c->s->state == LF_STREAM_STREAMING && c->ready &&
	       !(c->caps & LF_CAP_NO_FRAMES) && c->last_idx && c->last_seq >= f->seq &&
	       c->leases.n > 0;
}

int lf_srv_client_publish(struct srv_client *c, const struct lf_frame *f, uint64_t idx, bool early)
{
	int r = 0;

	/* First: its RELEASEs return the credit this frame needs (and their
	 * buffers go back to PipeWire before the frame is handed out). */
	if (c->lazy) {
		r = lf_srv_client_drain(c);
		if (r < 0)
			return r;
	}
	if (lf_srv_client_offer(c, f, idx, early) < 0)
		return -ECONNRESET;
	lf_srv_client_set_lazy(c, r == 0 && may_sleep(c, f));
	return 0;
}

/* After each publish: the idle check is due LF_SRV_LAZY_IDLE_MS after the
 * last one. The timer only moves to an earlier deadline, so while frames
 * flow it fires about once per LF_SRV_LAZY_IDLE_MS, not once per frame. */
void lf_srv_lazy_published(struct lf_server *s)
{
	s->last_publish_ns = lf_now_ns();
	if (s->n_lazy)
		lf_srv_timer_want(s, s->last_publish_ns + LAZY_IDLE_NS);
}

/* Stream paused, format changed, or frames stopped: no publish will come
 * to drain the lazy clients, so their sockets wake us again. Arming reads
 * nothing: safe while iterating. */
void lf_srv_lazy_wake_all(struct lf_server *s)
{
	struct srv_client *c;

	if (!s->n_lazy)
		return;
	spa_list_for_each(c, &s->clients, link)
		lf_srv_client_set_lazy(c, false);
}

/* From the server timer: the next idle check, UINT64_MAX when none is due. */
uint64_t lf_srv_lazy_tick(struct lf_server *s, uint64_t now)
{
	if (!s->n_lazy)
		return UINT64_MAX;
	if (now < s->last_publish_ns + LAZY_IDLE_NS)
		return s->last_publish_ns + LAZY_IDLE_NS;
	lf_srv_lazy_wake_all(s);
	return UINT64_MAX;
}
