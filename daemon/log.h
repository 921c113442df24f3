/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Daemon-wide logging. Priorities are syslog's. Output goes to the journal
 * (sd_journal) when stderr is connected to it (JOURNAL_STREAM), else to stderr,
 * with "<N>" prefixes when LF_LOG_PREFIX / JOURNAL_STREAM asks for them.
 */
#include <syslog.h>
#include <stdbool.h>

void lf_log_init(const char *ident, int max_priority);
void lf_log_set_level(int max_priority);
int lf_log_get_level(void);
void lf_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define lf_err(...)     lf_log(LOG_ERR, __VA_ARGS__)
#define lf_warn(...)    lf_log(LOG_WARNING, __VA_ARGS__)
#define lf_notice(...)  lf_log(LOG_NOTICE, __VA_ARGS__)
#define lf_info(...)    lf_log(LOG_INFO, __VA_ARGS__)
#define lf_debug(...)   lf_log(LOG_DEBUG, __VA_ARGS__)
