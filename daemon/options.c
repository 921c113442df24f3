/* SPDX-License-Identifier: MIT */
#include "daemon/options.h"
#include "daemon/options-values.h"
#include "capture/modifiers.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

/* Keys shared by the file and the flags; the bit marks "given as a flag". */
enum key_id {
	K_SOURCE,      /* also --target */
	K_CURSOR,
	K_SOCKET,
	K_SHM_ONLY,
	K_LOG_LEVEL,   /* also --verbose */
	K_FENCE_TIMEOUT,
	K_MAX_CLIENTS,
	K_LEASE_TIMEOUT,
	K_FENCE_PUBLISH,
	K_NO_FENCE_WAIT,
	K_MODIFIERS,
	K_ALLOW_UIDS,
	K_ALLOW_GIDS,
	K_IMPORT_PROBE,
	K_RETURN_GUARD,
	K_COUNT,
};

static const char *const key_names[K_COUNT] = {
	[K_SOURCE] = "source",
	[K_CURSOR] = "cursor",
	[K_SOCKET] = "socket",
	[K_SHM_ONLY] = "shm-only",
	[K_LOG_LEVEL] = "log-level",
	[K_FENCE_TIMEOUT] = "fence-timeout-ms",
	[K_MAX_CLIENTS] = "max-clients",
	[K_LEASE_TIMEOUT] = "lease-timeout-ms",
	[K_FENCE_PUBLISH] = "fence-timeout-publish",
	[K_NO_FENCE_WAIT] = "no-fence-wait",
	[K_MODIFIERS] = "modifiers",
	[K_ALLOW_UIDS] = "allow-users",
	[K_ALLOW_GIDS] = "allow-groups",
	[K_IMPORT_PROBE] = "import-probe",
	[K_RETURN_GUARD] = "return-guard",
};

/* "alice,1001" → ids; names through NSS. The list replaces any earlier one. */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void lf_config_init(struct lf_config *c)
{
	memset(c, 0, sizeof(*c));
	c->source = LF_SOURCE_AUTO;
	c->mutter_record = LF_MUTTER_MONITOR;
	c->cursor = LF_CURSOR_HIDDEN;
	c->log_level = LOG_INFO;
	c->fence_timeout_ms = 100;
	c->max_clients = 64;
	c->lease_timeout_ms = 1000;
	c->import_probe = true;
}


int lf_config_parse_source(struct lf_config *c, const char *spec)
{
	struct lf_config t = *c;

	if (!strcmp(spec, "auto")) {
		t.source = LF_SOURCE_AUTO;
		t.target[0] = '\0';
	} else if (!strncmp(spec, "node:", 5)) {
		if (!spec[5] || lf_opt_copy_str(t.target, sizeof(t.target), spec + 5) < 0)
			return -EINVAL;
		t.source = LF_SOURCE_NODE;
	} else if (!strcmp(spec, "mutter") || !strncmp(spec, "mutter:", 7)) {
		const char *arg = spec[6] ? spec + 7 : "";

		if (spec[6] && !*arg)
			return -EINVAL; /* "mutter:" */

		t.source = LF_SOURCE_MUTTER;
		t.mutter_record = LF_MUTTER_MONITOR;
		t.connector[0] = '\0';
		t.virtual_width = t.virtual_height = 0;
		if (!strcmp(arg, "") || !strcmp(arg, "monitor")) {
			/* primary monitor */
		} else if (!strncmp(arg, "monitor=", 8)) {
			if (!arg[8] || lf_opt_copy_str(t.connector, sizeof(t.connector), arg + 8) < 0)
				return -EINVAL;
		} else if (!strcmp(arg, "virtual")) {
			t.mutter_record = LF_MUTTER_VIRTUAL;
		} else if (!strncmp(arg, "virtual=", 8)) {
			t.mutter_record = LF_MUTTER_VIRTUAL;
			if (lf_opt_parse_size(arg + 8, &t.virtual_width, &t.virtual_height) < 0)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	} else if (!strcmp(spec, "portal") || !strcmp(spec, "portal:monitor")) {
		t.source = LF_SOURCE_PORTAL;
		t.portal_types = LF_PORTAL_MONITOR;
	} else if (!strcmp(spec, "portal:window")) {
		t.source = LF_SOURCE_PORTAL;
		t.portal_types = LF_PORTAL_WINDOW;
	} else if (!strcmp(spec, "portal:any")) {
		t.source = LF_SOURCE_PORTAL;
		t.portal_types = LF_PORTAL_MONITOR | LF_PORTAL_WINDOW;
	} else {
		return -EINVAL;
	}
	*c = t;
	return 0;
}

void lf_config_describe_source(const struct lf_config *c, char *buf, size_t len)
{
	switch (c->source) {
	case LF_SOURCE_AUTO:
		snprintf(buf, len, "any Video/Source node");
		break;
	case LF_SOURCE_NODE:
		snprintf(buf, len, "node %s", c->target);
		break;
	case LF_SOURCE_MUTTER:
		if (c->mutter_record == LF_MUTTER_VIRTUAL && c->virtual_width)
			snprintf(buf, len, "Mutter virtual monitor %ux%u",
				 c->virtual_width, c->virtual_height);
		else if (c->mutter_record == LF_MUTTER_VIRTUAL)
			snprintf(buf, len, "Mutter virtual monitor");
		else if (c->connector[0])
			snprintf(buf, len, "Mutter monitor %s", c->connector);
		else
			snprintf(buf, len, "Mutter primary monitor");
		break;
	case LF_SOURCE_PORTAL:
		snprintf(buf, len, "ScreenCast portal (%s)",
			 c->portal_types == LF_PORTAL_MONITOR ? "a monitor" :
			 c->portal_types == LF_PORTAL_WINDOW ? "a window" : "a monitor or a window");
		break;
	}
}

/* One key's value into c. The message names the key; callers add where. */
static int apply_key(struct lf_config *c, enum key_id k, const char *v, char *err, size_t errlen)
{
	uint32_t u;
	int r = 0;

	switch (k) {
	case K_SOURCE:
		r = lf_config_parse_source(c, v);
		if (r < 0)
			seterr(err, errlen, "invalid source '%s' (expected node:TARGET, "
			       "mutter[:virtual[=WxH]|:monitor[=CONNECTOR]], "
			       "portal[:monitor|:window|:any] or auto)", v);
		break;
	case K_CURSOR:
		r = lf_opt_parse_cursor(v, &c->cursor);
		if (r < 0)
			seterr(err, errlen, "invalid cursor mode '%s' (expected hidden, embedded or metadata)", v);
		break;
	case K_SOCKET:
		r = (*v && lf_opt_copy_str(c->socket_path, sizeof(c->socket_path), v) == 0) ? 0 : -EINVAL;
		if (r < 0)
			seterr(err, errlen, "invalid socket path '%s' (empty or longer than %zu bytes)",
			       v, sizeof(c->socket_path) - 1);
		break;
	case K_SHM_ONLY:
		r = lf_opt_parse_bool(v, &c->shm_only);
		if (r < 0)
			seterr(err, errlen, "invalid boolean '%s' for shm-only (expected yes or no)", v);
		break;
	case K_ALLOW_UIDS:
	case K_ALLOW_GIDS:
		/* uid_t and gid_t are 32-bit unsigned on Linux. */
		r = k == K_ALLOW_UIDS ? lf_opt_parse_ids(v, false, (uint32_t *)c->allow_uids, &c->n_allow_uids)
				      : lf_opt_parse_ids(v, true, (uint32_t *)c->allow_gids, &c->n_allow_gids);
		if (r < 0)
			seterr(err, errlen, "invalid %s '%s' (%s)", key_names[k], v,
			       r == -ENOENT ? "no such name" : r == -E2BIG ? "at most 16 entries"
			       : "expected comma-separated names or numeric ids");
		break;
	case K_MODIFIERS: {
		uint64_t *mods = NULL;
		size_t n = 0;

		/* Parse now so a typo is a config error, not a runtime one. */
		r = lf_modifiers_parse(v, &mods, &n);
		free(mods);
		if (r >= 0 && n == 0)
			r = -EINVAL;
		if (r >= 0)
			r = lf_opt_copy_str(c->modifiers, sizeof(c->modifiers), v);
		if (r < 0)
			seterr(err, errlen, "invalid modifier list '%s' (expected comma-separated "
			       "LINEAR, INVALID or 0x… values)", v);
		break;
	}
	case K_FENCE_PUBLISH:
	case K_NO_FENCE_WAIT:
	case K_IMPORT_PROBE:
		r = lf_opt_parse_bool(v, k == K_FENCE_PUBLISH ? &c->fence_timeout_publish
				      : k == K_NO_FENCE_WAIT ? &c->no_fence_wait : &c->import_probe);
		if (r < 0)
			seterr(err, errlen, "invalid boolean '%s' for %s (expected yes or no)", v, key_names[k]);
		break;
	case K_RETURN_GUARD:
		r = lf_opt_parse_guard(v, &c->return_guard);
		if (r < 0)
			seterr(err, errlen, "invalid value '%s' for return-guard (expected auto, on or off)", v);
		break;
	case K_LOG_LEVEL:
		r = lf_opt_parse_log_level(v, &c->log_level);
		if (r == 0)
			c->log_level_given = true;
		if (r < 0)
			seterr(err, errlen, "invalid log level '%s' (expected err, warning, notice, info, debug or 0-7)", v);
		break;
	case K_FENCE_TIMEOUT:
	case K_MAX_CLIENTS:
	case K_LEASE_TIMEOUT:
		r = lf_opt_parse_u32(v, 1, k == K_MAX_CLIENTS ? 4096 : 60000, &u);
		if (r < 0) {
			seterr(err, errlen, "invalid value '%s' for %s (expected 1-%u)", v, key_names[k],
			       k == K_MAX_CLIENTS ? 4096 : 60000);
			break;
		}
		if (k == K_FENCE_TIMEOUT)
			c->fence_timeout_ms = u;
		else if (k == K_MAX_CLIENTS)
			c->max_clients = u;
		else
			c->lease_timeout_ms = u;
		break;
	case K_COUNT:
		r = -EINVAL;
		break;
	}
	return r;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int lf_config_parse_text(struct lf_config *c, const char *text, const char *name,
			 char *err, size_t errlen)
{
	struct lf_config t = *c;
	char line[1024], msg[768];
	unsigned lineno = 0;
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *key, *val, *eq;
		int k;

		lineno++;
		if (n >= sizeof(line)) {
			seterr(err, errlen, "%s:%u: line too long", name, lineno);
			return -EINVAL;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : p + n;

		key = trim(line);
		if (!*key || *key == '#' || *key == ';')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			seterr(err, errlen, "%s:%u: expected 'key = value', got '%s'", name, lineno, key);
			return -EINVAL;
		}
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		for (k = 0; k < K_COUNT; k++)
			if (!strcmp(key, key_names[k]))
				break;
		if (k == K_COUNT) {
			seterr(err, errlen, "%s:%u: unknown key '%s' (known: source, cursor, socket, "
			       "shm-only, log-level, fence-timeout-ms, max-clients, lease-timeout-ms, "
			       "fence-timeout-publish, no-fence-wait, modifiers, allow-users, allow-groups, "
			       "import-probe, return-guard)",
			       name, lineno, key);
			return -EINVAL;
		}
		if (t.cmdline_set & (1ull << k)) {
			/* The flag wins, but a broken file is still reported. */
			struct lf_config scratch = t;
			if (apply_key(&scratch, k, val, msg, sizeof(msg)) < 0)
				goto bad;
			continue;
		}
		if (apply_key(&t, k, val, msg, sizeof(msg)) < 0)
			goto bad;
		continue;
bad:
		seterr(err, errlen, "%s:%u: %s", name, lineno, msg);
		return -EINVAL;
	}
	*c = t;
	return 0;
}

static int default_config_path(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	if (xdg && *xdg == '/')
		n = snprintf(buf, len, "%s/lastframe/lastframed.conf", xdg);
	else if (home && *home == '/')
		n = snprintf(buf, len, "%s/.config/lastframe/lastframed.conf", home);
	else
		return -ENOENT;
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

int lf_config_load(struct lf_config *c, char *err, size_t errlen)
{
	char path[LF_CONFIG_STR + 64];
	bool explicit = c->config_path[0] != '\0';
	char *text = NULL;
	size_t size = 0, cap = 0;
	int fd = -1, r;

	if (c->no_config)
		return 0;
	if (explicit)
		snprintf(path, sizeof(path), "%s", c->config_path);
	else if (default_config_path(path, sizeof(path)) < 0)
		return 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT && !explicit) {
			r = 0;
			goto out;
		}
		seterr(err, errlen, "cannot open config file %s: %s", path, strerror(-r));
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (cap - size < 4096) {
			char *nt;

			if (cap >= 1024 * 1024) {
				r = -EFBIG;
				seterr(err, errlen, "config file %s is larger than 1 MiB", path);
				goto out;
			}
			nt = realloc(text, cap + 8192);
			if (!nt) {
				r = -ENOMEM;
				seterr(err, errlen, "out of memory reading %s", path);
				goto out;
			}
			text = nt;
			cap += 8192;
		}
		n = read(fd, text + size, cap - size - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			seterr(err, errlen, "cannot read config file %s: %s", path, strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		size += (size_t)n;
	}
	text[size] = '\0';
	if (strlen(text) != size) {
		r = -EINVAL;
		seterr(err, errlen, "config file %s contains a NUL byte", path);
		goto out;
	}
	r = lf_config_parse_text(c, text, path, err, errlen);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return r;
}

int lf_config_parse_args(struct lf_config *c, int argc, char **argv, enum lf_config_action *action)
{
	enum {
		O_SOURCE = 0x100, O_CURSOR, O_SHM_ONLY, O_LOG_LEVEL, O_FENCE_TIMEOUT,
		O_MAX_CLIENTS, O_LEASE_TIMEOUT, O_NO_CONFIG, O_FENCE_PUBLISH, O_NO_FENCE_WAIT,
		O_MODIFIERS, O_LIST_FORMATS, O_ALLOW_UIDS, O_ALLOW_GIDS, O_NO_IMPORT_PROBE, O_RETURN_GUARD,
	};
	static const struct option long_opts[] = {
		{ "source", required_argument, NULL, O_SOURCE },
		{ "target", required_argument, NULL, 't' },
		{ "cursor", required_argument, NULL, O_CURSOR },
		{ "socket", required_argument, NULL, 's' },
		{ "shm-only", no_argument, NULL, O_SHM_ONLY },
		{ "modifiers", required_argument, NULL, O_MODIFIERS },
		{ "list-formats", no_argument, NULL, O_LIST_FORMATS },
		{ "no-import-probe", no_argument, NULL, O_NO_IMPORT_PROBE },
		{ "return-guard", required_argument, NULL, O_RETURN_GUARD },
		{ "allow-users", required_argument, NULL, O_ALLOW_UIDS },
		{ "allow-groups", required_argument, NULL, O_ALLOW_GIDS },
		{ "max-clients", required_argument, NULL, O_MAX_CLIENTS },
		{ "lease-timeout-ms", required_argument, NULL, O_LEASE_TIMEOUT },
		{ "fence-timeout-ms", required_argument, NULL, O_FENCE_TIMEOUT },
		{ "fence-timeout-publish", no_argument, NULL, O_FENCE_PUBLISH },
		{ "no-fence-wait", no_argument, NULL, O_NO_FENCE_WAIT },
		{ "config", required_argument, NULL, 'c' },
		{ "no-config", no_argument, NULL, O_NO_CONFIG },
		{ "verbose", no_argument, NULL, 'v' },
		{ "log-level", required_argument, NULL, O_LOG_LEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char err[768], spec[LF_CONFIG_STR + 8];
	int opt;

	*action = LF_CONFIG_RUN;
	optind = 0; /* full re-initialisation: the tests parse several argvs */
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "t:s:c:vhV", long_opts, NULL)) != -1) {
		enum key_id k = K_COUNT;
		const char *val = optarg;

		switch (opt) {
		case 'h': *action = LF_CONFIG_HELP; return 0;
		case 'V': *action = LF_CONFIG_VERSION; return 0;
		case 'c':
			if (lf_opt_copy_str(c->config_path, sizeof(c->config_path), optarg) < 0 || !*optarg) {
				fprintf(stderr, "lastframed: invalid config path '%s'\n", optarg);
				return -EINVAL;
			}
			continue;
		case O_NO_CONFIG: c->no_config = true; continue;
		case 'v':
			c->log_level = LOG_DEBUG;
			c->log_level_given = true;
			c->cmdline_set |= 1ull << K_LOG_LEVEL;
			continue;
		case 't':
			snprintf(spec, sizeof(spec), "node:%s", optarg);
			k = K_SOURCE;
			val = spec;
			break;
		case O_SOURCE: k = K_SOURCE; break;
		case O_CURSOR: k = K_CURSOR; break;
		case 's': k = K_SOCKET; break;
		case O_SHM_ONLY: k = K_SHM_ONLY; val = "yes"; break;
		case O_MODIFIERS: k = K_MODIFIERS; break;
		case O_ALLOW_UIDS: k = K_ALLOW_UIDS; break;
		case O_ALLOW_GIDS: k = K_ALLOW_GIDS; break;
		case O_LIST_FORMATS: *action = LF_CONFIG_LIST_FORMATS; continue;
		case O_NO_IMPORT_PROBE: k = K_IMPORT_PROBE; val = "no"; break;
		case O_RETURN_GUARD: k = K_RETURN_GUARD; break;
		case O_LOG_LEVEL: k = K_LOG_LEVEL; break;
		case O_FENCE_TIMEOUT: k = K_FENCE_TIMEOUT; break;
		case O_FENCE_PUBLISH: k = K_FENCE_PUBLISH; val = "yes"; break;
		case O_NO_FENCE_WAIT: k = K_NO_FENCE_WAIT; val = "yes"; break;
		case O_MAX_CLIENTS: k = K_MAX_CLIENTS; break;
		case O_LEASE_TIMEOUT: k = K_LEASE_TIMEOUT; break;
		default:
			fprintf(stderr, "Try 'lastframed --help' for more information.\n");
			return -EINVAL;
		}
		if (apply_key(c, k, val, err, sizeof(err)) < 0) {
			fprintf(stderr, "lastframed: --%s: %s\n", key_names[k], err);
			return -EINVAL;
		}
		c->cmdline_set |= 1ull << k;
	}
	if (optind < argc) {
		fprintf(stderr, "lastframed: unexpected argument '%s'\n"
			"Try 'lastframed --help' for more information.\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}
