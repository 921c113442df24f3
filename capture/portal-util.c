/* SPDX-License-Identifier: MIT */
/*
 * Pure helpers of the ScreenCast portal source: object paths as the
 * xdg-desktop-portal spec builds them, Response results, the restore token.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/portal-util.h"

static bool path_element_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

int lf_portal_object_path(char *buf, size_t len, const char *kind, const char *unique_name,
			  const char *token)
{
	char sender[256];
	size_t i, n = 0;
	int w;

	if (!unique_name || unique_name[0] != ':' || !token || !path_element_ok(token))
		return -EINVAL;
	for (i = 1; unique_name[i]; i++) {
		if (n + 1 >= sizeof(sender))
			return -EINVAL;
		sender[n++] = unique_name[i] == '.' ? '_' : unique_name[i];
	}
	sender[n] = '\0';
	if (!path_element_ok(sender))
		return -EINVAL;
	w = snprintf(buf, len, "/org/freedesktop/portal/desktop/%s/%s/%s", kind, sender, token);
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

bool lf_portal_token_valid(const char *token)
{
	size_t n = 0;

	if (!token)
		return false;
	for (; token[n]; n++)
		if (token[n] <= ' ' || token[n] > '~' || token[n] == '"' || token[n] == '\'' ||
		    token[n] == '\\')
			return false;
	return n >= 1 && n <= LF_PORTAL_TOKEN_MAX;
}

uint32_t lf_portal_pick_cursor(uint32_t available)
{
	if (available & 4)
		return 4;
	if (available & 2)
		return 2;
	if (available & 1)
		return 1;
	return 0;
}

/* One stream: (u node_id, a{sv} properties); only the first is kept. */
static int read_stream(sd_bus_message *m, struct lf_portal_results *out)
{
	uint32_t node;
	int r;

	r = sd_bus_message_enter_container(m, 'r', "ua{sv}");
	if (r <= 0)
		return r;
	if ((r = sd_bus_message_read(m, "u", &node)) < 0)
		return r;
	if (out->n_streams == 0)
		out->node_id = node;
	if ((r = sd_bus_message_enter_container(m, 'a', "{sv}")) < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key;

		if ((r = sd_bus_message_read(m, "s", &key)) < 0)
			return r;
		if (out->n_streams == 0 && !strcmp(key, "size") &&
		    sd_bus_message_verify_type(m, 'v', "(ii)") > 0)
			r = sd_bus_message_read(m, "v", "(ii)", &out->width, &out->height);
		else if (out->n_streams == 0 && !strcmp(key, "source_type") &&
			 sd_bus_message_verify_type(m, 'v', "u") > 0)
			r = sd_bus_message_read(m, "v", "u", &out->source_type);
		else
			r = sd_bus_message_skip(m, "v");
		if (r < 0)
			return r;
		if ((r = sd_bus_message_exit_container(m)) < 0)
			return r;
	}
	if (r < 0)
		return r;
	if ((r = sd_bus_message_exit_container(m)) < 0 ||
	    (r = sd_bus_message_exit_container(m)) < 0)
		return r;
	out->n_streams++;
	return 1;
}

static int read_streams(sd_bus_message *m, struct lf_portal_results *out)
{
	int r;

	if ((r = sd_bus_message_enter_container(m, 'v', "a(ua{sv})")) < 0)
		return r;
	if ((r = sd_bus_message_enter_container(m, 'a', "(ua{sv})")) < 0)
		return r;
	while ((r = read_stream(m, out)) > 0)
		;
	if (r < 0)
		return r;
	if ((r = sd_bus_message_exit_container(m)) < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int read_string(sd_bus_message *m, char *buf, size_t len, bool *bad)
{
	const char *v;
	int r;

	/* session_handle is 'o' in the spec, 's' in xdg-desktop-portal. */
	if (sd_bus_message_verify_type(m, 'v', "s") > 0)
		r = sd_bus_message_read(m, "v", "s", &v);
	else if (sd_bus_message_verify_type(m, 'v', "o") > 0)
		r = sd_bus_message_read(m, "v", "o", &v);
	else {
		*bad = true;
		return sd_bus_message_skip(m, "v");
	}
	if (r < 0)
		return r;
	if (strlen(v) >= len) {
		*bad = true;
		return 0;
	}
	memcpy(buf, v, strlen(v) + 1);
	return 0;
}

int lf_portal_parse_response(sd_bus_message *m, uint32_t *code, struct lf_portal_results *out)
{
	bool ignored = false;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = sd_bus_message_read(m, "u", code)) < 0)
		return r;
	if ((r = sd_bus_message_enter_container(m, 'a', "{sv}")) < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key;

		if ((r = sd_bus_message_read(m, "s", &key)) < 0)
			return r;
		if (!strcmp(key, "session_handle"))
			r = read_string(m, out->session_handle, sizeof(out->session_handle), &ignored);
		else if (!strcmp(key, "restore_token"))
			r = read_string(m, out->restore_token, sizeof(out->restore_token),
					&out->bad_token);
		else if (!strcmp(key, "streams") && sd_bus_message_verify_type(m, 'v', "a(ua{sv})") > 0)
			r = read_streams(m, out);
		else
			r = sd_bus_message_skip(m, "v");
		if (r < 0)
			return r;
		if ((r = sd_bus_message_exit_container(m)) < 0)
			return r;
	}
	if (r < 0)
		return r;
	if (out->restore_token[0] && !lf_portal_token_valid(out->restore_token)) {
		out->restore_token[0] = '\0';
		out->bad_token = true;
	}
	r = sd_bus_message_exit_container(m);
	return r < 0 ? r : 0;
}

int lf_portal_token_path(char *buf, size_t len, uint32_t types)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	const char *kind = types == 1 ? "monitor" : types == 2 ? "window" : "any";
	int w;

	if (state && state[0] == '/')
		w = snprintf(buf, len, "%s/lastframe/portal-%s.token", state, kind);
	else if (home && home[0] == '/')
		w = snprintf(buf, len, "%s/.local/state/lastframe/portal-%s.token", home, kind);
	else
		return -ENOENT;
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

int lf_portal_token_load(const char *path, char *buf, size_t len)
{
	char tmp[LF_PORTAL_TOKEN_MAX + 2];
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, tmp, sizeof(tmp) - 1);
	if (n < 0)
		r = -errno;
	close(fd);
	if (r < 0 || n < 0)
		return r < 0 ? r : -EIO;
	tmp[n] = '\0';
	/* One line; a trailing newline (an editor's) is fine. */
	if (n > 0 && tmp[n - 1] == '\n')
		tmp[--n] = '\0';
	if (!lf_portal_token_valid(tmp) || (size_t)n >= len)
		return -EINVAL;
	memcpy(buf, tmp, (size_t)n + 1);
	return 0;
}

static int make_dir(const char *file)
{
	char dir[4096];
	char *slash;
	size_t i;

	if (strlen(file) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, file);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	/* Every missing level, like mkdir -p (the state dir may not exist yet). */
	for (i = 1; dir[i]; i++) {
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		dir[i] = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int lf_portal_token_save(const char *path, const char *token)
{
	char tmp[4096 + 16];
	size_t len;
	int fd = -1, r, w;

	if (!lf_portal_token_valid(token))
		return -EINVAL;
	w = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (w < 0 || (size_t)w >= sizeof(tmp))
		return -ENAMETOOLONG;
	if ((r = make_dir(path)) < 0)
		return r;
	fd = mkostemp(tmp, O_CLOEXEC); /* 0600 */
	if (fd < 0)
		return -errno;
	len = strlen(token);
	if (write(fd, token, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		r = errno ? -errno : -EIO;
		goto fail;
	}
	if (fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}
