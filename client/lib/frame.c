/* SPDX-License-Identifier: MIT */
/* Frames for the application: taking them, mapping their planes, giving them back. */
#include <errno.h>
#include <linux/dma-buf.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client/lib/client.h"

static bool have_frame(struct lastframe *lf, void *data)
{
	return lf->queue_head != NULL;
}

int lastframe_next_frame(struct lastframe *lf, int timeout_ms, struct lastframe_frame **out)
{
	struct lf_client_frame *f;
	int r;

	if (!lf || !out)
		return -EINVAL;
	*out = NULL;
	r = lf_client_wait(lf, timeout_ms, have_frame, NULL);
	if (r < 0)
		return r;
	f = lf->queue_head;
	lf->queue_head = f->next;
	if (!lf->queue_head)
		lf->queue_tail = NULL;
	f->next = lf->held;
	lf->held = f;
	*out = &f->pub;
	return 0;
}

/* Frames handed out are tracked so a stray pointer gives -EINVAL, not a crash. */
static struct lf_client_frame **find_held(struct lastframe *lf, const struct lastframe_frame *pub)
{
	for (struct lf_client_frame **p = &lf->held; *p; p = &(*p)->next)
		if (&(*p)->pub == pub)
			return p;
	return NULL;
}

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags | DMA_BUF_SYNC_READ };

	for (;;) {
		if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) == 0)
			return 0;
		if (errno == EINTR || errno == EAGAIN)
			continue;
		/* A memfd behind a "dmabuf" label (SHM fallbacks, tests) has no sync. */
		if (errno == ENOTTY || errno == EINVAL)
			return 0;
		return -errno;
	}
}

static int map_plane(struct lf_client_buffer *b, unsigned i)
{
	size_t len = (size_t)b->planes[i].offset + b->planes[i].size;
	off_t end;
	void *p;

	if (b->map[i])
		return 0;
	/* Touching past the end of a memfd is SIGBUS: refuse a plane that claims
	 * more than the file holds. (dmabufs report their size through lseek too.) */
	end = lseek(b->fds[i], 0, SEEK_END);
	if (end >= 0 && (uint64_t)end < len)
		return -EBADMSG;
	/* MAP_POPULATE: one kernel pass instead of a fault per page on first read. */
	p = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, b->fds[i], 0);
	if (p == MAP_FAILED)
		return -errno;
	b->map[i] = p;
	b->map_len[i] = len;
	return 0;
}

int lastframe_frame_map(struct lastframe *lf, struct lastframe_frame *pub, unsigned plane,
			const void **data, size_t *size)
{
	struct lf_client_frame **link, *f;
	struct lf_client_buffer *b;
	int r;

	if (!lf || !pub || !data || !(link = find_held(lf, pub)))
		return -EINVAL;
	f = *link;
	b = f->buf;
	if (plane >= b->n_planes)
		return -EINVAL;
	r = map_plane(b, plane);
	if (r < 0)
		return r;
	if (b->type == LF_WIRE_BUFFER_DMABUF && !(f->synced & (1u << plane))) {
		r = dmabuf_sync(b->fds[plane], DMA_BUF_SYNC_START);
		if (r < 0)
			return r;
		f->synced |= 1u << plane;
	}
	*data = (const uint8_t *)b->map[plane] + b->planes[plane].offset;
	if (size)
		*size = b->planes[plane].size;
	return 0;
}

static int end_access(struct lf_client_frame *f, unsigned plane)
{
	if (!(f->synced & (1u << plane)))
		return 0;
	f->synced &= ~(1u << plane);
	return dmabuf_sync(f->buf->fds[plane], DMA_BUF_SYNC_END);
}

int lastframe_frame_unmap(struct lastframe *lf, struct lastframe_frame *pub, unsigned plane)
{
	struct lf_client_frame **link;

	if (!lf || !pub || !(link = find_held(lf, pub)))
		return -EINVAL;
	if (plane >= (*link)->buf->n_planes)
		return -EINVAL;
	/* The mapping itself stays cached with the buffer for the next frame. */
	return end_access(*link, plane);
}

int lastframe_frame_release(struct lastframe *lf, struct lastframe_frame *pub)
{
	struct lf_client_frame **link, *f;
	struct lf_msg_release rel;
	int r;

	if (!lf || !pub || !(link = find_held(lf, pub)))
		return -EINVAL;
	f = *link;
	*link = f->next;
	for (unsigned i = 0; i < f->buf->n_planes; i++)
		end_access(f, i);
	/* Sent even for an older generation: the daemon ignores stale releases,
	 * and it must see every one to give the credit back. */
	lf_client_build_release(&rel, pub->generation, pub->buffer_id, pub->seq);
	r = lf_client_send(lf, &rel, sizeof(rel));
	lf_client_frame_free(f);
	return r;
}
