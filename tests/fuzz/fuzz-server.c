/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the whole server (ipc/server*.c) on a real pw_loop:
 * the input is a little program run by one raw client against a server that
 * publishes frames of fake memfd buffers. After each input the client is gone
 * and the server must be back where it started: no client, no lease, every
 * buffer reference returned but the latest frame's, no fd leaked.
 *
 * Input: a sequence of ops, one byte each (low 3 bits = op, high 5 = arg):
 *   0 publish a frame on buffer arg%4     1 send a packet: 2 bytes length, then
 *   2 new format generation                 that many bytes, with arg%3 fds
 *   3 run the loop                        4 RELEASE the newest FRAME received
 *   5 HELLO with caps arg, max_held arg   6 early-publish with a fence fd
 *   7 PING or STATS_REQUEST
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <pipewire/pipewire.h>

#include "base/log.h"
#include "ipc/proto.h"
#include "ipc/server.h"

#define NBUF 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pw_loop *loop;
static struct lf_server *srv;
static struct lf_buffer bufs[NBUF];
static char sock_path[108];
static uint32_t generation = 1;
static uint64_t seq;
static int base_fds;
static uint8_t rx[LF_PROTO_MAX_MSG];

static void buf_release(struct lf_buffer *b, void *data)
{
	(void)b;
	(void)data;
}

/* Our fds: libFuzzer itself opens pipes lazily, the server never does. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char p[64], l[64];
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d))) {
		ssize_t k;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/fd/%s", e->d_name);
		k = readlink(p, l, sizeof(l) - 1);
		if (k > 0 && (l[k] = 0, strncmp(l, "pipe:", 5) == 0))
			continue;
		n++;
	}
	closedir(d);
	return n;
}

static void pump(void)
{
	pw_loop_enter(loop);
	for (int i = 0; i < 8; i++)
		pw_loop_iterate(loop, 0);
	pw_loop_leave(loop);
}

static void set_format(void)
{
	struct lf_video_format f = { .width = 16, .height = 16, .drm_format = 0x34325258,
				     .n_planes = 1, .buffer_type = LF_BUFFER_MEMFD };

	generation++;
	for (int i = 0; i < NBUF; i++)
		bufs[i].generation = generation;
	lf_server_set_format(srv, &f, generation, LF_STREAM_STREAMING);
}

static char tmp_dir[64];

/* libFuzzer ends with exit(): take the socket and its directory with us. */
static void fini(void)
{
	lf_server_destroy(srv);
	srv = NULL;
	rmdir(tmp_dir);
}

static void init(void)
{
	struct lf_server_options o = { .socket_path = sock_path, .listen_fd = -1,
				       .max_clients = 4, .lease_timeout_ms = 60000, .max_held = 3 };
	char dir[] = "/tmp/lf-fuzz-server.XXXXXX";

	lf_log_init("fuzz-server", LOG_ERR);
	pw_init(NULL, NULL);
	loop = pw_loop_new(NULL);
	if (!loop || !mkdtemp(dir))
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/socket", dir);
	snprintf(tmp_dir, sizeof(tmp_dir), "%s", dir);
	atexit(fini);
	if (lf_server_new(loop, &o, NULL, NULL, &srv) < 0)
		abort();
	for (int i = 0; i < NBUF; i++) {
		int fd = memfd_create("lf-fuzz", MFD_CLOEXEC);

		if (fd < 0 || ftruncate(fd, 1024) < 0)
			abort();
		bufs[i] = (struct lf_buffer){ .id = i + 1, .type = LF_BUFFER_MEMFD, .n_planes = 1,
					      .release = buf_release,
					      .planes = { { .fd = fd, .stride = 64, .size = 1024 } } };
	}
	set_format();
	pump();
	base_fds = count_fds();
}

struct client {
	int fd;
	struct lf_msg_release last; /* newest FRAME, as a ready RELEASE */
	int have_last;
};

static void client_read(struct client *c)
{
	for (;;) {
		union {
			char b[CMSG_SPACE(sizeof(int) * LF_PROTO_MAX_FDS)];
			struct cmsghdr a;
		} ctrl;
		struct iovec iov = { rx, sizeof(rx) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl.b,
				      .msg_controllen = sizeof(ctrl.b) };
		ssize_t n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n <= 0)
			return;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			for (size_t k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
				int fd;
				memcpy(&fd, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
				close(fd);
			}
		if ((size_t)n >= sizeof(struct lf_msg_frame) &&
		    ((struct lf_msg_hdr *)rx)->type == LF_MSG_FRAME) {
			struct lf_msg_frame f;
			memcpy(&f, rx, sizeof(f));
			c->last = (struct lf_msg_release){ .hdr = { LF_MSG_RELEASE, 0, sizeof(c->last) },
							   .generation = f.generation,
							   .buffer_id = f.buffer_id, .seq = f.seq };
			c->have_last = 1;
		}
	}
}

static void client_send(struct client *c, const void *p, size_t len, unsigned n_fds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 3)];
		struct cmsghdr a;
	} ctrl;
	struct iovec iov = { (void *)p, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[3];

	if (n_fds) {
		memset(&ctrl, 0, sizeof(ctrl));
		for (unsigned i = 0; i < n_fds; i++)
			fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		m.msg_control = ctrl.b;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
	}
	(void)sendmsg(c->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	for (unsigned i = 0; i < n_fds; i++)
		close(fds[i]);
}

static void publish(int b, int early)
{
	struct lf_frame *f = lf_frame_new(&bufs[b % NBUF]);

	if (!f)
		abort();
	f->seq = ++seq;
	if (early) {
		f->fences[0] = eventfd(0, EFD_CLOEXEC);
		f->n_fences = 1;
		lf_server_publish_early(srv, f);
		lf_frame_free(f); /* borrowed by publish_early */
		return;
	}
	lf_server_publish(srv, f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct client c = { .fd = -1 };
	size_t i = 0;

	if (!srv)
		init();
	c.fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	memcpy(a.sun_path, sock_path, sizeof(sock_path));
	if (c.fd < 0 || connect(c.fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		abort();
	pump();
	while (i < size) {
		uint8_t op = data[i] & 7, arg = data[i] >> 3;

		i++;
		switch (op) {
		case 0:
			publish(arg, 0);
			break;
		case 1: {
			size_t len;

			if (size - i < 2)
				break;
			len = (size_t)data[i] | (size_t)data[i + 1] << 8;
			i += 2;
			if (len > size - i)
				len = size - i;
			client_send(&c, data + i, len, arg % 3);
			i += len;
			break;
		}
		case 2:
			set_format();
			break;
		case 3:
			break;
		case 4:
			if (c.have_last)
				client_send(&c, &c.last, sizeof(c.last), 0);
			break;
		case 5: {
			struct lf_msg_hello h = { .hdr = { LF_MSG_HELLO, 0, sizeof(h) }, .version = 1,
						  .caps = arg & 7, .max_held = arg >> 3 };
			client_send(&c, &h, sizeof(h), 0);
			break;
		}
		case 6:
			publish(arg, 1);
			break;
		case 7: {
			struct lf_msg_ping p = { .hdr = { arg & 1 ? LF_MSG_PING : LF_MSG_STATS_REQUEST, 0,
							  arg & 1 ? sizeof(p) : sizeof(struct lf_msg_hdr) } };
			client_send(&c, &p, p.hdr.length, 0);
			break;
		}
		}
		pump();
		client_read(&c);
	}
	close(c.fd);
	pump();
	/* Back to the start: nobody connected, nothing leased, nothing leaked.
	 * A new generation drops the latest frame and the read-only fd cache. */
	if (lf_server_client_count(srv) != 0 || lf_server_leases_held(srv) != 0)
		abort();
	set_format();
	for (int b = 0; b < NBUF; b++)
		if (bufs[b].refs != 0)
			abort();
	if (count_fds() != base_fds) {
		fprintf(stderr, "fd count %d, expected %d\n", count_fds(), base_fds);
		abort();
	}
	return 0;
}
