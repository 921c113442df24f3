/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * EGL displays on the device platform (EGL_EXT_platform_device): the one
 * place that decides which GPU "the render node" means, shared by the
 * modifier query (egl-modifiers.c) and the import probe (egl-probe.c) so
 * both talk to the same device. Works without a display server and on
 * NVIDIA machines without /dev/dri; software devices (llvmpipe) are skipped
 * because they import no dmabufs.
 */
#include <stdbool.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>

#define LF_EGL_MAX_DEVICES 16

struct lf_egl_devices {
	PFNEGLQUERYDEVICESEXTPROC query_devices;
	PFNEGLQUERYDEVICESTRINGEXTPROC query_device_string;
	PFNEGLGETPLATFORMDISPLAYEXTPROC get_platform_display;
	EGLDeviceEXT devs[LF_EGL_MAX_DEVICES];
	EGLint n, next;
	const char *node;   /* borrowed; NULL = any hardware device */
	/* Accept software devices too (llvmpipe): set after init by users that
	 * need only a GL context, like the readback engine's texture-fed test. */
	bool allow_software;
};

/* Whether the space-separated extension list has ext (NULL list: no). */
bool lf_egl_has_ext(const char *list, const char *ext);

/* Enumerate the devices; -ENOTSUP when EGL cannot (no device platform). */
int lf_egl_devices_init(struct lf_egl_devices *it, const char *render_node);

/* The next hardware device matching the render node whose display has the
 * extension display_ext, initialised; EGL_NO_DISPLAY when none is left.
 * The caller gives it back with lf_egl_display_put(), never eglTerminate().
 * *dev_out (may be NULL) gets its device. */
EGLDisplay lf_egl_devices_next(struct lf_egl_devices *it, const char *display_ext,
			       EGLDeviceEXT *dev_out);

/* One user of a display from lf_egl_devices_next() is done with it. EGL
 * gives every user of a device the same EGLDisplay and eglTerminate() ends
 * it for all of them (the readback worker's context and images included,
 * while the modifier query and the import probe come and go), so the last
 * user terminates it. Thread-safe. */
void lf_egl_display_put(EGLDisplay dpy);

/* A name for logs: the device's DRM render/primary node, else "EGL device". */
const char *lf_egl_device_name(const struct lf_egl_devices *it, EGLDeviceEXT dev);
