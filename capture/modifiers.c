/* SPDX-License-Identifier: MIT */
#include "capture/modifiers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <drm_fourcc.h>

#include "capture/formats.h"

int lf_modset_init(struct lf_modset *s)
{
	size_t n = lf_format_count();

	s->e = calloc(n, sizeof(*s->e));
	if (!s->e)
		return -ENOMEM;
	s->n = n;
	for (size_t i = 0; i < n; i++)
		s->e[i].drm_format = lf_format_at(i)->drm_format;
	return 0;
}

void lf_modset_clear(struct lf_modset *s)
{
	for (size_t i = 0; s->e && i < s->n; i++) {
		free(s->e[i].mods);
		free(s->e[i].from_egl);
	}
	free(s->e);
	s->e = NULL;
	s->n = 0;
}

static struct lf_modset_entry *entry_find(const struct lf_modset *s, uint32_t drm_format)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].drm_format == drm_format)
			return &s->e[i];
	return NULL;
}

const struct lf_modset_entry *lf_modset_get(const struct lf_modset *s, uint32_t drm_format)
{
	return entry_find(s, drm_format);
}

int lf_modset_add(struct lf_modset *s, uint32_t drm_format, uint64_t mod, bool from_egl)
{
	struct lf_modset_entry *e = entry_find(s, drm_format);

	if (!e)
		return -ENOENT;
	for (size_t i = 0; i < e->n; i++)
		if (e->mods[i] == mod)
			return 0;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		uint64_t *m = realloc(e->mods, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		e->mods = m;
		bool *f = realloc(e->from_egl, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		e->from_egl = f;
		e->cap = cap;
	}
	e->mods[e->n] = mod;
	e->from_egl[e->n] = from_egl;
	e->n++;
	return 1;
}

int lf_modset_add_defaults(struct lf_modset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		int r = lf_modset_add(s, s->e[i].drm_format, DRM_FORMAT_MOD_LINEAR, false);
		if (r >= 0)
			r = lf_modset_add(s, s->e[i].drm_format, DRM_FORMAT_MOD_INVALID, false);
		if (r < 0)
			return r;
	}
	return 0;
}

int lf_modset_set_all(struct lf_modset *s, const uint64_t *mods, size_t n)
{
	for (size_t i = 0; i < s->n; i++) {
		s->e[i].n = 0;
		for (size_t j = 0; j < n; j++) {
			int r = lf_modset_add(s, s->e[i].drm_format, mods[j], false);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int lf_modset_drop(struct lf_modset *s, uint32_t drm_format, uint64_t mod)
{
	struct lf_modset_entry *e = entry_find(s, drm_format);

	if (!e)
		return -ENOENT;
	for (size_t i = 0; i < e->n; i++) {
		if (e->mods[i] != mod)
			continue;
		memmove(&e->mods[i], &e->mods[i + 1], (e->n - i - 1) * sizeof(*e->mods));
		memmove(&e->from_egl[i], &e->from_egl[i + 1], (e->n - i - 1) * sizeof(*e->from_egl));
		e->n--;
		return 0;
	}
	return -ENOENT;
}

size_t lf_modset_total(const struct lf_modset *s)
{
	size_t t = 0;

	for (size_t i = 0; i < s->n; i++)
		t += s->e[i].n;
	return t;
}

static int parse_one(const char *tok, uint64_t *out)
{
	char *end;

	if (strcasecmp(tok, "LINEAR") == 0) {
		*out = DRM_FORMAT_MOD_LINEAR;
		return 0;
	}
	if (strcasecmp(tok, "INVALID") == 0 || strcasecmp(tok, "IMPLICIT") == 0) {
		*out = DRM_FORMAT_MOD_INVALID;
		return 0;
	}
	if (!*tok || *tok == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(tok, &end, 0);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

int lf_modifiers_parse(const char *text, uint64_t **out, size_t *n_out)
{
	uint64_t *mods = NULL;
	size_t n = 0, cap = 0;
	char *copy = NULL, *save = NULL, *tok;
	int r = -EINVAL;

	if (!text)
		goto out;
	copy = strdup(text);
	if (!copy) {
		r = -ENOMEM;
		goto out;
	}
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			uint64_t *m = realloc(mods, ncap * sizeof(*m));
			if (!m) {
				r = -ENOMEM;
				goto out;
			}
			mods = m;
			cap = ncap;
		}
		r = parse_one(tok, &mods[n]);
		if (r < 0)
			goto out;
		n++;
	}
	if (n == 0) {
		r = -EINVAL;
		goto out;
	}
	*out = mods;
	*n_out = n;
	mods = NULL;
	r = 0;
out:
	free(mods);
	free(copy);
	return r;
}
