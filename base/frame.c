/* SPDX-License-Identifier: MIT */
#include "base/frame.h"

#include <stdlib.h>
#include <unistd.h>

struct lf_frame *lf_frame_new(struct lf_buffer *buf)
{
	struct lf_frame *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	for (unsigned i = 0; i < LF_MAX_PLANES; i++)
		f->fences[i] = -1;
	if (buf)
		f->buf = lf_buffer_ref(buf);
	return f;
}

void lf_frame_free(struct lf_frame *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < LF_MAX_PLANES; i++)
		if (f->fences[i] >= 0)
			close(f->fences[i]);
	lf_buffer_unref(f->buf);
	free(f);
}
