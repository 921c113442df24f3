/* SPDX-License-Identifier: MIT */
#include "capture/egl-device.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "base/log.h"

bool lf_egl_has_ext(const char *list, const char *ext)
{
	size_t n = strlen(ext);

	for (const char *p = list; p && (p = strstr(p, ext)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static const char *device_file(const struct lf_egl_devices *it, EGLDeviceEXT dev,
			       bool render)
{
	const char *exts = it->query_device_string(dev, EGL_EXTENSIONS);

#ifdef EGL_DRM_RENDER_NODE_FILE_EXT
	if (render && lf_egl_has_ext(exts, "EGL_EXT_device_drm_render_node"))
		return it->query_device_string(dev, EGL_DRM_RENDER_NODE_FILE_EXT);
#endif
	if (!render && lf_egl_has_ext(exts, "EGL_EXT_device_drm"))
		return it->query_device_string(dev, EGL_DRM_DEVICE_FILE_EXT);
	return NULL;
}

static bool device_matches(const struct lf_egl_devices *it, EGLDeviceEXT dev)
{
	const char *exts = it->query_device_string(dev, EGL_EXTENSIONS);
	const char *file;

	if (lf_egl_has_ext(exts, "EGL_MESA_device_software"))
		return it->allow_software; /* llvmpipe: imports nothing */
	if (!it->node)
		return true;
	file = device_file(it, dev, true);
	if (file && strcmp(file, it->node) == 0)
		return true;
	file = device_file(it, dev, false);
	return file && strcmp(file, it->node) == 0;
}

int lf_egl_devices_init(struct lf_egl_devices *it, const char *render_node)
{
	const char *client_exts = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);

	memset(it, 0, sizeof(*it));
	it->node = render_node;
	if (!lf_egl_has_ext(client_exts, "EGL_EXT_device_enumeration") &&
	    !lf_egl_has_ext(client_exts, "EGL_EXT_device_base")) {
		lf_debug("capture: EGL has no device enumeration");
		return -ENOTSUP;
	}
	if (!lf_egl_has_ext(client_exts, "EGL_EXT_platform_device"))
		return -ENOTSUP;
	it->query_devices = (PFNEGLQUERYDEVICESEXTPROC)eglGetProcAddress("eglQueryDevicesEXT");
	it->query_device_string =
		(PFNEGLQUERYDEVICESTRINGEXTPROC)eglGetProcAddress("eglQueryDeviceStringEXT");
	it->get_platform_display =
		(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
	if (!it->query_devices || !it->query_device_string || !it->get_platform_display)
		return -ENOTSUP;
	if (!it->query_devices(LF_EGL_MAX_DEVICES, it->devs, &it->n)) {
		it->n = 0;
		return -ENOTSUP;
	}
	return 0;
}

/* Users per initialised display (see lf_egl_display_put). */
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	EGLDisplay dpy;
	unsigned users;
} held[LF_EGL_MAX_DEVICES];

static bool display_get(EGLDisplay dpy)
{
	EGLint major, minor;
	bool ok = false;

	pthread_mutex_lock(&held_lock);
	for (unsigned i = 0; i < LF_EGL_MAX_DEVICES && !ok; i++)
		if (held[i].dpy == dpy && held[i].users) {
			held[i].users++;
			ok = true;
		}
	for (unsigned i = 0; i < LF_EGL_MAX_DEVICES && !ok; i++)
		if (!held[i].users) {
			ok = eglInitialize(dpy, &major, &minor);
			if (ok) {
				held[i].dpy = dpy;
				held[i].users = 1;
			}
			break;
		}
	pthread_mutex_unlock(&held_lock);
	return ok;
}

void lf_egl_display_put(EGLDisplay dpy)
{
	pthread_mutex_lock(&held_lock);
	for (unsigned i = 0; i < LF_EGL_MAX_DEVICES; i++)
		if (held[i].dpy == dpy && held[i].users) {
			if (--held[i].users == 0)
				eglTerminate(dpy);
			break;
		}
	pthread_mutex_unlock(&held_lock);
}

EGLDisplay lf_egl_devices_next(struct lf_egl_devices *it, const char *display_ext,
			       EGLDeviceEXT *dev_out)
{
	while (it->next < it->n) {
		EGLDeviceEXT dev = it->devs[it->next++];
		EGLDisplay dpy;

		if (!device_matches(it, dev))
			continue;
		dpy = it->get_platform_display(EGL_PLATFORM_DEVICE_EXT, dev, NULL);
		if (dpy == EGL_NO_DISPLAY || !display_get(dpy))
			continue;
		if (!lf_egl_has_ext(eglQueryString(dpy, EGL_EXTENSIONS), display_ext)) {
			lf_egl_display_put(dpy);
			continue;
		}
		if (dev_out)
			*dev_out = dev;
		return dpy;
	}
	return EGL_NO_DISPLAY;
}

const char *lf_egl_device_name(const struct lf_egl_devices *it, EGLDeviceEXT dev)
{
	const char *file = device_file(it, dev, true);

	if (!file)
		file = device_file(it, dev, false);
	return file ? file : "an EGL device without a DRM node";
}
