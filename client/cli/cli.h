/* SPDX-License-Identifier: MIT */
#pragma once
/* The lastframe CLI: shared pieces of the commands. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "client/lastframe.h"

#define LF_EXIT_OK    0
#define LF_EXIT_ERROR 1
#define LF_EXIT_USAGE 2

struct lf_cli {
	const char *socket_path; /* resolved: --socket, $LASTFRAME_SOCKET or the default */
	char socket_buf[256];
	double timeout_s;        /* --timeout, default 5 */
	bool gpu_import;         /* --gpu: connect as a GPU client (LASTFRAME_GPU_IMPORT) */
};

struct lf_cli_cmd {
	const char *name;
	const char *summary;     /* one line for the command list */
	const char *help;        /* full help text */
	int (*run)(struct lf_cli *cli, int argc, char **argv);
	bool hidden;             /* documented in its own help and the man page only */
};

extern const struct lf_cli_cmd lf_cmd_grab, lf_cmd_info, lf_cmd_watch, lf_cmd_stats,
	lf_cmd_report_import_failure;

/* common.c */
void lf_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: message + hint, returns LF_EXIT_USAGE. */
int lf_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lf_cli_timeout_ms(const struct lf_cli *cli);
/* Connects or prints why not ("cannot connect to lastframed at PATH: …"). */
int lf_cli_connect(struct lf_cli *cli, uint32_t flags, uint32_t max_held, struct lastframe **out);
/* "no frame within N s" with what the stream is doing, for ETIMEDOUT. */
void lf_cli_explain_no_frame(struct lastframe *lf, const struct lf_cli *cli, int err);
bool lf_cli_set_timeout(struct lf_cli *cli, const char *arg);
void lf_cli_print_help(const struct lf_cli_cmd *cmd);

#define LF_MODIFIER_INVALID 0x00ffffffffffffffull

/* names.c */
const char *lf_format_name(uint32_t drm_format);        /* "BGRx", or NULL when unknown */
void lf_fourcc_str(uint32_t drm_format, char out[5]);   /* "XR24" */
/* "LINEAR", "INVALID", a vendor name from libdrm, or "0x…"; writes into buf. */
const char *lf_modifier_name(uint64_t modifier, char *buf, size_t len);
const char *lf_buffer_type_name(uint32_t type);
/* LASTFRAME_READ_*: "direct", "GPU readback", "linear map of INVALID", ... */
const char *lf_read_path_name(uint32_t path);
const char *lf_state_name(uint32_t state);
void lf_json_string(FILE *f, const char *s);
int lf_parse_fourcc(const char *s, uint32_t *out);

/* Options every command accepts, for its getopt_long tables. */
#define LF_CLI_COMMON_OPTS                                    \
	{ "socket", required_argument, NULL, 's' },           \
	{ "timeout", required_argument, NULL, 't' },          \
	{ "help", no_argument, NULL, 'h' }
#define LF_CLI_COMMON_SHORT "s:t:h"
/* Handles a common option or a getopt error: -1 to go on, else the exit code. */
int lf_cli_common_opt(struct lf_cli *cli, const struct lf_cli_cmd *cmd, int c, const char *arg);
