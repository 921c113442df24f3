/* SPDX-License-Identifier: MIT */
/*
 * Modifiers the local GPU can import, from EGL on the device platform
 * (EGL_EXT_platform_device): that works without a display server and on
 * NVIDIA machines without /dev/dri. Software EGL (llvmpipe) has no dmabuf
 * import extension; then nothing is added and the caller keeps LINEAR and
 * INVALID only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture/egl-device.h"
#include "capture/formats.h"
#include "capture/modifiers.h"
#include "base/log.h"

static int query_display(PFNEGLQUERYDMABUFMODIFIERSEXTPROC query_modifiers, EGLDisplay dpy,
			 struct lf_modset *s)
{
	EGLuint64KHR *mods = NULL;
	EGLBoolean *ext_only = NULL;
	EGLint n, cap = 0;
	int added = 0, r;

	for (size_t i = 0; i < lf_format_count(); i++) {
		uint32_t fourcc = lf_format_at(i)->drm_format;

		if (!query_modifiers(dpy, (EGLint)fourcc, 0, NULL, NULL, &n) || n <= 0)
			continue;
		if (n > cap) {
			free(mods);
			free(ext_only);
			mods = calloc((size_t)n, sizeof(*mods));
			ext_only = calloc((size_t)n, sizeof(*ext_only));
			if (!mods || !ext_only) {
				added = -ENOMEM;
				goto out;
			}
			cap = n;
		}
		if (!query_modifiers(dpy, (EGLint)fourcc, cap, mods, ext_only, &n))
			continue;
		for (EGLint j = 0; j < n && j < cap; j++) {
			/* external_only: importable only as GL_TEXTURE_EXTERNAL_OES,
			 * which clients reading pixels cannot rely on. */
			if (ext_only[j])
				continue;
			r = lf_modset_add(s, fourcc, mods[j], true);
			if (r < 0) {
				added = r;
				goto out;
			}
			added += r;
		}
	}
out:
	free(mods);
	free(ext_only);
	return added;
}

int lf_egl_query_modifiers(const char *render_node, struct lf_modset *s)
{
	struct lf_egl_devices it;
	PFNEGLQUERYDMABUFMODIFIERSEXTPROC query_modifiers =
		(PFNEGLQUERYDMABUFMODIFIERSEXTPROC)eglGetProcAddress("eglQueryDmaBufModifiersEXT");
	EGLDisplay dpy;
	int added = 0;

	if (!query_modifiers || lf_egl_devices_init(&it, render_node) < 0)
		return 0;
	/* The first matching device that lists any modifier wins. */
	while (added == 0 &&
	       (dpy = lf_egl_devices_next(&it, "EGL_EXT_image_dma_buf_import_modifiers", NULL)) !=
		       EGL_NO_DISPLAY) {
		added = query_display(query_modifiers, dpy, s);
		lf_egl_display_put(dpy);
	}
	if (added < 0)
		lf_warn("capture: EGL modifier query failed: %s", strerror(-added));
	return added < 0 ? 0 : added;
}
