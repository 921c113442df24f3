/* SPDX-License-Identifier: MIT */
/* The GL half of the readback engine; runs only on its worker thread. */
#include "capture/readback-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "base/log.h"
#include "base/util.h"
#include "capture/egl-device.h"
#include "capture/egl-probe.h"

/* How each format reaches memory. glReadPixels writes RGBA bytes (8 bit) or
 * 2_10_10_10_REV words with R in the low bits (10 bit); swap_rb turns that
 * into the B-first orders, opaque writes all ones where the format has X. */
struct rb_fmt {
	uint32_t fourcc;
	GLenum internal, type;
	bool swap_rb, opaque;
};

static const struct rb_fmt formats[] = {
	{ DRM_FORMAT_XRGB8888, GL_RGBA8, GL_UNSIGNED_BYTE, true, true },
	{ DRM_FORMAT_ARGB8888, GL_RGBA8, GL_UNSIGNED_BYTE, true, false },
	{ DRM_FORMAT_XBGR8888, GL_RGBA8, GL_UNSIGNED_BYTE, false, true },
	{ DRM_FORMAT_ABGR8888, GL_RGBA8, GL_UNSIGNED_BYTE, false, false },
	{ DRM_FORMAT_XRGB2101010, GL_RGB10_A2, GL_UNSIGNED_INT_2_10_10_10_REV, true, true },
	{ DRM_FORMAT_ARGB2101010, GL_RGB10_A2, GL_UNSIGNED_INT_2_10_10_10_REV, true, false },
	{ DRM_FORMAT_XBGR2101010, GL_RGB10_A2, GL_UNSIGNED_INT_2_10_10_10_REV, false, true },
	{ DRM_FORMAT_ABGR2101010, GL_RGB10_A2, GL_UNSIGNED_INT_2_10_10_10_REV, false, false },
};

static const struct rb_fmt *fmt_find(uint32_t fourcc)
{
	for (size_t i = 0; i < LF_ARRAY_SIZE(formats); i++)
		if (formats[i].fourcc == fourcc)
			return &formats[i];
	return NULL;
}

bool lf_readback_supports(uint32_t fourcc)
{
	return fmt_find(fourcc) != NULL;
}

uint32_t lf_readback_bpp(uint32_t fourcc)
{
	return fmt_find(fourcc) ? 4 : 0;
}

int lf_readback_check_src(const struct lf_readback_src *src, const struct lf_readback_dst *dst,
			  const char **why)
{
	uint64_t row = (uint64_t)src->width * 4;

	if (!fmt_find(src->fourcc)) {
		*why = "pixel format not supported by the readback";
		return -ENOTSUP;
	}
	if (src->width == 0 || src->height == 0 || src->width > 16384 || src->height > 16384) {
		*why = "size out of range";
		return -EINVAL;
	}
	if (!dst->map || dst->stride < row || dst->stride % 4 ||
	    (uint64_t)dst->stride * (src->height - 1) + row > dst->size) {
		*why = "destination too small for the frame";
		return -EINVAL;
	}
	if (src->texture)
		return 0;
	if (src->n_planes != 1) {
		*why = "plane count does not match the format (one plane)";
		return -EINVAL;
	}
	if (src->planes[0].fd < 0) {
		*why = "plane without an fd";
		return -EINVAL;
	}
	/* An implicit layout's stride is the producer's word; a linear one
	 * must at least hold a row. */
	if (src->planes[0].stride == 0 ||
	    (src->modifier == DRM_FORMAT_MOD_LINEAR && src->planes[0].stride < row)) {
		*why = "stride smaller than a row of the format";
		return -EINVAL;
	}
	return 0;
}

static const char vs_src[] =
	"#version 300 es\n"
	"void main() {\n"
	"  vec2 p = vec2(float((gl_VertexID & 1) * 4 - 1), float((gl_VertexID & 2) * 2 - 1));\n"
	"  gl_Position = vec4(p, 0.0, 1.0);\n"
	"}\n";
/* texelFetch at the fragment's own pixel: an exact copy, no filtering.
 * Row 0 of the buffer is t = 0 and is also the first row glReadPixels
 * returns, so no flip. */
static const char fs_src[] =
	"#version 300 es\n"
	"precision highp float;\n"
	"uniform highp sampler2D tex;\n"
	"uniform int swap_rb;\n"
	"uniform int opaque;\n"
	"out vec4 o;\n"
	"void main() {\n"
	"  vec4 c = texelFetch(tex, ivec2(gl_FragCoord.xy), 0);\n"
	"  if (swap_rb != 0) c = c.bgra;\n"
	"  if (opaque != 0) c.a = 1.0;\n"
	"  o = c;\n"
	"}\n";

static GLuint shader_new(GLenum type, const char *text, char *why, size_t why_len)
{
	GLuint sh = glCreateShader(type);
	GLint ok = 0;
	char log[256] = "";

	glShaderSource(sh, 1, &text, NULL);
	glCompileShader(sh);
	glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		glGetShaderInfoLog(sh, sizeof(log), NULL, log);
		snprintf(why, why_len, "shader does not compile: %s", log);
		glDeleteShader(sh);
		return 0;
	}
	return sh;
}

static int program_new(struct rb_gl *g, char *why, size_t why_len)
{
	GLuint vs = shader_new(GL_VERTEX_SHADER, vs_src, why, why_len);
	GLuint fs = vs ? shader_new(GL_FRAGMENT_SHADER, fs_src, why, why_len) : 0;
	GLint ok = 0;

	if (!fs) {
		if (vs)
			glDeleteShader(vs);
		return -EIO;
	}
	g->prog = glCreateProgram();
	glAttachShader(g->prog, vs);
	glAttachShader(g->prog, fs);
	glLinkProgram(g->prog);
	glDeleteShader(vs);
	glDeleteShader(fs);
	glGetProgramiv(g->prog, GL_LINK_STATUS, &ok);
	if (!ok) {
		snprintf(why, why_len, "shader program does not link");
		return -EIO;
	}
	glUseProgram(g->prog);
	glUniform1i(glGetUniformLocation(g->prog, "tex"), 0);
	g->u_swap = glGetUniformLocation(g->prog, "swap_rb");
	g->u_opaque = glGetUniformLocation(g->prog, "opaque");
	glGenVertexArrays(1, &g->vao);
	glGenFramebuffers(1, &g->fbo);
	glGenRenderbuffers(1, &g->rbo);
	return glGetError() == GL_NO_ERROR ? 0 : -EIO;
}

static EGLDisplay display_try(struct rb_gl *g, const struct lf_readback_options *opts,
			      bool software)
{
	struct lf_egl_devices it;
	EGLDeviceEXT dev;
	EGLDisplay dpy;

	if (lf_egl_devices_init(&it, opts->render_node) < 0)
		return EGL_NO_DISPLAY;
	it.allow_software = software;
	/* The daemon's readback must import on the GPU the modifier query
	 * asked (the first hardware device with the modifiers extension). */
	dpy = lf_egl_devices_next(&it, opts->texture_only ? "EGL_KHR_surfaceless_context"
							  : "EGL_EXT_image_dma_buf_import_modifiers",
				  &dev);
	if (dpy == EGL_NO_DISPLAY)
		return dpy;
	if (lf_egl_has_ext(it.query_device_string(dev, EGL_EXTENSIONS), "EGL_MESA_device_software"))
		snprintf(g->device, sizeof(g->device), "a software EGL device (llvmpipe)");
	else
		snprintf(g->device, sizeof(g->device), "%s", lf_egl_device_name(&it, dev));
	return dpy;
}

static EGLDisplay display_open(struct rb_gl *g, const struct lf_readback_options *opts)
{
	EGLDisplay dpy = display_try(g, opts, false);

	if (dpy == EGL_NO_DISPLAY && opts->texture_only && !opts->require_hardware)
		dpy = display_try(g, opts, true);
	return dpy;
}

int lf_rb_gl_init(struct rb_gl *g, const struct lf_readback_options *opts, char *why,
		  size_t why_len)
{
	static const EGLint ctx_attr[] = { EGL_CONTEXT_MAJOR_VERSION, 3, EGL_NONE };
	static const EGLint cfg_attr[] = { EGL_RENDERABLE_TYPE, EGL_OPENGL_ES3_BIT,
					   EGL_SURFACE_TYPE, 0, EGL_NONE };
	EGLConfig cfg = EGL_NO_CONFIG_KHR;
	const char *exts;
	EGLint n = 0;

	memset(g, 0, sizeof(*g));
	g->dpy = display_open(g, opts);
	if (g->dpy == EGL_NO_DISPLAY) {
		snprintf(why, why_len, "%s", opts->texture_only
			 ? "no EGL device with surfaceless contexts"
			 : "no hardware EGL device imports dmabufs with modifiers");
		return -ENODEV;
	}
	exts = eglQueryString(g->dpy, EGL_EXTENSIONS);
	if (!lf_egl_has_ext(exts, "EGL_KHR_surfaceless_context")) {
		snprintf(why, why_len, "%s has no surfaceless contexts", g->device);
		return -ENODEV;
	}
	if (!lf_egl_has_ext(exts, "EGL_KHR_no_config_context") &&
	    (!eglChooseConfig(g->dpy, cfg_attr, &cfg, 1, &n) || n < 1)) {
		snprintf(why, why_len, "%s has no GL ES 3 config", g->device);
		return -ENODEV;
	}
	if (!eglBindAPI(EGL_OPENGL_ES_API) ||
	    (g->ctx = eglCreateContext(g->dpy, cfg, EGL_NO_CONTEXT, ctx_attr)) == EGL_NO_CONTEXT ||
	    !eglMakeCurrent(g->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, g->ctx)) {
		snprintf(why, why_len, "%s: no GL ES 3 context (EGL error 0x%x)", g->device,
			 eglGetError());
		return -ENODEV;
	}
	g->create_image = (PFNEGLCREATEIMAGEKHRPROC)eglGetProcAddress("eglCreateImageKHR");
	g->destroy_image = (PFNEGLDESTROYIMAGEKHRPROC)eglGetProcAddress("eglDestroyImageKHR");
	g->image_target = (PFNGLEGLIMAGETARGETTEXTURE2DOESPROC)eglGetProcAddress(
		"glEGLImageTargetTexture2DOES");
	g->can_import = lf_egl_has_ext(exts, "EGL_EXT_image_dma_buf_import") &&
			g->create_image && g->destroy_image && g->image_target &&
			lf_egl_has_ext((const char *)glGetString(GL_EXTENSIONS), "GL_OES_EGL_image");
	if (!g->can_import && !opts->texture_only) {
		snprintf(why, why_len, "%s cannot import dmabufs into GL textures", g->device);
		return -ENODEV;
	}
	return program_new(g, why, why_len) < 0 ? -ENODEV : 0;
}

void lf_rb_gl_fini(struct rb_gl *g)
{
	if (g->dpy == EGL_NO_DISPLAY)
		return;
	if (g->ctx != EGL_NO_CONTEXT) {
		if (g->prog) {
			glDeleteProgram(g->prog);
			glDeleteVertexArrays(1, &g->vao);
			glDeleteFramebuffers(1, &g->fbo);
			glDeleteRenderbuffers(1, &g->rbo);
		}
		eglMakeCurrent(g->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
		eglDestroyContext(g->dpy, g->ctx);
	}
	/* Release the thread's EGL state before the display goes. */
	eglReleaseThread();
	lf_egl_display_put(g->dpy);
	g->dpy = EGL_NO_DISPLAY;
}

static int fbo_prepare(struct rb_gl *g, const struct rb_fmt *f, uint32_t w, uint32_t h)
{
	if (g->fbo_w == w && g->fbo_h == h && g->fbo_internal == f->internal)
		return 0;
	glBindRenderbuffer(GL_RENDERBUFFER, g->rbo);
	glRenderbufferStorage(GL_RENDERBUFFER, f->internal, (GLsizei)w, (GLsizei)h);
	glBindFramebuffer(GL_FRAMEBUFFER, g->fbo);
	glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, g->rbo);
	if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE)
		return -EIO;
	g->fbo_w = w;
	g->fbo_h = h;
	g->fbo_internal = f->internal;
	return 0;
}

static int import_texture(struct rb_gl *g, const struct lf_readback_src *src, GLuint *tex,
			  char *why, size_t why_len)
{
	struct lf_dmabuf_desc d = { .fourcc = src->fourcc, .width = src->width,
				    .height = src->height, .modifier = src->modifier,
				    .n_planes = src->n_planes };
	int32_t attr[LF_EGL_PROBE_MAX_ATTRIBS];
	EGLImageKHR img;
	int n;

	if (!g->can_import) {
		snprintf(why, why_len, "%s cannot import dmabufs", g->device);
		return -EIO;
	}
	for (uint32_t i = 0; i < src->n_planes && i < LF_MAX_PLANES; i++) {
		d.planes[i].fd = src->planes[i].fd;
		d.planes[i].offset = src->planes[i].offset;
		d.planes[i].stride = src->planes[i].stride;
	}
	n = lf_egl_probe_attribs(&d, attr, LF_ARRAY_SIZE(attr));
	if (n < 0) {
		snprintf(why, why_len, "planes do not describe the format");
		return -EINVAL;
	}
	img = g->create_image(g->dpy, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, NULL, attr);
	if (img == EGL_NO_IMAGE_KHR) {
		snprintf(why, why_len, "%s refused the dmabuf (EGL error 0x%x)", g->device,
			 eglGetError());
		return -EIO;
	}
	glGenTextures(1, tex);
	glBindTexture(GL_TEXTURE_2D, *tex);
	g->image_target(GL_TEXTURE_2D, (GLeglImageOES)img);
	/* Without mipmaps the default filter leaves the texture incomplete. */
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	/* The texture keeps the image's storage alive. */
	g->destroy_image(g->dpy, img);
	if (glGetError() != GL_NO_ERROR) {
		glDeleteTextures(1, tex);
		*tex = 0;
		snprintf(why, why_len, "%s cannot bind the imported image to a texture", g->device);
		return -EIO;
	}
	return 0;
}

int lf_rb_gl_run(struct rb_gl *g, const struct lf_readback_src *src,
		 const struct lf_readback_dst *dst, struct lf_readback_timing *t, char *why,
		 size_t why_len)
{
	const struct rb_fmt *f = fmt_find(src->fourcc);
	const char *bad = NULL;
	GLuint tex = src->texture, own = 0;
	uint64_t t0 = lf_now_ns(), t1;
	int r;

	if ((r = lf_readback_check_src(src, dst, &bad)) < 0) {
		snprintf(why, why_len, "%s", bad);
		return r;
	}
	while (glGetError() != GL_NO_ERROR)
		;
	if (!tex) {
		if ((r = import_texture(g, src, &own, why, why_len)) < 0)
			return r;
		tex = own;
	}
	t1 = lf_now_ns();
	t->import_ns = src->texture ? 0 : t1 - t0;
	if (fbo_prepare(g, f, src->width, src->height) < 0) {
		snprintf(why, why_len, "framebuffer %ux%u incomplete", src->width, src->height);
		r = -EIO;
		goto out;
	}
	glBindFramebuffer(GL_FRAMEBUFFER, g->fbo);
	glViewport(0, 0, (GLsizei)src->width, (GLsizei)src->height);
	glUseProgram(g->prog);
	glUniform1i(g->u_swap, f->swap_rb);
	glUniform1i(g->u_opaque, f->opaque);
	glActiveTexture(GL_TEXTURE0);
	glBindTexture(GL_TEXTURE_2D, tex);
	glBindVertexArray(g->vao);
	glDrawArrays(GL_TRIANGLES, 0, 3);
	glPixelStorei(GL_PACK_ALIGNMENT, 4);
	glPixelStorei(GL_PACK_ROW_LENGTH, (GLint)(dst->stride / 4));
	glReadPixels(0, 0, (GLsizei)src->width, (GLsizei)src->height, GL_RGBA, f->type, dst->map);
	glPixelStorei(GL_PACK_ROW_LENGTH, 0);
	r = glGetError() == GL_NO_ERROR ? 0 : -EIO;
	if (r < 0)
		snprintf(why, why_len, "glReadPixels failed on %s", g->device);
	t->read_ns = lf_now_ns() - t1;
out:
	if (own)
		glDeleteTextures(1, &own);
	return r;
}

/* Unpack one pixel of f's memory layout into what GL samples (R, G, B, A). */
static void to_gl(const struct rb_fmt *f, const uint8_t *px, uint8_t *out)
{
	uint32_t v, c0, c1, c2;

	if (f->internal == GL_RGBA8) {
		out[0] = f->swap_rb ? px[2] : px[0];
		out[1] = px[1];
		out[2] = f->swap_rb ? px[0] : px[2];
		out[3] = px[3];
		return;
	}
	memcpy(&v, px, 4);
	c0 = v & 0x3ff;
	c1 = (v >> 10) & 0x3ff;
	c2 = (v >> 20) & 0x3ff;
	v = (f->swap_rb ? c2 | c0 << 20 : c0 | c2 << 20) | c1 << 10 | (v & 0xc0000000u);
	memcpy(out, &v, 4);
}

int lf_rb_gl_texture(struct rb_gl *g, uint32_t fourcc, uint32_t width, uint32_t height,
		     const void *pixels, uint32_t stride, uint32_t *tex)
{
	const struct rb_fmt *f = fmt_find(fourcc);
	uint8_t *tmp;
	GLuint t = 0;
	int r = 0;

	if (!f || !width || !height || stride < width * 4)
		return -EINVAL;
	tmp = malloc((size_t)width * height * 4);
	if (!tmp)
		return -ENOMEM;
	for (uint32_t y = 0; y < height; y++)
		for (uint32_t x = 0; x < width; x++)
			to_gl(f, (const uint8_t *)pixels + (size_t)y * stride + x * 4,
			      tmp + ((size_t)y * width + x) * 4);
	while (glGetError() != GL_NO_ERROR)
		;
	glGenTextures(1, &t);
	glBindTexture(GL_TEXTURE_2D, t);
	glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
	glTexImage2D(GL_TEXTURE_2D, 0, (GLint)f->internal, (GLsizei)width, (GLsizei)height, 0,
		     GL_RGBA, f->type, tmp);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	if (glGetError() != GL_NO_ERROR) {
		glDeleteTextures(1, &t);
		r = -EIO;
	} else {
		*tex = t;
	}
	free(tmp);
	return r;
}

void lf_rb_gl_texture_free(struct rb_gl *g, uint32_t tex)
{
	GLuint t = tex;

	glDeleteTextures(1, &t);
}
