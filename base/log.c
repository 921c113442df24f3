/* SPDX-License-Identifier: MIT */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

static const char *log_ident = "lastframed";
static int log_max = LOG_INFO;
static bool log_journal;

void lf_log_init(const char *ident, int max_priority)
{
	const char *lvl = getenv("LASTFRAME_LOG_LEVEL");

	if (ident)
		log_ident = ident;
	log_max = max_priority;
	if (lvl && *lvl)
		log_max = atoi(lvl);
	/* JOURNAL_STREAM means stderr already goes to the journal: use the
	 * native protocol so priorities and fields survive. */
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void lf_log_set_level(int max_priority) { log_max = max_priority; }
int lf_log_get_level(void) { return log_max; }

void lf_log_at(int priority, const char *file, int line, const char *func, const char *fmt, ...)
{
	char buf[1024], code_file[256], code_line[32];
	va_list ap;

	if (priority > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_journal) {
		/* The caller's location, not this file's: journalctl -o verbose
		 * then points at the code that logged. */
		snprintf(code_file, sizeof(code_file), "CODE_FILE=%s", file);
		snprintf(code_line, sizeof(code_line), "CODE_LINE=%d", line);
		if (sd_journal_send_with_location(code_file, code_line, func, "MESSAGE=%s", buf,
						  "PRIORITY=%d", priority, "SYSLOG_IDENTIFIER=%s",
						  log_ident, NULL) >= 0)
			return;
		fprintf(stderr, "<%d>%s\n", priority, buf);
		return;
	}
	fprintf(stderr, "%s: %s\n", log_ident, buf);
}
