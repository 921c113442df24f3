/* SPDX-License-Identifier: MIT */
/*
 * ipc/server-copy.c with a real server and raw clients: a GPU client
 * (LF_CAP_GPU_IMPORT) gets the producer's dmabufs, a CPU reader of the same
 * stream the readback copies (memfd, LINEAR, same seq), asked for through
 * copy_wanted only while it has a credit and the copy is older than the
 * newest frame; readback going away moves CPU readers to the linear map of
 * INVALID, or to no frames for a tiled layout. No reference is leaked.
 */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "capture/pool.h"
#include "tests/unit/ipc-server-fixture.h"

static int wanted;

static void on_copy_wanted(void *data)
{
	wanted++;
}

static const struct lf_server_events events = { .copy_wanted = on_copy_wanted };

static void setup(void)
{
	struct lf_server_options o = { .socket_path = ipct_path, .listen_fd = -1, .max_clients = 8,
				       .lease_timeout_ms = 1000, .max_held = 3 };

	ipct_setup();
	/* The same fixture, with a server that reports copy_wanted. */
	lf_server_destroy(ipct_srv);
	ck_assert_int_eq(lf_server_new(ipct_loop, &o, &events, NULL, &ipct_srv), 0);
	for (int i = 0; i < NBUF; i++)
		ipct_bufs[i].type = LF_BUFFER_DMABUF;
	wanted = 0;
}

static void set_dmabuf_format(uint32_t gen, uint64_t modifier, bool readback)
{
	struct lf_video_format f = { .width = 64, .height = 16, .drm_format = DRM_FORMAT_XRGB8888,
				     .modifier = modifier, .has_modifier = true, .n_planes = 1,
				     .buffer_type = LF_BUFFER_DMABUF };

	for (int i = 0; i < NBUF; i++)
		ipct_bufs[i].generation = gen;
	lf_server_set_readback(ipct_srv, readback);
	lf_server_set_format(ipct_srv, &f, gen, LF_STREAM_STREAMING);
	ipct_pump();
}

/* HELLO; FORMAT into *fmt. */
static int hello(uint32_t caps, struct lf_msg_format *fmt)
{
	struct lf_msg_hello h = { .hdr = { LF_MSG_HELLO, 0, sizeof(h) }, .version = 1,
				  .caps = caps, .max_held = 1 };
	struct lf_proto_msg m;
	int fd = ipct_cl_connect();

	strcpy(h.name, "unit");
	ipct_cl_send(fd, &h, sizeof(h));
	ck_assert_int_eq(ipct_cl_recv_nofd(fd, &m), LF_MSG_WELCOME);
	ck_assert_int_eq(ipct_cl_recv_nofd(fd, &m), LF_MSG_FORMAT);
	*fmt = m.u.format;
	return fd;
}

/* ADD_BUFFER (its fd's inode to *ino) then FRAME. */
static void expect_new_buffer_frame(int c, struct lf_proto_msg *frame, uint32_t type, ino_t *ino)
{
	struct lf_proto_msg m;
	struct stat st;
	int fds[4];
	unsigned n = 0;

	ck_assert_int_eq(ipct_cl_recv(c, &m, fds, &n), LF_MSG_ADD_BUFFER);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(m.u.add_buffer.buffer_type, type);
	ck_assert_int_eq(fstat(fds[0], &st), 0);
	*ino = st.st_ino;
	close(fds[0]);
	ck_assert_int_eq(ipct_cl_recv_nofd(c, frame), LF_MSG_FRAME);
}

static ino_t ino_of(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return st.st_ino;
}

START_TEST(gpu_gets_original_cpu_gets_copy)
{
	struct lf_msg_format fg, fc;
	struct lf_proto_msg m, fr;
	struct lf_pool pool;
	struct lf_buffer *slot;
	uint8_t *map;
	ino_t ino;
	int gpu, cpu;

	setup();
	set_dmabuf_format(2, DRM_FORMAT_MOD_INVALID, true);
	gpu = hello(LF_CAP_GPU_IMPORT, &fg);
	cpu = hello(0, &fc);
	ck_assert_uint_eq(fg.read_path, LF_READ_PATH_DIRECT);
	ck_assert_uint_eq(fg.buffer_type, LF_WIRE_BUFFER_DMABUF);
	ck_assert_uint_eq(fg.modifier, DRM_FORMAT_MOD_INVALID);
	ck_assert_uint_eq(fc.read_path, LF_READ_PATH_GPU_READBACK);
	ck_assert_uint_eq(fc.buffer_type, LF_WIRE_BUFFER_MEMFD);
	ck_assert_uint_eq(fc.modifier, DRM_FORMAT_MOD_LINEAR);
	ck_assert(fc.flags & LF_FORMAT_FLAG_MODIFIER);
	ck_assert_int_eq(wanted, 0); /* no frame yet: nothing to read back */

	ipct_publish(0);
	expect_new_buffer_frame(gpu, &fr, LF_WIRE_BUFFER_DMABUF, &ino);
	ck_assert_uint_eq(ino, ino_of(ipct_bufs[0].planes[0].fd)); /* the producer's own */
	ck_assert_uint_eq(fr.u.frame.seq, ipct_next_seq);
	ck_assert_int_eq(ipct_cl_recv_nofd(cpu, &m), 0); /* the original is not for it */
	ck_assert_int_eq(wanted, 1);
	ck_assert(lf_server_copy_wanted(ipct_srv));
	ck_assert_uint_eq(lf_server_latest(ipct_srv)->seq, ipct_next_seq);

	/* The daemon reads it back into a pool slot and publishes the copy. */
	lf_pool_init(&pool);
	ck_assert_int_eq(lf_pool_reset(&pool, 64 * 4 * 16, 2, 4, 1), 0);
	ck_assert_int_eq(lf_pool_get(&pool, &slot, &map), 0);
	slot->n_planes = 1;
	slot->planes[0] = (struct lf_plane){ .fd = slot->planes[0].fd, .stride = 256, .size = 4096 };
	struct lf_frame *copy = lf_frame_new(slot);
	copy->seq = ipct_next_seq;
	lf_server_publish_copy(ipct_srv, copy);
	ipct_pump();
	expect_new_buffer_frame(cpu, &m, LF_WIRE_BUFFER_MEMFD, &ino);
	ck_assert_uint_eq(m.u.frame.seq, ipct_next_seq);
	ck_assert_uint_ne(ino, ino_of(ipct_bufs[0].planes[0].fd));
	ck_assert_int_eq(ipct_cl_recv_nofd(gpu, &fr), 0); /* the copy is not for the GPU client */
	ck_assert(!lf_server_copy_wanted(ipct_srv));

	/* Released: the copy is the newest, nothing more to read back. */
	ipct_cl_release(cpu, &m.u.frame);
	ck_assert_int_eq(wanted, 1);
	/* A newer frame: wanted again, once per frame however many readers. */
	ipct_publish(1);
	ck_assert_int_eq(wanted, 2);

	/* Readback goes away: the CPU reader maps INVALID linearly now. */
	lf_server_set_readback(ipct_srv, false);
	ipct_pump();
	ck_assert_int_eq(ipct_cl_recv_nofd(cpu, &m), LF_MSG_FORMAT);
	ck_assert_uint_eq(m.u.format.read_path, LF_READ_PATH_LINEAR_INVALID);
	ck_assert_uint_eq(m.u.format.buffer_type, LF_WIRE_BUFFER_DMABUF);
	expect_new_buffer_frame(cpu, &m, LF_WIRE_BUFFER_DMABUF, &ino);
	ck_assert_uint_eq(ino, ino_of(ipct_bufs[1].planes[0].fd));
	close(gpu);
	close(cpu);
	ipct_pump();
	lf_pool_destroy(&pool);
	ipct_teardown();
}
END_TEST

START_TEST(tiled_without_readback_is_unreadable)
{
	struct lf_msg_format fg, fc;
	struct lf_proto_msg m;
	ino_t ino;
	int gpu, cpu;

	setup();
	set_dmabuf_format(2, 0x0300000000606015ull, false);
	gpu = hello(LF_CAP_GPU_IMPORT, &fg);
	cpu = hello(0, &fc);
	ck_assert_uint_eq(fg.read_path, LF_READ_PATH_DIRECT);
	ck_assert_uint_eq(fc.read_path, LF_READ_PATH_UNREADABLE);
	ipct_publish(0);
	expect_new_buffer_frame(gpu, &m, LF_WIRE_BUFFER_DMABUF, &ino);
	ck_assert_int_eq(ipct_cl_recv_nofd(cpu, &m), 0);
	ck_assert_int_eq(wanted, 0);
	/* Readback arrives (a new generation of paths): the CPU reader is served. */
	lf_server_set_readback(ipct_srv, true);
	ipct_pump();
	ck_assert_int_eq(ipct_cl_recv_nofd(cpu, &m), LF_MSG_FORMAT);
	ck_assert_uint_eq(m.u.format.read_path, LF_READ_PATH_GPU_READBACK);
	ck_assert_int_eq(ipct_cl_recv_nofd(cpu, &m), 0);
	ck_assert_int_eq(wanted, 1); /* and the daemon is asked for a copy of the newest */
	close(gpu);
	close(cpu);
	ipct_pump();
	ipct_teardown();
}
END_TEST

START_TEST(shm_and_linear_are_direct)
{
	struct lf_msg_format f;
	int cpu;

	setup();
	set_dmabuf_format(2, DRM_FORMAT_MOD_LINEAR, true);
	cpu = hello(0, &f);
	ck_assert_uint_eq(f.read_path, LF_READ_PATH_DIRECT);
	close(cpu);
	ipct_pump();
	for (int i = 0; i < NBUF; i++)
		ipct_bufs[i].type = LF_BUFFER_MEMFD;
	ipct_set_format(3);
	ipct_pump();
	cpu = hello(0, &f);
	ck_assert_uint_eq(f.read_path, LF_READ_PATH_DIRECT);
	close(cpu);
	ipct_pump();
	ipct_teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipc-readpath");
	TCase *tc = tcase_create("readpath");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, gpu_gets_original_cpu_gets_copy);
	tcase_add_test(tc, tiled_without_readback_is_unreadable);
	tcase_add_test(tc, shm_and_linear_are_direct);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
