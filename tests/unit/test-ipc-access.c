/* SPDX-License-Identifier: MIT */
/*
 * ipc/server access control (fixture: ipc-server-fixture.c): socket and
 * directory modes, stale and foreign socket files, and the SO_PEERCRED
 * uid/gid allow lists checked with a forked peer that becomes nobody.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include "tests/unit/ipc-server-fixture.h"

START_TEST(socket_files)
{
	struct lf_server_options o = { .socket_path = ipct_path, .listen_fd = -1 };
	struct lf_server *other = NULL;
	struct stat st;
	char dpath[160];

	/* 0700 directory, 0600 socket */
	snprintf(dpath, sizeof(dpath), "%s/sub", ipct_dir);
	ck_assert_int_eq(stat(dpath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(stat(ipct_path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* a live server is not replaced */
	ck_assert_int_eq(lf_server_new(ipct_loop, &o, NULL, NULL, &other), -EADDRINUSE);
	ck_assert_int_eq(stat(ipct_path, &st), 0);
	/* a stale socket (nobody listening) is */
	lf_server_destroy(ipct_srv);
	ipct_srv = NULL;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", ipct_path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	ck_assert_int_eq(lf_server_new(ipct_loop, &o, NULL, NULL, &ipct_srv), 0);
	/* a non-socket file is left alone */
	lf_server_destroy(ipct_srv);
	ipct_srv = NULL;
	fd = open(ipct_path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(fd);
	ck_assert_int_eq(lf_server_new(ipct_loop, &o, NULL, NULL, &other), -EEXIST);
	unlink(ipct_path);
	ipct_make_server(1000);
	ipct_set_format(1);
}
END_TEST

/* Child: become uid/gid 65534 with supplementary group 4242, connect, HELLO.
 * Exit status: 2 WELCOME, the error code for ERROR, 1 anything else. */
static int peer_as_nobody(void)
{
	struct lf_msg_hello h = { .hdr = { LF_MSG_HELLO, 0, sizeof(h) }, .version = 1 };
	gid_t g = 4242;
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		struct lf_proto_msg m;
		int fd, t;

		if (setgroups(1, &g) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(1);
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", ipct_path);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			_exit(1);
		send(fd, &h, sizeof(h), MSG_NOSIGNAL);
		ssize_t n = recv(fd, ipct_rx, sizeof(ipct_rx), 0);
		if (n < 0 && errno == ECONNRESET)
			n = recv(fd, ipct_rx, sizeof(ipct_rx), 0);
		if (n <= 0 || lf_proto_parse(ipct_rx, (size_t)n, 0, LF_PROTO_TO_CLIENT, &m) < 0)
			_exit(1);
		t = m.hdr.type;
		_exit(t == LF_MSG_WELCOME ? 2 : t == LF_MSG_ERROR ? (int)m.u.error.code : 1);
	}
	/* The server runs on this thread: turn the ipct_loop until the child is done. */
	pw_loop_enter(ipct_loop);
	while (waitpid(pid, &status, WNOHANG) == 0)
		pw_loop_iterate(ipct_loop, 10);
	pw_loop_leave(ipct_loop);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void allow_server(const uid_t *uids, size_t nu, const gid_t *gids, size_t ng)
{
	struct lf_server_options o = { .socket_path = ipct_path, .listen_fd = -1, .allowed_uids = uids,
				       .n_allowed_uids = nu, .allowed_gids = gids, .n_allowed_gids = ng };
	char sub[80];

	lf_server_destroy(ipct_srv);
	ck_assert_int_eq(lf_server_new(ipct_loop, &o, NULL, NULL, &ipct_srv), 0);
	/* the directory and socket modes would stop the peer before SO_PEERCRED */
	snprintf(sub, sizeof(sub), "%s/sub", ipct_dir);
	ck_assert_int_eq(chmod(ipct_dir, 0711), 0);
	ck_assert_int_eq(chmod(sub, 0711), 0);
	ck_assert_int_eq(chmod(ipct_path, 0666), 0);
}

START_TEST(allow_lists)
{
	const uid_t nobody = 65534, other = 1234;
	const gid_t nogroup = 65534, supp = 4242, wrong = 4243;

	if (geteuid() != 0)
		return; /* needs root to be another user */
	allow_server(NULL, 0, NULL, 0);
	ck_assert_int_eq(peer_as_nobody(), EACCES);
	allow_server(&nobody, 1, NULL, 0);
	ck_assert_int_eq(peer_as_nobody(), 2);
	allow_server(&other, 1, &nogroup, 1);
	ck_assert_int_eq(peer_as_nobody(), 2);
	allow_server(NULL, 0, &supp, 1);
	ck_assert_int_eq(peer_as_nobody(), 2);
	allow_server(&other, 1, &wrong, 1);
	ck_assert_int_eq(peer_as_nobody(), EACCES);
	ipct_set_format(1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipc-server-access");
	TCase *tc = tcase_create("access");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, ipct_setup, ipct_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, socket_files);
	tcase_add_test(tc, allow_lists);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
