/* SPDX-License-Identifier: MIT */
/*
 * ipc-tool: a raw protocol client for the test-ipc-* integration tests. It
 * speaks ipc/proto.h directly (no liblastframe) so tests can misbehave on
 * purpose, and checks every daemon message with ipc/proto-parse.c.
 * Built by the tests themselves:
 *   cc -I. -o ipc-tool tests/integration/ipc-tool.c ipc/proto-parse.c
 *
 *   ipc-tool SOCKET recv CLIENTS SECONDS MAX_HELD   receive and release; print a summary line
 *   ipc-tool SOCKET hold [SECONDS [MAX_HELD]]       take MAX_HELD frames, never release, report how it ends
 *   ipc-tool SOCKET bad KIND                        send a bad message, expect ERROR + close
 *   ipc-tool SOCKET stats                           print STATS as key=value
 *   ipc-tool SOCKET hello                           handshake only, print the ERROR or WELCOME
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ipc/proto-parse.h"

#define MAX_CLIENTS 128
#define MAX_BUFS 64

struct buf {
	uint32_t id;
	int fds[LF_PROTO_MAX_FDS];
	uint32_t n_fds;
};

struct conn {
	int fd;
	uint32_t generation;
	struct buf bufs[MAX_BUFS];
	uint32_t n_bufs;
	uint32_t max_bufs; /* most buffers known at once: the daemon has sent each of them */
	uint64_t last_seq;
	uint64_t frames, skipped, order_errors, unknown_buffer, held;
	uint32_t error_code;
	int eof;
};

static uint8_t rx[LF_PROTO_MAX_MSG];

/* Latency histograms in microseconds (logged, never asserted). */
#define HIST_US 100000
static uint32_t hist_send[HIST_US + 1], hist_deliv[HIST_US + 1];
static uint64_t hist_n;

static void hist_add(uint32_t *h, uint64_t ns)
{
	uint64_t us = ns / 1000;
	h[us > HIST_US ? HIST_US : us]++;
}

static unsigned hist_pct(const uint32_t *h, double pct)
{
	uint64_t want = (uint64_t)(hist_n * pct), acc = 0;

	for (unsigned i = 0; i <= HIST_US; i++) {
		acc += h[i];
		if (acc > want)
			return i;
	}
	return HIST_US;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int conn_open(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int send_raw(int fd, const void *p, size_t len, const int *fds, unsigned n_fds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr a;
	} ctrl;
	struct iovec iov = { (void *)p, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n_fds) {
		memset(&ctrl, 0, sizeof(ctrl));
		m.msg_control = ctrl.b;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	return sendmsg(fd, &m, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int send_hello(int fd, uint32_t caps, uint32_t max_held, const char *name)
{
	struct lf_msg_hello h = { .hdr = { LF_MSG_HELLO, 0, sizeof(h) }, .version = 1,
				  .caps = caps, .max_held = max_held };

	snprintf(h.name, sizeof(h.name), "%s", name);
	return send_raw(fd, &h, sizeof(h), NULL, 0);
}

static int send_release(struct conn *c, uint32_t gen, uint32_t id, uint64_t seq)
{
	struct lf_msg_release r = { .hdr = { LF_MSG_RELEASE, 0, sizeof(r) }, .generation = gen,
				    .buffer_id = id, .seq = seq };

	return send_raw(c->fd, &r, sizeof(r), NULL, 0);
}

static void conn_forget_bufs(struct conn *c)
{
	for (uint32_t i = 0; i < c->n_bufs; i++)
		for (uint32_t j = 0; j < c->bufs[i].n_fds; j++)
			close(c->bufs[i].fds[j]);
	c->n_bufs = 0;
}

static struct buf *conn_buf(struct conn *c, uint32_t id)
{
	for (uint32_t i = 0; i < c->n_bufs; i++)
		if (c->bufs[i].id == id)
			return &c->bufs[i];
	return NULL;
}

/* Read one message. 1: got one (type in *type, parsed in *m), 0: EOF, <0 error. */
static int conn_read(struct conn *c, struct lf_proto_msg *m, int *fds, unsigned *n_fds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * LF_PROTO_MAX_FDS)];
		struct cmsghdr a;
	} ctrl;
	struct iovec iov = { rx, sizeof(rx) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl.b,
			      .msg_controllen = sizeof(ctrl.b) };
	ssize_t n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	int r;

	/* ECONNRESET comes first when the daemon closed with our packets
	 * unread; what it sent before closing is still queued. */
	if (n < 0 && errno == ECONNRESET)
		n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	*n_fds = 0;
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			unsigned k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(fds + *n_fds, CMSG_DATA(cm), k * sizeof(int));
			*n_fds += k;
		}
	if (n == 0) {
		c->eof = 1;
		return 0;
	}
	r = lf_proto_parse(rx, n, *n_fds, LF_PROTO_TO_CLIENT, m);
	if (r != 0) {
		fprintf(stderr, "ipc-tool: daemon sent a bad message: %s\n", strerror(-r));
		return r < 0 ? r : -EPROTO;
	}
	return 1;
}

/* Handle one daemon message; release frames at once unless hold. */
static int conn_handle(struct conn *c, int hold)
{
	struct lf_proto_msg m;
	int fds[LF_PROTO_MAX_FDS];
	unsigned n_fds;
	int r = conn_read(c, &m, fds, &n_fds);

	if (r <= 0)
		return r;
	switch (m.hdr.type) {
	case LF_MSG_FORMAT:
		if (m.u.format.generation != c->generation) {
			conn_forget_bufs(c);
			c->generation = m.u.format.generation;
		}
		break;
	case LF_MSG_ADD_BUFFER:
		if (m.u.add_buffer.generation != c->generation || c->n_bufs >= MAX_BUFS ||
		    conn_buf(c, m.u.add_buffer.buffer_id)) {
			fprintf(stderr, "ipc-tool: bad ADD_BUFFER\n");
			for (unsigned i = 0; i < n_fds; i++)
				close(fds[i]);
			return -EPROTO;
		}
		c->bufs[c->n_bufs].id = m.u.add_buffer.buffer_id;
		c->bufs[c->n_bufs].n_fds = n_fds;
		memcpy(c->bufs[c->n_bufs].fds, fds, n_fds * sizeof(int));
		c->n_bufs++;
		if (c->n_bufs > c->max_bufs)
			c->max_bufs = c->n_bufs;
		break;
	case LF_MSG_REMOVE_BUFFER: {
		struct buf *b = conn_buf(c, m.u.remove_buffer.buffer_id);
		if (b) {
			for (uint32_t j = 0; j < b->n_fds; j++)
				close(b->fds[j]);
			*b = c->bufs[--c->n_bufs];
		}
		break;
	}
	case LF_MSG_FRAME: {
		uint64_t t = now_ns();

		if (t >= m.u.frame.send_ns && m.u.frame.send_ns >= m.u.frame.recv_ns) {
			hist_add(hist_send, t - m.u.frame.send_ns);
			hist_add(hist_deliv, t - m.u.frame.recv_ns);
			hist_n++;
		}
		for (unsigned i = 0; i < n_fds; i++)
			close(fds[i]);
		if (m.u.frame.generation != c->generation || !conn_buf(c, m.u.frame.buffer_id))
			c->unknown_buffer++;
		if (m.u.frame.seq <= c->last_seq)
			c->order_errors++;
		c->last_seq = m.u.frame.seq;
		c->frames++;
		c->skipped += m.u.frame.skipped;
		if (hold) {
			c->held++;
			break;
		}
		r = send_release(c, m.u.frame.generation, m.u.frame.buffer_id, m.u.frame.seq);
		if (r < 0)
			return r;
		break;
	}
	case LF_MSG_ERROR:
		c->error_code = m.u.error.code;
		fprintf(stderr, "ipc-tool: ERROR %u: %s\n", m.u.error.code, m.error_text);
		break;
	case LF_MSG_PING: {
		struct lf_msg_ping p = { .hdr = { LF_MSG_PONG, 0, sizeof(p) }, .cookie = m.u.ping.cookie };
		send_raw(c->fd, &p, sizeof(p), NULL, 0);
		break;
	}
	default:
		break;
	}
	return 1;
}

static int cmd_recv(const char *path, int n, double seconds, uint32_t max_held)
{
	static struct conn cs[MAX_CLIENTS];
	struct pollfd pfd[MAX_CLIENTS];
	uint64_t end;
	int errors = 0;

	if (n < 1 || n > MAX_CLIENTS)
		return 2;
	for (int i = 0; i < n; i++) {
		char name[32];

		cs[i].fd = conn_open(path);
		if (cs[i].fd < 0) {
			fprintf(stderr, "ipc-tool: connect: %s\n", strerror(-cs[i].fd));
			return 1;
		}
		snprintf(name, sizeof(name), "ipc-tool-%d", i);
		if (send_hello(cs[i].fd, 0, max_held, name) < 0)
			return 1;
	}
	end = now_ns() + (uint64_t)(seconds * 1e9);
	while (now_ns() < end) {
		int left = (int)((end - now_ns()) / 1000000) + 1;

		for (int i = 0; i < n; i++)
			pfd[i] = (struct pollfd){ .fd = cs[i].eof ? -1 : cs[i].fd, .events = POLLIN };
		if (poll(pfd, n, left) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < n; i++)
			if (pfd[i].revents && conn_handle(&cs[i], 0) < 0)
				cs[i].eof = 1;
	}
	uint64_t min_frames = UINT64_MAX, total = 0, skipped = 0, order = 0, unknown = 0;
	uint32_t max_bufs = 0;
	double min_ratio = 1.0;
	for (int i = 0; i < n; i++) {
		double ratio = cs[i].frames + cs[i].skipped ?
			(double)cs[i].frames / (double)(cs[i].frames + cs[i].skipped) : 0;
		if (cs[i].frames < min_frames)
			min_frames = cs[i].frames;
		if (ratio < min_ratio)
			min_ratio = ratio;
		total += cs[i].frames;
		skipped += cs[i].skipped;
		order += cs[i].order_errors;
		unknown += cs[i].unknown_buffer;
		if (cs[i].max_bufs > max_bufs)
			max_bufs = cs[i].max_bufs;
		if (cs[i].eof || cs[i].error_code)
			errors++;
		conn_forget_bufs(&cs[i]);
		close(cs[i].fd);
	}
	printf("clients=%d frames=%" PRIu64 " min_frames=%" PRIu64 " skipped=%" PRIu64
	       " min_ratio_pct=%d order_errors=%" PRIu64 " unknown_buffer=%" PRIu64 " disconnected=%d"
	       " send_p50_us=%u send_p99_us=%u deliver_p50_us=%u deliver_p99_us=%u buffers=%u\n",
	       n, total, min_frames, skipped, (int)(min_ratio * 100), order, unknown, errors,
	       hist_pct(hist_send, 0.5), hist_pct(hist_send, 0.99), hist_pct(hist_deliv, 0.5),
	       hist_pct(hist_deliv, 0.99), max_bufs);
	return 0;
}

/* Take max_held frames, never release them; report how the connection ends. */
static int cmd_hold(const char *path, double seconds, uint32_t max_held)
{
	struct conn c = { 0 };
	uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);
	int told = 0;

	c.fd = conn_open(path);
	if (c.fd < 0 || send_hello(c.fd, 0, max_held, "ipc-tool-hold") < 0)
		return 1;
	while (!c.eof && now_ns() < end) {
		struct pollfd p = { .fd = c.fd, .events = POLLIN };
		int r = poll(&p, 1, 100);

		if (r > 0 && conn_handle(&c, 1) < 0)
			break;
		if (!told && c.held >= max_held) {
			printf("holding n=%" PRIu64 " seq=%" PRIu64 "\n", c.held, c.last_seq);
			fflush(stdout);
			told = 1;
		}
	}
	printf("held=%" PRIu64 " error=%u eof=%d\n", c.frames, c.error_code, c.eof);
	conn_forget_bufs(&c);
	close(c.fd);
	return 0;
}

/* Send one bad message (after HELLO where it matters); expect ERROR then EOF. */
static int cmd_bad(const char *path, const char *kind)
{
	struct conn c = { 0 };
	uint8_t *big = NULL;
	int r = 0, hello = 1;

	c.fd = conn_open(path);
	if (c.fd < 0)
		return 1;
	if (!strcmp(kind, "before-hello") || !strcmp(kind, "truncated-hello"))
		hello = 0;
	if (hello && send_hello(c.fd, LF_CAP_NO_FRAMES, 1, "ipc-tool-bad") < 0)
		return 1;

	if (!strcmp(kind, "garbage")) {
		uint8_t g[200];
		for (unsigned i = 0; i < sizeof(g); i++)
			g[i] = (uint8_t)(i * 37 + 11);
		r = send_raw(c.fd, g, sizeof(g), NULL, 0);
	} else if (!strcmp(kind, "short")) {
		r = send_raw(c.fd, "\x09\x00\x00", 3, NULL, 0);
	} else if (!strcmp(kind, "truncated-hello")) {
		struct lf_msg_hello h = { .hdr = { LF_MSG_HELLO, 0, sizeof(h) }, .version = 1 };
		r = send_raw(c.fd, &h, 20, NULL, 0);
	} else if (!strcmp(kind, "badlen")) {
		struct lf_msg_ping p = { .hdr = { LF_MSG_PING, 0, 999 } };
		r = send_raw(c.fd, &p, sizeof(p), NULL, 0);
	} else if (!strcmp(kind, "oversized")) {
		size_t len = LF_PROTO_MAX_MSG + 4096;
		big = calloc(1, len);
		if (!big)
			return 1;
		struct lf_msg_hdr h = { LF_MSG_PING, 0, (uint32_t)len };
		memcpy(big, &h, sizeof(h));
		r = send_raw(c.fd, big, len, NULL, 0);
	} else if (!strcmp(kind, "unknown")) {
		struct lf_msg_hdr h = { 999, 0, sizeof(h) };
		r = send_raw(c.fd, &h, sizeof(h), NULL, 0);
	} else if (!strcmp(kind, "wrong-direction")) {
		struct lf_msg_remove_buffer m = { .hdr = { LF_MSG_REMOVE_BUFFER, 0, sizeof(m) } };
		r = send_raw(c.fd, &m, sizeof(m), NULL, 0);
	} else if (!strcmp(kind, "fds") || !strcmp(kind, "many-fds")) {
		int fds[8];
		unsigned n = !strcmp(kind, "fds") ? 2 : 8;
		struct lf_msg_ping p = { .hdr = { LF_MSG_PING, 0, sizeof(p) } };
		for (unsigned i = 0; i < n; i++)
			fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		r = send_raw(c.fd, &p, sizeof(p), fds, n);
		for (unsigned i = 0; i < n; i++)
			close(fds[i]);
	} else if (!strcmp(kind, "flood")) {
		/* PINGs without ever reading the PONGs: the daemon must not block
		 * on us; it drops us once our socket is full. */
		struct lf_msg_ping p = { .hdr = { LF_MSG_PING, 0, sizeof(p) } };
		unsigned sent = 0;
		while (sent < 1000000 && send_raw(c.fd, &p, sizeof(p), NULL, 0) == 0)
			sent++;
		uint64_t pongs = 0;
		for (;;) {
			struct lf_proto_msg m;
			int f[LF_PROTO_MAX_FDS];
			unsigned nf;
			if (conn_read(&c, &m, f, &nf) <= 0)
				break;
			if (m.hdr.type == LF_MSG_PONG)
				pongs++;
			if (m.hdr.type == LF_MSG_ERROR)
				c.error_code = m.u.error.code;
		}
		printf("sent=%u pongs=%" PRIu64 " error=%u eof=%d\n", sent, pongs, c.error_code, c.eof);
		close(c.fd);
		return c.eof && sent < 1000000 ? 0 : 1;
	} else if (!strcmp(kind, "before-hello")) {
		r = send_release(&c, 1, 1, 1);
	} else if (!strcmp(kind, "bad-release")) {
		r = send_release(&c, 1, 12345, 999999);
	} else if (!strcmp(kind, "ignorable")) {
		/* Must NOT be an error: skipped, then PING answered. */
		struct lf_msg_hdr h = { 999, LF_MSG_FLAG_IGNORABLE, sizeof(h) };
		struct lf_msg_ping p = { .hdr = { LF_MSG_PING, 0, sizeof(p) }, .cookie = 42 };
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		r = send_raw(c.fd, &h, sizeof(h), &fd, 1);
		close(fd);
		if (!r)
			r = send_raw(c.fd, &p, sizeof(p), NULL, 0);
		while (!r) {
			struct lf_proto_msg m;
			int f[LF_PROTO_MAX_FDS];
			unsigned nf;
			r = conn_read(&c, &m, f, &nf);
			if (r <= 0)
				break;
			if (m.hdr.type == LF_MSG_PONG && m.u.ping.cookie == 42) {
				printf("pong\n");
				close(c.fd);
				return 0;
			}
			r = 0;
		}
		printf("no pong\n");
		return 1;
	} else {
		fprintf(stderr, "ipc-tool: unknown kind %s\n", kind);
		return 2;
	}
	free(big);
	if (r < 0 && r != -EMSGSIZE)
		fprintf(stderr, "ipc-tool: send: %s\n", strerror(-r));
	if (r == -EMSGSIZE) {
		/* The kernel refused it before the daemon saw it: nothing to check. */
		printf("error=%d eof=1\n", EMSGSIZE);
		return 0;
	}
	while (!c.eof) {
		struct pollfd p = { .fd = c.fd, .events = POLLIN };
		if (poll(&p, 1, 5000) <= 0)
			break;
		if (conn_handle(&c, 1) < 0)
			break;
	}
	printf("error=%u eof=%d\n", c.error_code, c.eof);
	close(c.fd);
	return c.error_code && c.eof ? 0 : 1;
}

static int cmd_stats(const char *path)
{
	struct conn c = { 0 };
	struct lf_msg_hdr req = { LF_MSG_STATS_REQUEST, 0, sizeof(req) };

	c.fd = conn_open(path);
	if (c.fd < 0 || send_hello(c.fd, LF_CAP_NO_FRAMES, 0, "ipc-tool-stats") < 0 ||
	    send_raw(c.fd, &req, sizeof(req), NULL, 0) < 0)
		return 1;
	for (;;) {
		struct lf_proto_msg m;
		int fds[LF_PROTO_MAX_FDS];
		unsigned nf;
		int r = conn_read(&c, &m, fds, &nf);

		if (r <= 0)
			return 1;
		if (m.hdr.type == LF_MSG_STATS) {
			const struct lf_msg_stats *s = &m.u.stats;
			printf("state=%u clients=%u frames_published=%" PRIu64 " frames_sent=%" PRIu64
			       " frames_skipped=%" PRIu64 " lease_timeouts=%" PRIu64
			       " clients_refused=%" PRIu64 " protocol_errors=%" PRIu64 "\n",
			       s->state, s->clients, s->frames_published, s->frames_sent,
			       s->frames_skipped, s->lease_timeouts, s->clients_refused,
			       s->protocol_errors);
			close(c.fd);
			return 0;
		}
	}
}

static int cmd_hello(const char *path)
{
	struct conn c = { 0 };

	c.fd = conn_open(path);
	if (c.fd < 0) {
		printf("connect=%d\n", -c.fd);
		return 1;
	}
	send_hello(c.fd, LF_CAP_NO_FRAMES, 0, "ipc-tool-hello");
	for (;;) {
		struct lf_proto_msg m;
		int fds[LF_PROTO_MAX_FDS];
		unsigned nf;
		int r = conn_read(&c, &m, fds, &nf);

		if (r <= 0) {
			printf("eof\n");
			return 1;
		}
		if (m.hdr.type == LF_MSG_ERROR) {
			printf("error=%u\n", m.u.error.code);
			return 0;
		}
		if (m.hdr.type == LF_MSG_WELCOME) {
			printf("welcome version=%u max_held=%u lease_timeout_ms=%u\n",
			       m.u.welcome.version, m.u.welcome.max_held, m.u.welcome.lease_timeout_ms);
			return 0;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: ipc-tool SOCKET recv|hold|bad|stats|hello ...\n");
		return 2;
	}
	const char *path = argv[1], *cmd = argv[2];
	if (!strcmp(cmd, "recv") && argc == 6)
		return cmd_recv(path, atoi(argv[3]), atof(argv[4]), (uint32_t)atoi(argv[5]));
	if (!strcmp(cmd, "hold"))
		return cmd_hold(path, argc > 3 ? atof(argv[3]) : 10,
				argc > 4 ? (uint32_t)atoi(argv[4]) : 1);
	if (!strcmp(cmd, "bad") && argc == 4)
		return cmd_bad(path, argv[3]);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(path);
	if (!strcmp(cmd, "hello"))
		return cmd_hello(path);
	fprintf(stderr, "ipc-tool: bad arguments\n");
	return 2;
}
