/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Daemon-wide logging. Priorities are syslog's. When stderr is connected to
 * the journal (JOURNAL_STREAM, as under systemd) messages go through the
 * native protocol with PRIORITY, SYSLOG_IDENTIFIER and the caller's
 * CODE_FILE/CODE_LINE/CODE_FUNC; should that fail, to stderr with "<N>"
 * prefixes, which journald also understands. Otherwise plain stderr.
 * LASTFRAME_LOG_LEVEL (a number) overrides the level.
 */
#include <syslog.h>
#include <stdbool.h>

void lf_log_init(const char *ident, int max_priority);
void lf_log_set_level(int max_priority);
int lf_log_get_level(void);
void lf_log_at(int priority, const char *file, int line, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#define lf_log(priority, ...) lf_log_at(priority, __FILE__, __LINE__, __func__, __VA_ARGS__)

#define lf_err(...)     lf_log(LOG_ERR, __VA_ARGS__)
#define lf_warn(...)    lf_log(LOG_WARNING, __VA_ARGS__)
#define lf_notice(...)  lf_log(LOG_NOTICE, __VA_ARGS__)
#define lf_info(...)    lf_log(LOG_INFO, __VA_ARGS__)
#define lf_debug(...)   lf_log(LOG_DEBUG, __VA_ARGS__)
