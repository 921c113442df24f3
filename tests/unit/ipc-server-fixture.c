/* SPDX-License-Identifier: MIT */
/*
 * Fixture shared by the ipc/server unit tests: a real pw_loop (iterated by
 * the test, no PipeWire daemon), the server on a socket in a temp dir, raw
 * SOCK_SEQPACKET clients, and fake lf_buffers backed by memfds.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/unit/ipc-server-fixture.h"

struct pw_loop *ipct_loop;
struct lf_server *ipct_srv;
char ipct_dir[40], ipct_path[80];
struct lf_buffer ipct_bufs[NBUF];
int ipct_released[NBUF];
uint64_t ipct_next_seq;
int ipct_n_clients_event;
uint8_t ipct_rx[LF_PROTO_MAX_MSG];

static void ipct_buf_release(struct lf_buffer *b, void *data)
{
	ipct_released[b - ipct_bufs]++;
}

static void ipct_on_clients(void *data, uint32_t n)
{
	ipct_n_clients_event = (int)n;
}

static const struct lf_server_events ipct_events = { .clients_changed = ipct_on_clients };

void ipct_pump(void)
{
	pw_loop_enter(ipct_loop);
	for (int i = 0; i < 20; i++)
		pw_loop_iterate(ipct_loop, 0);
	pw_loop_leave(ipct_loop);
}

void ipct_make_server(uint32_t lease_timeout_ms)
{
	struct lf_server_options o = { .socket_path = ipct_path, .listen_fd = -1, .max_clients = 8,
				       .lease_timeout_ms = lease_timeout_ms, .max_held = 3 };

	ck_assert_int_eq(lf_server_new(ipct_loop, &o, &ipct_events, NULL, &ipct_srv), 0);
}

void ipct_set_format(uint32_t gen)
{
	struct lf_video_format f = { .width = 64, .height = 16, .drm_format = 0x34325258,
				     .n_planes = 1, .buffer_type = LF_BUFFER_MEMFD,
				     .fps_num = 60, .fps_den = 1 };

	for (int i = 0; i < NBUF; i++)
		ipct_bufs[i].generation = gen;
	lf_server_set_format(ipct_srv, &f, gen, LF_STREAM_STREAMING);
}

void ipct_setup(void)
{
	pw_init(NULL, NULL);
	ipct_loop = pw_loop_new(NULL);
	ck_assert_ptr_nonnull(ipct_loop);
	snprintf(ipct_dir, sizeof(ipct_dir), "/tmp/lf-test-ipc-server.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(ipct_dir));
	snprintf(ipct_path, sizeof(ipct_path), "%s/sub/socket", ipct_dir);
	memset(ipct_released, 0, sizeof(ipct_released));
	ipct_next_seq = 100;
	for (int i = 0; i < NBUF; i++) {
		int fd = memfd_create("lf-test", MFD_CLOEXEC);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ftruncate(fd, 4096), 0);
		ipct_bufs[i] = (struct lf_buffer){ .id = 10 + i, .generation = 1, .type = LF_BUFFER_MEMFD,
					      .n_planes = 1, .release = ipct_buf_release,
					      .planes = { { .fd = fd, .offset = 0, .stride = 256, .size = 4096 } } };
	}
	ipct_make_server(1000);
	ipct_set_format(1);
}

void ipct_teardown(void)
{
	lf_server_destroy(ipct_srv);
	ipct_srv = NULL;
	for (int i = 0; i < NBUF; i++) {
		ck_assert_int_eq(ipct_bufs[i].refs, 0); /* every reference went back */
		close(ipct_bufs[i].planes[0].fd);
	}
	/* the socket we created is gone, its directory stays */
	ck_assert_int_ne(access(ipct_path, F_OK), 0);
	char sub[160];
	snprintf(sub, sizeof(sub), "%s/sub", ipct_dir);
	rmdir(sub);
	rmdir(ipct_dir);
	pw_loop_destroy(ipct_loop);
	pw_deinit();
}

int ipct_cl_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", ipct_path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ipct_pump();
	return fd;
}

void ipct_cl_send(int fd, const void *p, size_t len)
{
	ck_assert_int_eq(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
	ipct_pump();
}

/* Next message (type returned, 0 when none queued), fds kept in fds[]. */
int ipct_cl_recv(int fd, struct lf_proto_msg *m, int *fds, unsigned *n_fds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * LF_PROTO_MAX_FDS)];
		struct cmsghdr a;
	} ctrl;
	struct iovec iov = { ipct_rx, sizeof(ipct_rx) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl.b,
			      .msg_controllen = sizeof(ctrl.b) };
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	unsigned k = 0;

	if (n <= 0)
		return 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		unsigned c = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds + k, CMSG_DATA(cm), c * sizeof(int));
		k += c;
	}
	*n_fds = k;
	ck_assert_int_eq(lf_proto_parse(ipct_rx, (size_t)n, k, LF_PROTO_TO_CLIENT, m), 0);
	return m->hdr.type;
}

int ipct_cl_recv_nofd(int fd, struct lf_proto_msg *m)
{
	int fds[LF_PROTO_MAX_FDS];
	unsigned n = 0;
	int t = ipct_cl_recv(fd, m, fds, &n);

	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	return t;
}

int ipct_cl_hello(uint32_t caps, uint32_t max_held, struct lf_proto_msg *welcome)
{
	struct lf_msg_hello h = { .hdr = { LF_MSG_HELLO, 0, sizeof(h) }, .version = 3,
				  .caps = caps, .max_held = max_held };
	struct lf_proto_msg m;
	int fd = ipct_cl_connect();

	strcpy(h.name, "unit");
	ipct_cl_send(fd, &h, sizeof(h));
	ck_assert_int_eq(ipct_cl_recv_nofd(fd, &m), LF_MSG_WELCOME);
	if (welcome)
		*welcome = m;
	ck_assert_int_eq(ipct_cl_recv_nofd(fd, &m), LF_MSG_FORMAT);
	return fd;
}

void ipct_cl_release(int fd, const struct lf_msg_frame *f)
{
	struct lf_msg_release r = { .hdr = { LF_MSG_RELEASE, 0, sizeof(r) },
				    .generation = f->generation, .buffer_id = f->buffer_id, .seq = f->seq };

	ipct_cl_send(fd, &r, sizeof(r));
}

struct lf_frame *ipct_frame(int b)
{
	struct lf_frame *f = lf_frame_new(&ipct_bufs[b]);

	f->seq = ++ipct_next_seq;
	return f;
}

void ipct_publish(int b)
{
	lf_server_publish(ipct_srv, ipct_frame(b));
	ipct_pump();
}
