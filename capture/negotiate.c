/* SPDX-License-Identifier: MIT */
/*
 * Format negotiation: offer dmabuf (with modifiers) before shared memory,
 * wait for the producer to fixate a modifier, then ask for buffers and
 * metadata. Import failures shrink the offer one (format, modifier) at a
 * time; the list only shrinks, so this ends at shared memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <spa/param/format-utils.h>
#include <spa/param/video/format-utils.h>
#include <spa/pod/iter.h>

#include "capture/capture-int.h"
#include "capture/formats.h"
#include "capture/pods.h"
#include "base/log.h"

int capture_build_modifiers(struct lf_capture *c)
{
	const char *env;
	int r;

	lf_modset_clear(&c->mods);
	if ((r = lf_modset_init(&c->mods)) < 0)
		return r;
	c->mods_from_egl = false;
	if (c->opts.shm_only)
		return 0;
	env = getenv("LASTFRAME_MODIFIERS");
	if (c->opts.n_modifiers == 0 && env && *env) {
		free(c->override_mods);
		c->override_mods = NULL;
		r = lf_modifiers_parse(env, &c->override_mods, &c->opts.n_modifiers);
		if (r < 0) {
			lf_err("capture: LASTFRAME_MODIFIERS: cannot parse '%s'", env);
			return r;
		}
		c->opts.modifiers = c->override_mods;
	}
	if (c->opts.n_modifiers > 0)
		return lf_modset_set_all(&c->mods, c->opts.modifiers, c->opts.n_modifiers);
	if (c->opts.cpu_readable_only)
		return lf_modset_add_defaults(&c->mods);
	c->mods_from_egl = lf_egl_query_modifiers(c->opts.render_node, &c->mods) > 0;
	return lf_modset_add_defaults(&c->mods);
}

int capture_offer_formats(struct lf_capture *c, bool update)
{
	struct lf_pods p;
	int r;

	lf_pods_init(&p);
	p.request_width = c->opts.request_width;
	p.request_height = c->opts.request_height;
	r = lf_pods_add_formats(&p, c->opts.shm_only ? NULL : &c->mods);
	if (r >= 0)
		r = lf_pods_finish(&p);
	if (r < 0)
		goto out;
	if (update)
		r = pw_stream_update_params(c->stream, p.params, p.n);
	else
		r = pw_stream_connect(c->stream, PW_DIRECTION_INPUT, PW_ID_ANY,
				      PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS,
				      p.params, p.n);
out:
	lf_pods_clear(&p);
	return r;
}

/* The producer has not picked a modifier yet (two-step negotiation). */
static bool modifier_unfixated(const struct spa_pod *param, bool *present, uint64_t *mod)
{
	const struct spa_pod_prop *prop = spa_pod_find_prop(param, NULL, SPA_FORMAT_VIDEO_modifier);
	const struct spa_pod *val;
	uint32_t n, choice;

	*present = prop != NULL;
	if (!prop)
		return false;
	val = spa_pod_get_values(&prop->value, &n, &choice);
	if (!val || n == 0 || !spa_pod_is_long(val))
		return false;
	*mod = (uint64_t)SPA_POD_VALUE(struct spa_pod_long, val);
	return choice != SPA_CHOICE_None && n > 1 && (prop->flags & SPA_POD_PROP_FLAG_DONT_FIXATE);
}

static void request_buffers(struct lf_capture *c)
{
	struct lf_pods p;
	int r;

	lf_pods_init(&p);
	r = lf_pods_add_buffers(&p, c->fmt.has_modifier, 3 + c->opts.lease_buffers);
	if (r >= 0)
		r = lf_pods_add_meta(&p);
	if (r >= 0)
		r = lf_pods_finish(&p);
	if (r >= 0)
		r = pw_stream_update_params(c->stream, p.params, p.n);
	if (r < 0)
		lf_err("capture: cannot set buffer params: %s", strerror(-r));
	lf_pods_clear(&p);
}

void capture_on_format(struct lf_capture *c, const struct spa_pod *param)
{
	struct spa_video_info_raw raw = { 0 };
	const struct lf_format_info *fi;
	uint32_t mtype, msub;
	bool has_mod;
	uint64_t mod = DRM_FORMAT_MOD_INVALID;
	char *name;

	if (!param) {
		c->have_format = false;
		c->set_stale = true;
		capture_set_state(c, LF_STREAM_PAUSED, "format cleared");
		return;
	}
	if (spa_format_parse(param, &mtype, &msub) < 0 || mtype != SPA_MEDIA_TYPE_video ||
	    msub != SPA_MEDIA_SUBTYPE_raw || spa_format_video_raw_parse(param, &raw) < 0) {
		pw_stream_set_error(c->stream, -EINVAL, "not raw video");
		return;
	}
	fi = lf_format_from_spa(raw.format);
	if (!fi || raw.size.width == 0 || raw.size.height == 0) {
		pw_stream_set_error(c->stream, -EINVAL, "unsupported video format");
		return;
	}
	if (modifier_unfixated(param, &has_mod, &mod)) {
		lf_info("capture: %s offered with a modifier choice; waiting for the producer to fixate",
			fi->name);
		return;
	}
	memset(&c->fmt, 0, sizeof(c->fmt));
	c->fmt.width = raw.size.width;
	c->fmt.height = raw.size.height;
	c->fmt.spa_format = fi->spa_format;
	c->fmt.drm_format = fi->drm_format;
	c->fmt.has_modifier = has_mod;
	c->fmt.modifier = has_mod ? mod : DRM_FORMAT_MOD_INVALID;
	c->fmt.n_planes = fi->n_planes;
	c->fmt.fps_num = raw.framerate.num;
	c->fmt.fps_den = raw.framerate.denom ? raw.framerate.denom : 1;
	c->have_format = true;
	/* New format, new buffers: they get a new generation when they come. */
	c->set_stale = true;
	name = has_mod ? drmGetFormatModifierName(c->fmt.modifier) : NULL;
	lf_notice("capture: format %s %ux%u %s%s%s (0x%" PRIx64 ")", fi->name, c->fmt.width,
		  c->fmt.height, has_mod ? "dmabuf modifier " : "shared memory",
		  has_mod ? (name ? name : "?") : "", "", c->fmt.modifier);
	free(name);
	lf_probe_book_negotiated(&c->probe_book, c->probe && has_mod, c->fmt.drm_format,
				 c->fmt.modifier);
	request_buffers(c);
}

/* who: "clients" or "the GPU" (the import probe), for the log. */
static int drop_pair(struct lf_capture *c, uint32_t drm_format, uint64_t modifier, const char *who)
{
	const struct lf_format_info *fi = lf_format_from_drm(drm_format);
	int r;

	if (!fi)
		return -EINVAL;
	r = lf_modset_drop(&c->mods, drm_format, modifier);
	if (r < 0) {
		/* Already dropped (several clients report the same pair):
		 * nothing to renegotiate, which is what keeps this finite. */
		lf_debug("capture: import failure for %s/0x%" PRIx64 " already handled",
			 fi->name, modifier);
		return 0;
	}
	c->stats.renegotiations++;
	lf_notice("capture: %s cannot import %s with modifier 0x%" PRIx64
		  "; renegotiating without it (%zu %s modifiers left)",
		  who, fi->name, modifier, lf_modset_get(&c->mods, drm_format)->n, fi->name);
	capture_schedule(c, WORK_RENEGOTIATE);
	return 0;
}

int lf_capture_report_import_failure(struct lf_capture *c, uint32_t drm_format, uint64_t modifier)
{
	if (!c)
		return -EINVAL;
	return drop_pair(c, drm_format, modifier, "clients");
}

const char *capture_probe_setup(struct lf_capture *c)
{
	int r;

	if (c->opts.shm_only)
		return "shared memory only";
	if (c->opts.n_modifiers > 0)
		return "modifier list given (options or $LASTFRAME_MODIFIERS)";
	/* Without a GPU's own list there is nothing to check the offer
	 * against: the defaults (LINEAR, INVALID) are for CPU readers. */
	if (!c->mods_from_egl)
		return "no GPU modifiers from EGL";
	if (c->opts.no_import_probe)
		return "switched off (--no-import-probe or import-probe = false)";
	r = lf_egl_probe_new(c->opts.render_node, &c->probe);
	if (r < 0)
		return r == -ENODEV ? "the EGL device cannot import dmabufs" : strerror(-r);
	return NULL;
}

void capture_probe_buffer(struct lf_capture *c, const struct lf_buffer *lb)
{
	struct lf_dmabuf_desc d = { 0 };
	int r;

	if (!lf_probe_book_take(&c->probe_book, c->fmt.drm_format, c->fmt.modifier))
		return;
	d.fourcc = c->fmt.drm_format;
	d.width = c->fmt.width;
	d.height = c->fmt.height;
	d.modifier = c->fmt.modifier;
	d.n_planes = lb->n_planes;
	for (uint32_t i = 0; i < lb->n_planes && i < LF_MAX_PLANES; i++) {
		d.planes[i].fd = lb->planes[i].fd;
		d.planes[i].offset = lb->planes[i].offset;
		d.planes[i].stride = lb->planes[i].stride;
	}
	r = lf_egl_probe_import(c->probe, &d);
	if (r == 0) {
		lf_info("capture: import probe: the GPU imports %.4s modifier 0x%" PRIx64,
			(const char *)&d.fourcc, d.modifier);
		return;
	}
	/* The pair is in the book now, so this runs once per pair; the
	 * renegotiation itself is deferred to the work event. */
	r = drop_pair(c, d.fourcc, d.modifier, "the GPU");
	if (r < 0)
		lf_warn("capture: cannot drop %.4s/0x%" PRIx64 ": %s", (const char *)&d.fourcc,
			d.modifier, strerror(-r));
}

static void print_modifier(FILE *out, uint64_t mod, bool from_egl)
{
	char *name = drmGetFormatModifierName(mod);

	fprintf(out, "    0x%016" PRIx64 "  %-40s %s\n", mod,
		name ? name : (mod == DRM_FORMAT_MOD_INVALID ? "INVALID (implicit)" : "?"),
		from_egl ? "egl" : "default/override");
	free(name);
}

int lf_capture_print_formats(FILE *out, const struct lf_capture_options *opts)
{
	struct lf_capture_options none = { 0 };
	struct lf_capture c = { 0 };
	const char *why;
	int r;

	c.opts = opts ? *opts : none;
	if ((r = capture_build_modifiers(&c)) < 0)
		goto out;
	fprintf(out, "modifier source: %s\n",
		c.opts.shm_only ? "none (--shm-only)"
		: c.opts.n_modifiers ? "override (options or $LASTFRAME_MODIFIERS)"
		: c.mods_from_egl ? "EGL (EGL_EXT_image_dma_buf_import_modifiers)"
		: c.opts.cpu_readable_only ? "defaults (no GPU readback: CPU readers need linear layouts)"
		: "defaults (EGL offers no dmabuf import)");
	why = capture_probe_setup(&c);
	if (why)
		fprintf(out, "import probe: not active (%s)\n", why);
	else
		fprintf(out, "import probe: active (on %s)\n", lf_egl_probe_device(c.probe));
	fprintf(out, "offer order: dmabuf variants first, then shared memory\n");
	for (size_t i = 0; !c.opts.shm_only && i < lf_format_count(); i++) {
		const struct lf_format_info *fi = lf_format_at(i);
		const struct lf_modset_entry *e = lf_modset_get(&c.mods, fi->drm_format);

		if (!e || e->n == 0)
			continue;
		fprintf(out, "dmabuf %-12s %.4s  %zu modifier%s\n", fi->name,
			(const char *)&fi->drm_format, e->n, e->n == 1 ? "" : "s");
		for (size_t j = 0; j < e->n; j++)
			print_modifier(out, e->mods[j], e->from_egl[j]);
	}
	for (size_t i = 0; i < lf_format_count(); i++) {
		const struct lf_format_info *fi = lf_format_at(i);
		fprintf(out, "shm    %-12s %.4s  MemFd, MemPtr (copied)\n", fi->name,
			(const char *)&fi->drm_format);
	}
out:
	lf_egl_probe_destroy(c.probe);
	lf_modset_clear(&c.mods);
	free(c.override_mods);
	return r;
}
