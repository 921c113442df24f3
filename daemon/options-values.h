/* SPDX-License-Identifier: MIT */
#pragma once
/* Single-value parsers behind daemon/options.c; each returns 0 or -EINVAL
 * (lf_opt_copy_str -ENAMETOOLONG when src does not fit;
 * lf_opt_parse_ids also -ENOENT for an unknown name, -E2BIG past
 * LF_CONFIG_MAX_IDS) and leaves *out alone on error. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/options.h"

int lf_opt_copy_str(char *dst, size_t len, const char *src);
int lf_opt_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int lf_opt_parse_bool(const char *s, bool *out);
int lf_opt_parse_log_level(const char *s, int *out);
int lf_opt_parse_cursor(const char *s, enum lf_cursor_mode *out);
int lf_opt_parse_size(const char *s, uint32_t *w, uint32_t *h);
/* "alice,1001": names through NSS (groups when groups is true). */
int lf_opt_parse_ids(const char *v, bool groups, uint32_t *ids, uint32_t *n);
/* "auto", "on"/"yes", "off"/"no". */
int lf_opt_parse_guard(const char *s, enum lf_guard_mode *out);
