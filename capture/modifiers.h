/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Which DRM modifiers we offer per format. Pure bookkeeping (unit tested):
 * the EGL query (egl-modifiers.c) fills it, import failures shrink it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lf_modset_entry {
	uint32_t drm_format;
	uint64_t *mods;
	size_t n, cap;
	bool *from_egl;        /* parallel to mods */
};

struct lf_modset {
	struct lf_modset_entry *e; /* one per format of the table, in table order */
	size_t n;
};

int lf_modset_init(struct lf_modset *s);
void lf_modset_clear(struct lf_modset *s);
/* Adds a modifier (deduplicated); -ENOENT for a format not in the table. */
int lf_modset_add(struct lf_modset *s, uint32_t drm_format, uint64_t mod, bool from_egl);
/* Every format gets LINEAR and INVALID (implicit) at the end of its list,
 * unless already listed: they work without a GPU and are what Mutter uses. */
int lf_modset_add_defaults(struct lf_modset *s);
/* Replace every list by the given modifiers (command-line override). */
int lf_modset_set_all(struct lf_modset *s, const uint64_t *mods, size_t n);
/* Drop a pair; -ENOENT when it was not offered (already dropped). */
int lf_modset_drop(struct lf_modset *s, uint32_t drm_format, uint64_t mod);
const struct lf_modset_entry *lf_modset_get(const struct lf_modset *s, uint32_t drm_format);
size_t lf_modset_total(const struct lf_modset *s);

/* Parse "0x…,LINEAR,INVALID,123" into a malloc'd array. */
int lf_modifiers_parse(const char *text, uint64_t **out, size_t *n_out);

/* Ask EGL (device platform) for importable modifiers and add them to s,
 * marked from_egl. Returns the number added (0 when EGL offers nothing,
 * e.g. software rendering), never fails hard. */
int lf_egl_query_modifiers(const char *render_node, struct lf_modset *s);
