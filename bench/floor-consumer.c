/* SPDX-License-Identifier: MIT */
/*
 * floor-consumer: the cheapest possible PipeWire video consumer, used by
 * `make bench` as the CPU floor lastframed is compared with. It links to the
 * same target the daemon would (node.name or object.serial), accepts the same
 * raw formats over shared memory, dequeues every buffer, keeps only the newest
 * of a burst (like the daemon) and gives it straight back without touching
 * the pixels. It records producer pts → dequeue latency (CLOCK_MONOTONIC).
 *
 * SIGUSR1 prints a mark line {"mark":K,"t_ns":..,"frames":N} so the driver can
 * count frames in the same window it samples /proc/PID/stat; SIGTERM/SIGINT
 * or --duration end the run with one JSON summary line on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pipewire/pipewire.h>
#include <spa/param/video/format-utils.h>
#include <spa/param/buffers.h>
#include <spa/param/param.h>
#include <spa/pod/builder.h>
#include <spa/buffer/meta.h>

#include "bench/bench-util.h"

struct floor {
	struct pw_main_loop *main_loop;
	struct pw_loop *loop;
	struct pw_stream *stream;
	struct spa_hook stream_listener;
	struct spa_video_info_raw fmt;
	bool have_fmt;
	uint64_t start_ns, warmup_ns;
	uint64_t frames, buffers, no_pts, marks;
	struct bench_samples lat;  /* pts → dequeue, after warm-up */
	int relay_fd;              /* --relay: socket to the receiving child, or -1 */
	uint64_t relay_seq;
	int err;
};

static void on_process(void *data)
{
	struct floor *fl = data;
	struct pw_buffer *b, *newest = NULL;
	uint64_t now = bench_now_ns();

	/* Like the daemon: drain the queue, keep the newest, requeue the rest. */
	while ((b = pw_stream_dequeue_buffer(fl->stream))) {
		struct spa_meta_header *h;

		fl->buffers++;
		h = spa_buffer_find_meta_data(b->buffer, SPA_META_Header, sizeof(*h));
		if (h && h->pts > 0) {
			if (now - fl->start_ns >= fl->warmup_ns &&
			    bench_samples_add(&fl->lat, (int64_t)now - h->pts) < 0)
				fl->err = -ENOMEM;
		} else {
			fl->no_pts++;
		}
		if (newest)
			pw_stream_queue_buffer(fl->stream, newest);
		newest = b;
	}
	if (newest) {
		fl->frames++;
		if (fl->relay_fd >= 0) {
			/* What a daemon does at the least: one FRAME-sized packet to a
			 * sleeping client from the process callback. */
			struct bench_relay_msg m = { 0 };
			m.frame.hdr.type = LF_MSG_FRAME;
			m.frame.hdr.length = sizeof(m);
			m.frame.seq = ++fl->relay_seq;
			m.frame.send_ns = bench_now_ns();
			if (send(fl->relay_fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(m))
				fl->err = -errno;
		}
		pw_stream_queue_buffer(fl->stream, newest);
	}
}

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
	struct floor *fl = data;
	uint8_t buf[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[2];

	if (id != SPA_PARAM_Format || param == NULL)
		return;
	if (spa_format_video_raw_parse(param, &fl->fmt) < 0)
		return;
	fl->have_fmt = true;
	fprintf(stderr, "floor-consumer: format %ux%u spa_format %u\n",
		fl->fmt.size.width, fl->fmt.size.height, fl->fmt.format);

	params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
		SPA_PARAM_BUFFERS_dataType,
		SPA_POD_CHOICE_FLAGS_Int((1 << SPA_DATA_MemFd) | (1 << SPA_DATA_MemPtr)));
	params[1] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
		SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_header)));
	pw_stream_update_params(fl->stream, params, 2);
}

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state,
			     const char *error)
{
	struct floor *fl = data;

	fprintf(stderr, "floor-consumer: state %s%s%s\n", pw_stream_state_as_string(state),
		error ? ": " : "", error ? error : "");
	if (state == PW_STREAM_STATE_ERROR) {
		fl->err = -EIO;
		pw_main_loop_quit(fl->main_loop);
	}
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_state_changed,
	.param_changed = on_param_changed,
	.process = on_process,
};

static void on_quit(void *data, int sig)
{
	struct floor *fl = data;
	pw_main_loop_quit(fl->main_loop);
}

static void on_mark(void *data, int sig)
{
	struct floor *fl = data;

	printf("{\"mark\":%" PRIu64 ",\"t_ns\":%" PRIu64 ",\"frames\":%" PRIu64 ",\"buffers\":%" PRIu64 "}\n",
	       fl->marks++, bench_now_ns(), fl->frames, fl->buffers);
	fflush(stdout);
}

static void on_timeout(void *data, uint64_t expirations)
{
	struct floor *fl = data;
	pw_main_loop_quit(fl->main_loop);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: floor-consumer --target NODE [--duration SEC] [--warmup SEC] [--relay]\n"
		"\n"
		"A bare pw_stream video consumer that touches no pixels: the CPU floor\n"
		"for `make bench`. Links to NODE (node.name or object.serial).\n"
		"\n"
		"  --target NODE    node to consume (required)\n"
		"  --duration SEC   stop after SEC seconds (default: until SIGTERM)\n"
		"  --warmup SEC     ignore latency samples of the first SEC seconds (default 1)\n"
		"  --relay          send a FRAME-sized packet per frame, from the process\n"
		"                   callback, to a child sleeping in poll(); the child prints\n"
		"                   {\"program\":\"floor-relay\",...} with send→receive latency\n"
		"                   (the floor for lastframed's FRAME delivery)\n"
		"\n"
		"SIGUSR1 prints {\"mark\":K,\"t_ns\":T,\"frames\":N}. At the end one JSON line:\n"
		"frames, buffers, no_pts and the pts→dequeue latency distribution.\n");
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "relay", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct floor fl = { .relay_fd = -1 };
	const char *target = NULL;
	double duration = 0, warmup = 1;
	uint8_t buf[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[1];
	struct pw_properties *props;
	struct spa_source *timer = NULL;
	sigset_t sigs;
	bool relay = false;
	pid_t child = -1;
	int c, r, ret = 1;

	while ((c = getopt_long(argc, argv, "t:d:w:rh", long_opts, NULL)) != -1) {
		switch (c) {
		case 't': target = optarg; break;
		case 'd': duration = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'r': relay = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!target) {
		usage(stderr);
		return 2;
	}

	if (relay) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
			fprintf(stderr, "floor-consumer: socketpair: %m\n");
			return 1;
		}
		fflush(stdout);
		child = fork();
		if (child < 0) {
			fprintf(stderr, "floor-consumer: fork: %m\n");
			close(sv[0]);
			close(sv[1]);
			return 1;
		}
		if (child == 0) {
			close(sv[0]);
			_exit(bench_relay_receive(sv[1], "floor-relay", warmup));
		}
		close(sv[1]);
		fl.relay_fd = sv[0];
	}
	/* Block the signals the loop handles before anything else so an early
	 * SIGUSR1 waits in the signalfd instead of killing us. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	pw_init(&argc, &argv);
	fl.main_loop = pw_main_loop_new(NULL);
	if (!fl.main_loop)
		goto out;
	fl.loop = pw_main_loop_get_loop(fl.main_loop);
	pw_loop_add_signal(fl.loop, SIGINT, on_quit, &fl);
	pw_loop_add_signal(fl.loop, SIGTERM, on_quit, &fl);
	pw_loop_add_signal(fl.loop, SIGUSR1, on_mark, &fl);

	props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Capture",
				  PW_KEY_MEDIA_ROLE, "Screen", PW_KEY_TARGET_OBJECT, target,
				  PW_KEY_NODE_NAME, "lastframe-bench-floor", NULL);
	fl.stream = pw_stream_new_simple(fl.loop, "floor-consumer", props, &stream_events, &fl);
	if (!fl.stream) {
		fprintf(stderr, "floor-consumer: cannot create stream: %m\n");
		goto out;
	}

	params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat,
		SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
		SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
		SPA_FORMAT_VIDEO_format, SPA_POD_CHOICE_ENUM_Id(9,
			SPA_VIDEO_FORMAT_BGRx, SPA_VIDEO_FORMAT_BGRx, SPA_VIDEO_FORMAT_BGRA,
			SPA_VIDEO_FORMAT_RGBx, SPA_VIDEO_FORMAT_RGBA, SPA_VIDEO_FORMAT_xRGB_210LE,
			SPA_VIDEO_FORMAT_xBGR_210LE, SPA_VIDEO_FORMAT_NV12, SPA_VIDEO_FORMAT_xRGB),
		SPA_FORMAT_VIDEO_size, SPA_POD_CHOICE_RANGE_Rectangle(
			&SPA_RECTANGLE(1280, 720), &SPA_RECTANGLE(1, 1), &SPA_RECTANGLE(16384, 16384)),
		SPA_FORMAT_VIDEO_framerate, SPA_POD_CHOICE_RANGE_Fraction(
			&SPA_FRACTION(60, 1), &SPA_FRACTION(0, 1), &SPA_FRACTION(1000, 1)));

	r = pw_stream_connect(fl.stream, PW_DIRECTION_INPUT, PW_ID_ANY,
			      PW_STREAM_FLAG_AUTOCONNECT, params, 1);
	if (r < 0) {
		fprintf(stderr, "floor-consumer: connect: %s\n", strerror(-r));
		goto out;
	}
	printf("{\"ready\":true}\n");
	fflush(stdout);
	fl.start_ns = bench_now_ns();
	fl.warmup_ns = (uint64_t)(warmup * 1e9);
	if (duration > 0) {
		struct timespec ts = { (time_t)duration,
				       (long)((duration - (double)(time_t)duration) * 1e9) };
		timer = pw_loop_add_timer(fl.loop, on_timeout, &fl);
		if (!timer)
			goto out;
		pw_loop_update_timer(fl.loop, timer, &ts, NULL, false);
	}

	pw_main_loop_run(fl.main_loop);

	if (child > 0) {
		/* The child prints its line first; ours stays the last one. */
		struct bench_relay_msg m = { .stop = 1 };
		int st;
		if (send(fl.relay_fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
			kill(child, SIGTERM);
		waitpid(child, &st, 0);
		child = -1;
	}
	printf("{\"program\":\"floor-consumer\",\"width\":%u,\"height\":%u,\"frames\":%" PRIu64
	       ",\"buffers\":%" PRIu64 ",\"no_pts\":%" PRIu64 ",",
	       fl.fmt.size.width, fl.fmt.size.height, fl.frames, fl.buffers, fl.no_pts);
	bench_print_dist(stdout, "pts_to_recv", &fl.lat);
	printf("}\n");
	fflush(stdout);
	ret = fl.err < 0 || !fl.have_fmt ? 1 : 0;
out:
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	if (fl.relay_fd >= 0)
		close(fl.relay_fd);
	if (fl.stream)
		pw_stream_destroy(fl.stream);
	if (fl.main_loop)
		pw_main_loop_destroy(fl.main_loop);
	bench_samples_free(&fl.lat);
	pw_deinit();
	return ret;
}
