/* SPDX-License-Identifier: MIT */
/*
 * GPU check of the import probe (capture/egl-probe.c), for machines with a
 * real GPU; `make` builds it, `make check` never runs it (CI has no GPU).
 * It makes a real dmabuf on the EGL device (a GL texture exported with
 * EGL_MESA_image_dma_buf_export, else a DRM dumb buffer when a card node
 * exists, else CUDA memory exported with cuMemGetHandleForAddressRange) and shows that the probe accepts it with its modifier and refuses
 * a memfd that only claims to be a dmabuf, as the test producer's buffers do.
 * Exit: 0 both as expected, 1 not, 77 no hardware EGL device.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <GL/gl.h>
#include <drm_fourcc.h>
#include <xf86drm.h>

#include "capture/egl-device.h"
#include "capture/egl-probe.h"
#include "base/log.h"

#define W 256
#define H 256
#define TIMED 50

struct gl_fns {
	void (*gen_textures)(GLsizei, GLuint *);
	void (*bind_texture)(GLenum, GLuint);
	void (*tex_image_2d)(GLenum, GLint, GLint, GLsizei, GLsizei, GLint, GLenum, GLenum,
			     const void *);
	void (*tex_parameteri)(GLenum, GLenum, GLint);
	void (*finish)(void);
	GLenum (*get_error)(void);
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void close_planes(struct lf_dmabuf_desc *d)
{
	for (uint32_t i = 0; i < d->n_planes; i++) {
		/* Planes of one buffer may share an fd: close each once. */
		for (uint32_t j = i + 1; j < d->n_planes; j++)
			if (d->planes[j].fd == d->planes[i].fd)
				d->planes[j].fd = -1;
		if (d->planes[i].fd >= 0)
			close(d->planes[i].fd);
		d->planes[i].fd = -1;
	}
	d->n_planes = 0;
}

/* One LINEAR XRGB plane of W x H at the start of fd (owned by d now). */
static void linear_xrgb(struct lf_dmabuf_desc *d, int fd, uint32_t stride)
{
	d->fourcc = DRM_FORMAT_XRGB8888;
	d->width = W;
	d->height = H;
	d->modifier = DRM_FORMAT_MOD_LINEAR;
	d->n_planes = 1;
	d->planes[0].fd = fd;
	d->planes[0].offset = 0;
	d->planes[0].stride = stride;
}

/* A GL texture on the EGL device, exported as a dmabuf. */
static int export_texture(EGLDisplay dpy, struct lf_dmabuf_desc *d)
{
	PFNEGLCREATEIMAGEKHRPROC create_image =
		(PFNEGLCREATEIMAGEKHRPROC)eglGetProcAddress("eglCreateImageKHR");
	PFNEGLDESTROYIMAGEKHRPROC destroy_image =
		(PFNEGLDESTROYIMAGEKHRPROC)eglGetProcAddress("eglDestroyImageKHR");
	PFNEGLEXPORTDMABUFIMAGEQUERYMESAPROC query =
		(PFNEGLEXPORTDMABUFIMAGEQUERYMESAPROC)eglGetProcAddress("eglExportDMABUFImageQueryMESA");
	PFNEGLEXPORTDMABUFIMAGEMESAPROC export =
		(PFNEGLEXPORTDMABUFIMAGEMESAPROC)eglGetProcAddress("eglExportDMABUFImageMESA");
	static const EGLint cfg_attr[] = { EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RENDERABLE_TYPE,
					   EGL_OPENGL_ES2_BIT, EGL_RED_SIZE, 8, EGL_NONE };
	static const EGLint ctx_attr[] = { EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE };
	struct gl_fns gl;
	EGLContext ctx = EGL_NO_CONTEXT;
	EGLImageKHR img = EGL_NO_IMAGE_KHR;
	EGLConfig cfg;
	EGLint n_cfg = 0, fourcc = 0, n_planes = 0, strides[4] = { 0 }, offsets[4] = { 0 };
	EGLuint64KHR mods[4] = { 0 };
	int fds[4] = { -1, -1, -1, -1 };
	GLuint tex = 0;
	int r = -ENOTSUP;

	printf("export: EGL_MESA_image_dma_buf_export %s, surfaceless %s\n",
	       lf_egl_has_ext(eglQueryString(dpy, EGL_EXTENSIONS), "EGL_MESA_image_dma_buf_export")
	       ? "yes" : "no",
	       lf_egl_has_ext(eglQueryString(dpy, EGL_EXTENSIONS), "EGL_KHR_surfaceless_context")
	       ? "yes" : "no");
	if (!create_image || !destroy_image || !query || !export)
		goto out;
	gl.gen_textures = (void (*)(GLsizei, GLuint *))eglGetProcAddress("glGenTextures");
	gl.bind_texture = (void (*)(GLenum, GLuint))eglGetProcAddress("glBindTexture");
	gl.tex_image_2d = (void (*)(GLenum, GLint, GLint, GLsizei, GLsizei, GLint, GLenum, GLenum,
				    const void *))eglGetProcAddress("glTexImage2D");
	gl.tex_parameteri = (void (*)(GLenum, GLenum, GLint))eglGetProcAddress("glTexParameteri");
	gl.finish = (void (*)(void))eglGetProcAddress("glFinish");
	gl.get_error = (GLenum (*)(void))eglGetProcAddress("glGetError");
	if (!gl.gen_textures || !gl.bind_texture || !gl.tex_image_2d || !gl.tex_parameteri ||
	    !gl.finish || !gl.get_error)
		goto out;
	if (!eglBindAPI(EGL_OPENGL_ES_API) ||
	    !eglChooseConfig(dpy, cfg_attr, &cfg, 1, &n_cfg) || n_cfg < 1) {
		printf("export: no GLES2 config (0x%x)\n", (unsigned)eglGetError());
		goto out;
	}
	ctx = eglCreateContext(dpy, cfg, EGL_NO_CONTEXT, ctx_attr);
	if (ctx == EGL_NO_CONTEXT || !eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx)) {
		printf("export: no current GLES2 context (0x%x)\n", (unsigned)eglGetError());
		goto out;
	}
	gl.gen_textures(1, &tex);
	gl.bind_texture(GL_TEXTURE_2D, tex);
	gl.tex_parameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	gl.tex_image_2d(GL_TEXTURE_2D, 0, GL_RGBA, W, H, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
	gl.finish();
	if (gl.get_error() != GL_NO_ERROR)
		goto out;
	img = create_image(dpy, ctx, EGL_GL_TEXTURE_2D_KHR, (EGLClientBuffer)(uintptr_t)tex, NULL);
	if (img == EGL_NO_IMAGE_KHR) {
		printf("export: eglCreateImageKHR(texture) failed (0x%x)\n", (unsigned)eglGetError());
		goto out;
	}
	if (!query(dpy, img, &fourcc, &n_planes, mods) || n_planes < 1 || n_planes > 4 ||
	    !export(dpy, img, fds, strides, offsets)) {
		printf("export: eglExportDMABUFImage*MESA failed (0x%x)\n", (unsigned)eglGetError());
		goto out;
	}
	d->fourcc = (uint32_t)fourcc;
	d->width = W;
	d->height = H;
	d->modifier = mods[0];
	d->n_planes = (uint32_t)n_planes;
	for (EGLint i = 0; i < n_planes; i++) {
		d->planes[i].fd = fds[i];
		d->planes[i].offset = (uint32_t)offsets[i];
		d->planes[i].stride = (uint32_t)strides[i];
		fds[i] = -1;
	}
	r = 0;
out:
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (img != EGL_NO_IMAGE_KHR)
		destroy_image(dpy, img);
	/* The dmabuf keeps the memory alive after the texture and context go. */
	if (ctx != EGL_NO_CONTEXT) {
		eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
		eglDestroyContext(dpy, ctx);
	}
	return r;
}

/* A LINEAR dumb buffer from a DRM card node, exported with PRIME. */
static int export_dumb(struct lf_dmabuf_desc *d)
{
	glob_t g = { 0 };
	int r = -ENODEV;

	if (glob("/dev/dri/card*", 0, NULL, &g) != 0) {
		printf("dumb: no /dev/dri/card*\n");
		return -ENODEV;
	}
	for (size_t i = 0; i < g.gl_pathc && r < 0; i++) {
		struct drm_mode_create_dumb cd = { .width = W, .height = H, .bpp = 32 };
		int card = open(g.gl_pathv[i], O_RDWR | O_CLOEXEC), fd = -1;

		if (card < 0)
			continue;
		if (drmIoctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &cd) == 0 &&
		    drmPrimeHandleToFD(card, cd.handle, DRM_CLOEXEC | DRM_RDWR, &fd) == 0) {
			linear_xrgb(d, fd, cd.pitch);
			printf("dumb: %s pitch %u\n", g.gl_pathv[i], cd.pitch);
			r = 0;
		} else {
			printf("dumb: %s: %s\n", g.gl_pathv[i], strerror(errno));
		}
		/* The dmabuf holds its own reference to the buffer. */
		close(card);
	}
	globfree(&g);
	return r;
}

/* LINEAR memory of the GPU as a dmabuf through the CUDA driver (no /dev/dri
 * needed); loaded at run time so the build needs no CUDA. */
static int export_cuda(struct lf_dmabuf_desc *d)
{
	const size_t size = 2u << 20; /* the range must be page aligned: whole 2 MiB */
	int (*init)(unsigned);
	int (*device_get)(int *, int);
	int (*ctx_retain)(void **, int);
	int (*ctx_set)(void *);
	int (*mem_alloc)(unsigned long long *, size_t);
	int (*get_handle)(void *, unsigned long long, size_t, int, unsigned long long);
	void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	unsigned long long ptr = 0;
	void *ctx = NULL;
	int dev = 0, fd = -1, e;

	if (!lib) {
		printf("cuda: no libcuda.so.1\n");
		return -ENODEV;
	}
	*(void **)&init = dlsym(lib, "cuInit");
	*(void **)&device_get = dlsym(lib, "cuDeviceGet");
	*(void **)&ctx_retain = dlsym(lib, "cuDevicePrimaryCtxRetain");
	*(void **)&ctx_set = dlsym(lib, "cuCtxSetCurrent");
	*(void **)&mem_alloc = dlsym(lib, "cuMemAlloc_v2");
	*(void **)&get_handle = dlsym(lib, "cuMemGetHandleForAddressRange");
	if (!init || !device_get || !ctx_retain || !ctx_set || !mem_alloc || !get_handle) {
		printf("cuda: driver lacks cuMemGetHandleForAddressRange\n");
		return -ENOTSUP; /* the library stays loaded: it is the driver's */
	}
	/* 1 = CU_MEM_RANGE_HANDLE_TYPE_DMA_BUF_FD */
	if ((e = init(0)) || (e = device_get(&dev, 0)) || (e = ctx_retain(&ctx, dev)) ||
	    (e = ctx_set(ctx)) || (e = mem_alloc(&ptr, size)) ||
	    (e = get_handle(&fd, ptr, size, 1, 0))) {
		printf("cuda: CUresult %d\n", e);
		return -EIO;
	}
	linear_xrgb(d, fd, W * 4);
	printf("cuda: dmabuf of 2 MiB of device memory\n");
	return 0;
}

static int probe_print(struct lf_egl_probe *p, const char *what, const struct lf_dmabuf_desc *d)
{
	int r = lf_egl_probe_import(p, d);

	printf("probe %-34s %.4s %ux%u modifier 0x%016" PRIx64 " planes %u: %s\n", what,
	       (const char *)&d->fourcc, d->width, d->height, d->modifier, d->n_planes,
	       r == 0 ? "accepted" : strerror(-r));
	return r;
}

int main(void)
{
	struct lf_egl_probe *probe = NULL;
	struct lf_egl_devices it;
	struct lf_dmabuf_desc real = { 0 }, fake = { 0 }, tmp;
	EGLDisplay dpy;
	uint64_t t[TIMED];
	int r, real_r = -1, fake_r = 0, fake_mod_r = 0, rc = 1, mfd = -1;

	lf_log_init("probe-import", LOG_DEBUG);
	r = lf_egl_probe_new(NULL, &probe);
	if (r < 0) {
		printf("probe: not active: %s\n", strerror(-r));
		rc = 77;
		goto out;
	}
	printf("probe: active on %s\n", lf_egl_probe_device(probe));
	/* EGL has one display per device: this is the probe's own, already
	 * initialised. It is terminated with the probe, not here. */
	if (lf_egl_devices_init(&it, NULL) < 0 ||
	    (dpy = lf_egl_devices_next(&it, "EGL_EXT_image_dma_buf_import_modifiers", NULL)) ==
		    EGL_NO_DISPLAY)
		goto out;
	printf("EGL_VENDOR %s, EGL_VERSION %s\n", eglQueryString(dpy, EGL_VENDOR),
	       eglQueryString(dpy, EGL_VERSION));
	if (export_texture(dpy, &real) < 0 && export_dumb(&real) < 0 && export_cuda(&real) < 0) {
		printf("no real dmabuf could be made on this machine\n");
		goto fake;
	}
	real_r = probe_print(probe, "real dmabuf, its modifier", &real);
	tmp = real;
	tmp.modifier = DRM_FORMAT_MOD_INVALID;
	probe_print(probe, "real dmabuf, INVALID (implicit)", &tmp);
	tmp.modifier = real.modifier == DRM_FORMAT_MOD_LINEAR ? 0x0300000000606010ull
							      : DRM_FORMAT_MOD_LINEAR;
	probe_print(probe, "real dmabuf, another modifier", &tmp);
	for (int i = 0; i < TIMED; i++) {
		uint64_t t0 = now_ns();

		lf_egl_probe_import(probe, &real);
		t[i] = now_ns() - t0;
	}
	qsort(t, TIMED, sizeof(t[0]), cmp_u64);
	printf("probe time over %d imports of the real dmabuf: median %.1f us, max %.1f us\n",
	       TIMED, (double)t[TIMED / 2] / 1e3, (double)t[TIMED - 1] / 1e3);
fake:
	/* What the test producer sends: shared memory labelled DmaBuf. */
	mfd = memfd_create("fake-dmabuf", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (off_t)W * H * 4) < 0) {
		printf("memfd: %s\n", strerror(errno));
		goto out;
	}
	linear_xrgb(&fake, mfd, W * 4);
	mfd = -1; /* fake owns it */
	fake_r = probe_print(probe, "memfd labelled dmabuf, LINEAR", &fake);
	fake.modifier = real.n_planes ? real.modifier : 0x0300000000606010ull;
	fake_mod_r = probe_print(probe, "memfd labelled dmabuf, GPU modifier", &fake);
	rc = real_r == 0 && fake_r < 0 && fake_mod_r < 0 ? 0 : 1;
	printf("result: %s\n", rc == 0 ? "PASS (real accepted, memfd refused)" : "FAIL");
out:
	if (mfd >= 0)
		close(mfd);
	close_planes(&fake);
	close_planes(&real);
	lf_egl_probe_destroy(probe);
	return rc;
}
