/* SPDX-License-Identifier: MIT */
#pragma once
/* Internals of the readback engine: the GL side (readback-gl.c), which
 * only the worker thread of readback.c ever calls. */
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES3/gl3.h>
#include <GLES2/gl2ext.h>

#include "capture/readback.h"

struct rb_gl {
	EGLDisplay dpy;
	EGLContext ctx;
	bool can_import;
	PFNEGLCREATEIMAGEKHRPROC create_image;
	PFNEGLDESTROYIMAGEKHRPROC destroy_image;
	PFNGLEGLIMAGETARGETTEXTURE2DOESPROC image_target;
	GLuint prog, vao, fbo, rbo;
	GLint u_swap, u_opaque;
	uint32_t fbo_w, fbo_h;
	GLenum fbo_internal;
	char device[128];
};

/* Make the context current on the calling thread (the worker). */
int lf_rb_gl_init(struct rb_gl *g, const struct lf_readback_options *opts, char *why,
		  size_t why_len);
void lf_rb_gl_fini(struct rb_gl *g);
int lf_rb_gl_run(struct rb_gl *g, const struct lf_readback_src *src,
		 const struct lf_readback_dst *dst, struct lf_readback_timing *t, char *why,
		 size_t why_len);
int lf_rb_gl_texture(struct rb_gl *g, uint32_t fourcc, uint32_t width, uint32_t height,
		     const void *pixels, uint32_t stride, uint32_t *tex);
void lf_rb_gl_texture_free(struct rb_gl *g, uint32_t tex);
