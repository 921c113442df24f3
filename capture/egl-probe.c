/* SPDX-License-Identifier: MIT */
#include "capture/egl-probe.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <drm_fourcc.h>

#include "capture/egl-device.h"
#include "base/log.h"

struct lf_egl_probe {
	EGLDisplay dpy;
	PFNEGLCREATEIMAGEKHRPROC create_image;
	PFNEGLDESTROYIMAGEKHRPROC destroy_image;
	char device[128];
};

/* Per plane: fd, offset, pitch, modifier lo, modifier hi. */
static const EGLint plane_keys[LF_MAX_PLANES][5] = {
	{ EGL_DMA_BUF_PLANE0_FD_EXT, EGL_DMA_BUF_PLANE0_OFFSET_EXT, EGL_DMA_BUF_PLANE0_PITCH_EXT,
	  EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT, EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT },
	{ EGL_DMA_BUF_PLANE1_FD_EXT, EGL_DMA_BUF_PLANE1_OFFSET_EXT, EGL_DMA_BUF_PLANE1_PITCH_EXT,
	  EGL_DMA_BUF_PLANE1_MODIFIER_LO_EXT, EGL_DMA_BUF_PLANE1_MODIFIER_HI_EXT },
	{ EGL_DMA_BUF_PLANE2_FD_EXT, EGL_DMA_BUF_PLANE2_OFFSET_EXT, EGL_DMA_BUF_PLANE2_PITCH_EXT,
	  EGL_DMA_BUF_PLANE2_MODIFIER_LO_EXT, EGL_DMA_BUF_PLANE2_MODIFIER_HI_EXT },
	{ EGL_DMA_BUF_PLANE3_FD_EXT, EGL_DMA_BUF_PLANE3_OFFSET_EXT, EGL_DMA_BUF_PLANE3_PITCH_EXT,
	  EGL_DMA_BUF_PLANE3_MODIFIER_LO_EXT, EGL_DMA_BUF_PLANE3_MODIFIER_HI_EXT },
};

int lf_egl_probe_attribs(const struct lf_dmabuf_desc *d, int32_t *attr, size_t cap)
{
	/* INVALID means "the driver knows the layout" (implicit): passing it
	 * as a modifier would ask for an explicit layout that does not exist. */
	bool explicit_mod = d->modifier != DRM_FORMAT_MOD_INVALID;
	size_t n = 0, need;

	if (d->n_planes == 0 || d->n_planes > LF_MAX_PLANES || d->width == 0 ||
	    d->height == 0 || d->width > INT32_MAX || d->height > INT32_MAX)
		return -EINVAL;
	for (uint32_t i = 0; i < d->n_planes; i++)
		if (d->planes[i].fd < 0 || d->planes[i].stride == 0 ||
		    d->planes[i].stride > INT32_MAX || d->planes[i].offset > INT32_MAX)
			return -EINVAL;
	need = 6 + d->n_planes * (explicit_mod ? 10 : 6) + 1;
	if (need > cap)
		return -ENOSPC;
	attr[n++] = EGL_WIDTH;
	attr[n++] = (int32_t)d->width;
	attr[n++] = EGL_HEIGHT;
	attr[n++] = (int32_t)d->height;
	attr[n++] = EGL_LINUX_DRM_FOURCC_EXT;
	attr[n++] = (int32_t)d->fourcc;
	for (uint32_t i = 0; i < d->n_planes; i++) {
		attr[n++] = plane_keys[i][0];
		attr[n++] = d->planes[i].fd;
		attr[n++] = plane_keys[i][1];
		attr[n++] = (int32_t)d->planes[i].offset;
		attr[n++] = plane_keys[i][2];
		attr[n++] = (int32_t)d->planes[i].stride;
		if (!explicit_mod)
			continue;
		attr[n++] = plane_keys[i][3];
		attr[n++] = (int32_t)(uint32_t)(d->modifier & 0xffffffffu);
		attr[n++] = plane_keys[i][4];
		attr[n++] = (int32_t)(uint32_t)(d->modifier >> 32);
	}
	attr[n++] = EGL_NONE;
	return (int)n;
}

int lf_egl_probe_new(const char *render_node, struct lf_egl_probe **out)
{
	struct lf_egl_devices it;
	struct lf_egl_probe *p = NULL;
	EGLDisplay dpy = EGL_NO_DISPLAY;
	EGLDeviceEXT dev;
	int r;

	*out = NULL;
	if ((r = lf_egl_devices_init(&it, render_node)) < 0) {
		r = -ENODEV;
		goto fail;
	}
	/* The modifier attributes need this extension; the modifier query
	 * asked the first device that has it, so this is the same GPU. */
	dpy = lf_egl_devices_next(&it, "EGL_EXT_image_dma_buf_import_modifiers", &dev);
	if (dpy == EGL_NO_DISPLAY) {
		r = -ENODEV;
		goto fail;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		r = -ENOMEM;
		goto fail;
	}
	p->create_image = (PFNEGLCREATEIMAGEKHRPROC)eglGetProcAddress("eglCreateImageKHR");
	p->destroy_image = (PFNEGLDESTROYIMAGEKHRPROC)eglGetProcAddress("eglDestroyImageKHR");
	if (!p->create_image || !p->destroy_image ||
	    !lf_egl_has_ext(eglQueryString(dpy, EGL_EXTENSIONS), "EGL_KHR_image_base")) {
		r = -ENODEV;
		goto fail;
	}
	snprintf(p->device, sizeof(p->device), "%s", lf_egl_device_name(&it, dev));
	p->dpy = dpy;
	*out = p;
	return 0;
fail:
	if (dpy != EGL_NO_DISPLAY)
		lf_egl_display_put(dpy);
	free(p);
	return r;
}

void lf_egl_probe_destroy(struct lf_egl_probe *p)
{
	if (!p)
		return;
	lf_egl_display_put(p->dpy);
	free(p);
}

const char *lf_egl_probe_device(const struct lf_egl_probe *p)
{
	return p ? p->device : "none";
}

static const char *egl_error_name(EGLint e)
{
	switch (e) {
	case EGL_SUCCESS: return "EGL_SUCCESS";
	case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED";
	case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS";
	case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC";
	case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE";
	case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT";
	case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY";
	case EGL_BAD_MATCH: return "EGL_BAD_MATCH";
	case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER";
	default: return "EGL error";
	}
}

static int egl_error_errno(EGLint e)
{
	switch (e) {
	case EGL_BAD_MATCH: return -ENOTSUP;   /* the spec's "format/modifier not supported" */
	case EGL_BAD_ATTRIBUTE:
	case EGL_BAD_PARAMETER: return -EINVAL;
	case EGL_BAD_ACCESS: return -EACCES;
	case EGL_BAD_ALLOC: return -ENOMEM;
	default: return -EIO;
	}
}

int lf_egl_probe_import(struct lf_egl_probe *p, const struct lf_dmabuf_desc *d)
{
	int32_t attr[LF_EGL_PROBE_MAX_ATTRIBS];
	EGLImageKHR img;
	EGLint err;
	int r;

	if (!p || !d)
		return -EINVAL;
	r = lf_egl_probe_attribs(d, attr, LF_EGL_PROBE_MAX_ATTRIBS);
	if (r < 0)
		return r;
	eglGetError(); /* a stale error from elsewhere must not be blamed on this import */
	img = p->create_image(p->dpy, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, NULL,
			      (const EGLint *)attr);
	if (img == EGL_NO_IMAGE_KHR) {
		err = eglGetError();
		r = egl_error_errno(err);
		lf_warn("capture: import probe on %s: %.4s %ux%u modifier 0x%016" PRIx64
			" (%u plane%s) refused: %s (0x%04x)", p->device, (const char *)&d->fourcc,
			d->width, d->height, d->modifier, d->n_planes, d->n_planes == 1 ? "" : "s",
			egl_error_name(err), (unsigned)err);
		return r;
	}
	p->destroy_image(p->dpy, img);
	return 0;
}

void lf_probe_book_negotiated(struct lf_probe_book *b, bool dmabuf, uint32_t fourcc,
			      uint64_t modifier)
{
	b->pending = false;
	if (!dmabuf)
		return;
	for (size_t i = 0; i < b->n_done; i++)
		if (b->done[i].fourcc == fourcc && b->done[i].modifier == modifier)
			return;
	/* Full: stop probing rather than forget and probe pairs again. */
	if (b->n_done == LF_PROBE_BOOK_MAX)
		return;
	b->pending = true;
	b->fourcc = fourcc;
	b->modifier = modifier;
}

bool lf_probe_book_take(struct lf_probe_book *b, uint32_t fourcc, uint64_t modifier)
{
	if (!b->pending || b->fourcc != fourcc || b->modifier != modifier)
		return false;
	b->pending = false;
	b->done[b->n_done].fourcc = fourcc;
	b->done[b->n_done].modifier = modifier;
	b->n_done++;
	return true;
}
