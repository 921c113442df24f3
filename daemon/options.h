/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * lastframed's settings: command-line flags and the config file
 * ($XDG_CONFIG_HOME/lastframe/lastframed.conf, "key = value" lines whose keys
 * are the long option names). Flags win over the file. Pure logic, so the unit
 * tests can drive it without a loop.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum lf_source_kind {
	LF_SOURCE_AUTO = 0,   /* no target: the session manager picks a Video/Source */
	LF_SOURCE_NODE = 1,   /* a PipeWire node: node.name or object.serial */
	LF_SOURCE_MUTTER = 2, /* org.gnome.Mutter.ScreenCast session */
	LF_SOURCE_PORTAL = 3, /* org.freedesktop.portal.ScreenCast session (any portal desktop) */
};

/* The portal's SourceType bits. */
#define LF_PORTAL_MONITOR 1u
#define LF_PORTAL_WINDOW  2u

enum lf_mutter_record {
	LF_MUTTER_MONITOR = 0, /* RecordMonitor(connector); "" = primary monitor */
	LF_MUTTER_VIRTUAL = 1, /* RecordVirtual: a new virtual monitor */
};

/* Values are Mutter's cursor-mode values. */
enum lf_cursor_mode {
	LF_CURSOR_HIDDEN = 0,
	LF_CURSOR_EMBEDDED = 1,
	LF_CURSOR_METADATA = 2,
};

/* The PipeWire < 1.4.8 return guard (capture/return-guard.h); values match
 * enum lf_return_guard_mode. */
enum lf_guard_mode {
	LF_GUARD_AUTO = 0,
	LF_GUARD_ON = 1,
	LF_GUARD_OFF = 2,
};

#define LF_CONFIG_STR 512
#define LF_CONFIG_MAX_IDS 16

struct lf_config {
	enum lf_source_kind source;
	char target[LF_CONFIG_STR];       /* LF_SOURCE_NODE */
	enum lf_mutter_record mutter_record;
	char connector[64];               /* LF_MUTTER_MONITOR; "" = primary */
	uint32_t virtual_width, virtual_height; /* LF_MUTTER_VIRTUAL; 0 = Mutter's default */
	enum lf_cursor_mode cursor;
	uint32_t portal_types;            /* LF_SOURCE_PORTAL: LF_PORTAL_* bits */
	char socket_path[LF_CONFIG_STR];  /* "" = $LASTFRAME_SOCKET or $XDG_RUNTIME_DIR/lastframe/socket */
	bool shm_only;
	char modifiers[LF_CONFIG_STR];    /* "" = ask EGL; else a list for capture/ (lf_modifiers_parse) */
	bool import_probe;                /* import the first dmabuf of each pair on the GPU (default) */
	enum lf_guard_mode return_guard;
	int log_level;                    /* syslog priority */
	bool log_level_given;             /* by a flag or the file: wins over $LASTFRAME_LOG_LEVEL */
	uint32_t fence_timeout_ms;
	bool fence_timeout_publish;       /* publish (flagged) instead of dropping on timeout */
	bool no_fence_wait;               /* never wait on fences (tests' negative control) */
	uint32_t max_clients;
	uint32_t lease_timeout_ms;
	/* Peers besides our own uid that may connect (SO_PEERCRED). */
	uid_t allow_uids[LF_CONFIG_MAX_IDS];
	gid_t allow_gids[LF_CONFIG_MAX_IDS];
	uint32_t n_allow_uids, n_allow_gids;
	char config_path[LF_CONFIG_STR];  /* "" = default path */
	bool no_config;
	uint64_t cmdline_set;             /* bit per key given as a flag: the file must not override it */
};

enum lf_config_action {
	LF_CONFIG_RUN = 0,
	LF_CONFIG_HELP = 1,
	LF_CONFIG_VERSION = 2,
	LF_CONFIG_LIST_FORMATS = 3,       /* print what capture/ would offer, exit */
};

void lf_config_init(struct lf_config *c);

/* Parse argv. Errors are printed to stderr; returns -EINVAL on bad usage. */
int lf_config_parse_args(struct lf_config *c, int argc, char **argv, enum lf_config_action *action);

/* Apply a config file's text; keys set on the command line are checked but
 * not applied. On error err holds "NAME:LINE: what". */
int lf_config_parse_text(struct lf_config *c, const char *text, const char *name,
			 char *err, size_t errlen);

/* Load c->config_path, or the default path (a missing default file is fine). */
int lf_config_load(struct lf_config *c, char *err, size_t errlen);

/* "node:X", "mutter", "mutter:virtual[=WxH]", "mutter:monitor[=CONNECTOR]",
 * "portal[:monitor|:window|:any]", "auto". */
int lf_config_parse_source(struct lf_config *c, const char *spec);

/* For --help and logs. */
void lf_config_usage(FILE *f);
const char *lf_cursor_mode_name(enum lf_cursor_mode m);
/* A short description of the source for logs and STATUS=. */
void lf_config_describe_source(const struct lf_config *c, char *buf, size_t len);
