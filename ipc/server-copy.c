/* SPDX-License-Identifier: MIT */
/*
 * Read paths (docs/protocol.md §5): GPU clients get the producer's buffers;
 * CPU readers get them only when they can map them linearly, else the
 * daemon's readback copy, published here next to the original frame with
 * the same seq. The daemon (daemon/copy.c) does the reading back; this file
 * only decides who gets what and when to ask for a copy.
 */
#include <drm_fourcc.h>

#include "base/log.h"
#include "base/readpath.h"
#include "ipc/server-priv.h"

uint32_t lf_srv_client_path(const struct lf_server *s, const struct srv_client *c)
{
	enum lf_read_path p;

	if (!s->have_format)
		return LF_READ_PATH_NONE;
	p = lf_read_path_decide(s->fmt.buffer_type, s->fmt.has_modifier, s->fmt.modifier,
				s->readback_ok, c->caps & LF_CAP_GPU_IMPORT);
	if (p == LF_READ_LINEAR_INVALID && !s->invalid_logged && !(c->caps & LF_CAP_NO_FRAMES)) {
		/* struct lf_server is ours to flag; the cast keeps the getter pure for callers. */
		((struct lf_server *)s)->invalid_logged = true;
		lf_notice("no GPU readback: CPU readers map the INVALID (implicit) dmabuf as linear "
			  "with the producer's stride; right for Mutter 43-46.beta and KWin 5.27, "
			  "garbage if the driver tiled it");
	}
	return (uint32_t)p;
}

static bool copy_client_hungry(const struct lf_server *s, const struct srv_client *c)
{
	uint64_t have = s->latest_copy ? s->latest_copy->seq : 0;

	return c->ready && !(c->caps & LF_CAP_NO_FRAMES) && c->path == LF_READ_PATH_GPU_READBACK &&
	       lf_lease_set_has_credit(&c->leases) && c->last_seq < s->latest->seq &&
	       have < s->latest->seq;
}

bool lf_server_copy_wanted(struct lf_server *s)
{
	struct srv_client *c;

	if (!s || !s->latest || !s->readback_ok)
		return false;
	spa_list_for_each(c, &s->clients, link)
		if (copy_client_hungry(s, c))
			return true;
	return false;
}

void lf_srv_copy_check(struct lf_server *s, const struct srv_client *c)
{
	if (s->latest && s->readback_ok && copy_client_hungry(s, c) && s->events &&
	    s->events->copy_wanted)
		s->events->copy_wanted(s->data);
}

const struct lf_frame *lf_srv_latest_for(struct lf_server *s, const struct srv_client *c,
					 uint64_t *idx)
{
	*idx = s->latest_idx;
	return c->path == LF_READ_PATH_GPU_READBACK ? s->latest_copy : s->latest;
}

const struct lf_frame *lf_server_latest(struct lf_server *s)
{
	return s ? s->latest : NULL;
}

void lf_srv_copy_drop(struct lf_server *s)
{
	struct lf_frame *old = s->latest_copy;

	s->latest_copy = NULL;
	lf_frame_free(old);
}

void lf_server_set_readback(struct lf_server *s, bool available)
{
	struct srv_client *c, *t;

	if (!s || s->readback_ok == available)
		return;
	s->readback_ok = available;
	if (s->wire_generation == 0 || !s->have_format)
		return;
	/* Paths change: the buffers each client knows are void. */
	s->wire_generation++;
	s->invalid_logged = false;
	lf_srv_copy_drop(s);
	spa_list_for_each_safe(c, t, &s->clients, link) {
		if (!c->ready || lf_srv_client_send_format(c) < 0)
			continue;
		if (s->latest && lf_srv_client_offer(c, s->latest, s->latest_idx, false) < 0)
			continue;
		lf_srv_copy_check(s, c); /* a reader now on the readback path */
	}
}

void lf_server_publish_copy(struct lf_server *s, struct lf_frame *f)
{
	struct srv_client *c, *t;
	struct lf_frame *old;

	if (!s || !f || !f->buf || !s->have_format || !s->readback_ok ||
	    f->buf->generation != s->cap_generation ||
	    (s->latest_copy && f->seq <= s->latest_copy->seq)) {
		lf_frame_free(f);
		return;
	}
	old = s->latest_copy;
	s->latest_copy = f;
	lf_frame_free(old);
	spa_list_for_each_safe(c, t, &s->clients, link)
		lf_srv_client_offer(c, f, s->latest_idx, false);
}
