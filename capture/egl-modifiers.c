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

#include <EGL/egl.h>
#include <EGL/eglext.h>

#include "capture/formats.h"
#include "capture/modifiers.h"
#include "daemon/log.h"

#define MAX_DEVICES 16

struct egl_fns {
	PFNEGLQUERYDEVICESEXTPROC query_devices;
	PFNEGLQUERYDEVICESTRINGEXTPROC query_device_string;
	PFNEGLGETPLATFORMDISPLAYEXTPROC get_platform_display;
	PFNEGLQUERYDMABUFMODIFIERSEXTPROC query_modifiers;
};

static bool has_ext(const char *list, const char *ext)
{
	size_t n = strlen(ext);

	for (const char *p = list; p && (p = strstr(p, ext)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static bool device_matches(const struct egl_fns *fn, EGLDeviceEXT dev, const char *node)
{
	const char *exts = fn->query_device_string(dev, EGL_EXTENSIONS);
	const char *file;

	if (has_ext(exts, "EGL_MESA_device_software"))
		return false; /* llvmpipe: imports nothing */
	if (!node)
		return true;
#ifdef EGL_DRM_RENDER_NODE_FILE_EXT
	if (has_ext(exts, "EGL_EXT_device_drm_render_node")) {
		file = fn->query_device_string(dev, EGL_DRM_RENDER_NODE_FILE_EXT);
		if (file && strcmp(file, node) == 0)
			return true;
	}
#endif
	if (has_ext(exts, "EGL_EXT_device_drm")) {
		file = fn->query_device_string(dev, EGL_DRM_DEVICE_FILE_EXT);
		if (file && strcmp(file, node) == 0)
			return true;
	}
	return false;
}

static int query_display(const struct egl_fns *fn, EGLDisplay dpy, struct lf_modset *s)
{
	EGLuint64KHR *mods = NULL;
	EGLBoolean *ext_only = NULL;
	EGLint n, cap = 0;
	int added = 0, r;

	for (size_t i = 0; i < lf_format_count(); i++) {
		uint32_t fourcc = lf_format_at(i)->drm_format;

		if (!fn->query_modifiers(dpy, (EGLint)fourcc, 0, NULL, NULL, &n) || n <= 0)
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
		if (!fn->query_modifiers(dpy, (EGLint)fourcc, cap, mods, ext_only, &n))
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
	struct egl_fns fn;
	EGLDeviceEXT devs[MAX_DEVICES];
	EGLint n_devs = 0;
	const char *client_exts = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	int added = 0;

	if (!has_ext(client_exts, "EGL_EXT_device_enumeration") &&
	    !has_ext(client_exts, "EGL_EXT_device_base")) {
		lf_debug("capture: EGL has no device enumeration");
		return 0;
	}
	if (!has_ext(client_exts, "EGL_EXT_platform_device"))
		return 0;
	fn.query_devices = (PFNEGLQUERYDEVICESEXTPROC)eglGetProcAddress("eglQueryDevicesEXT");
	fn.query_device_string =
		(PFNEGLQUERYDEVICESTRINGEXTPROC)eglGetProcAddress("eglQueryDeviceStringEXT");
	fn.get_platform_display =
		(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
	fn.query_modifiers =
		(PFNEGLQUERYDMABUFMODIFIERSEXTPROC)eglGetProcAddress("eglQueryDmaBufModifiersEXT");
	if (!fn.query_devices || !fn.query_device_string || !fn.get_platform_display ||
	    !fn.query_modifiers)
		return 0;
	if (!fn.query_devices(MAX_DEVICES, devs, &n_devs))
		return 0;
	for (EGLint i = 0; i < n_devs && added == 0; i++) {
		EGLDisplay dpy;
		EGLint major, minor;

		if (!device_matches(&fn, devs[i], render_node))
			continue;
		dpy = fn.get_platform_display(EGL_PLATFORM_DEVICE_EXT, devs[i], NULL);
		if (dpy == EGL_NO_DISPLAY)
			continue;
		if (!eglInitialize(dpy, &major, &minor))
			continue;
		if (has_ext(eglQueryString(dpy, EGL_EXTENSIONS),
			    "EGL_EXT_image_dma_buf_import_modifiers"))
			added = query_display(&fn, dpy, s);
		eglTerminate(dpy);
	}
	if (added < 0)
		lf_warn("capture: EGL modifier query failed: %s", strerror(-added));
	return added < 0 ? 0 : added;
}
