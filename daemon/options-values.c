/* SPDX-License-Identifier: MIT */
/* Parsing single option values (numbers, booleans, names, sizes, id lists),
 * shared by the flag and config-file paths of options.c. */
#include "daemon/options-values.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

int lf_opt_copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

int lf_opt_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int lf_opt_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int lf_opt_parse_log_level(const char *s, int *out)
{
	static const struct { const char *name; int prio; } names[] = {
		{ "emerg", LOG_EMERG }, { "alert", LOG_ALERT }, { "crit", LOG_CRIT },
		{ "err", LOG_ERR }, { "error", LOG_ERR }, { "warning", LOG_WARNING },
		{ "warn", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	uint32_t v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i].name)) {
			*out = names[i].prio;
			return 0;
		}
	}
	if (lf_opt_parse_u32(s, 0, 7, &v) < 0)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int lf_opt_parse_cursor(const char *s, enum lf_cursor_mode *out)
{
	if (!strcmp(s, "hidden"))
		*out = LF_CURSOR_HIDDEN;
	else if (!strcmp(s, "embedded"))
		*out = LF_CURSOR_EMBEDDED;
	else if (!strcmp(s, "metadata"))
		*out = LF_CURSOR_METADATA;
	else
		return -EINVAL;
	return 0;
}

const char *lf_cursor_mode_name(enum lf_cursor_mode m)
{
	switch (m) {
	case LF_CURSOR_HIDDEN: return "hidden";
	case LF_CURSOR_EMBEDDED: return "embedded";
	case LF_CURSOR_METADATA: return "metadata";
	}
	return "?";
}

int lf_opt_parse_size(const char *s, uint32_t *w, uint32_t *h)
{
	char buf[32];
	char *x;

	if (lf_opt_copy_str(buf, sizeof(buf), s) < 0)
		return -EINVAL;
	x = strchr(buf, 'x');
	if (!x)
		return -EINVAL;
	*x = '\0';
	if (lf_opt_parse_u32(buf, 1, 16384, w) < 0 || lf_opt_parse_u32(x + 1, 1, 16384, h) < 0)
		return -EINVAL;
	return 0;
}

int lf_opt_parse_ids(const char *v, bool groups, uint32_t *ids, uint32_t *n)
{
	char buf[LF_CONFIG_STR], *save = NULL, *tok;
	uint32_t count = 0;

	if (!*v || strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		uint32_t id;

		if (count == LF_CONFIG_MAX_IDS)
			return -E2BIG;
		if (lf_opt_parse_u32(tok, 0, UINT32_MAX - 1, &id) < 0) {
			if (groups) {
				struct group *g = getgrnam(tok);
				if (!g)
					return -ENOENT;
				id = g->gr_gid;
			} else {
				struct passwd *pw = getpwnam(tok);
				if (!pw)
					return -ENOENT;
				id = pw->pw_uid;
			}
		}
		ids[count++] = id;
	}
	if (count == 0)
		return -EINVAL;
	*n = count;
	return 0;
}

int lf_opt_parse_guard(const char *s, enum lf_guard_mode *out)
{
	bool b;

	if (!strcmp(s, "auto")) {
		*out = LF_GUARD_AUTO;
		return 0;
	}
	if (lf_opt_parse_bool(s, &b) < 0)
		return -EINVAL;
	*out = b ? LF_GUARD_ON : LF_GUARD_OFF;
	return 0;
}
