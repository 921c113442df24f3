/* SPDX-License-Identifier: MIT */
/* lastframe-testsrc: command line, and the --verify checker. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdrm/drm_fourcc.h>

#include "tests/testsrc/image.h"
#include "tests/testsrc/testsrc.h"

static const char usage_text[] =
"Usage: lastframe-testsrc --name NAME [OPTIONS]\n"
"       lastframe-testsrc --verify FILE.png|FILE.ppm [--expect-size WxH]\n"
"\n"
"A PipeWire Video/Source for testing lastframed. Every buffer carries a 32-bit\n"
"counter (starting at 0) in a grid of 8x8 black/white blocks at the top left,\n"
"and every other pixel is a function of (counter, x, y), so a captured image\n"
"proves which frame it is and that it is complete.\n"
"\n"
"Producer options:\n"
"  --name NAME            node.name of the stream (required)\n"
"  --size WxH             frame size (default 1280x720; at least 64 tag blocks)\n"
"  --rate FPS             frames (or bursts) per second, 1..1000 (default 30)\n"
"  --format F             BGRx BGRA RGBx RGBA xRGB2101010 xBGR2101010 NV12 (default BGRx)\n"
"  --buffer TYPE          memfd (own memfds, default), memptr (PipeWire's memory,\n"
"                         consumers see MemPtr), dmabuf (memfds labelled DmaBuf,\n"
"                         offered with DRM modifiers; SHM format offered too)\n"
"  --dmabuf-mode MODE     how dmabuf formats are offered (with --buffer dmabuf):\n"
"                           fixate   modifier list, MANDATORY|DONT_FIXATE; we pick\n"
"                                    one and re-announce it (default)\n"
"                           mutter   one INVALID modifier, MANDATORY (Mutter 43)\n"
"                           linear   LINEAR only\n"
"                           foreign  only modifiers no consumer here knows: the\n"
"                                    consumer must fall back to shared memory\n"
"                           nv12     NV12 in two planes, with fixation\n"
"  --modifiers LIST       comma-separated modifiers replacing the mode's list:\n"
"                         numbers (0x...), LINEAR, INVALID, or many:N for N\n"
"                         made-up vendor modifiers (e.g. many:199,LINEAR)\n"
"  --vgem                 real dmabufs from /dev/dri/card0 (vgem, VM only) with a\n"
"                         write fence per frame: the buffer is queued with its old\n"
"                         content, drawn after the delay, then the fence signalled\n"
"  --fence-delay-ms N|never  delay before drawing + signalling (default 10;\n"
"                         0: drawn and signalled before queueing; never: left\n"
"                         pending until the buffer comes back for reuse, since\n"
"                         vgem takes no second write fence, or vgem's 10 s timeout)\n"
"  --cursor-every N       every Nth buffer is cursor-only: chunk size 0 and\n"
"                         SPA_CHUNK_FLAG_CORRUPTED, cursor meta, poison pixels\n"
"  --corrupt-every N      every Nth buffer has SPA_META_HEADER_FLAG_CORRUPTED and\n"
"                         poison pixels\n"
"  --burst N              send N frames back to back at each tick, each in its\n"
"                         own graph cycle, the next once the last completed\n"
"  --resize-at N:WxH      switch to WxH (renegotiating) when the counter reaches N,\n"
"                         or at the next tick after SIGUSR1, whichever is first\n"
"  --frames N             stop after N buffers, then exit (300 ms later)\n"
"  --linger               with --frames: keep the node, idle, instead of exiting\n"
"  --wait-consumer        send nothing until a consumer is linked to the node\n"
"  --wait-buffer          when the consumer holds every buffer, try again 1 ms\n"
"                         later instead of skipping the frame (and the rest of\n"
"                         its burst)\n"
"  --on-signal            no frame clock: send one frame (or --burst N) on each\n"
"                         SIGUSR2, so a test decides when the screen changes\n"
"  --buffers N            buffers to ask for (default 8)\n"
"  --no-pts               no pts in SPA_META_Header (-1)\n"
"  --print-serial         print object.serial=S and node.id=I once registered\n"
"  --verbose              print each queued buffer: queued counter=N kind=K size=WxH\n"
"\n"
"Checker:\n"
"  --verify FILE          read a PNG or binary PPM and print\n"
"                         {\"counter\":N,\"complete\":true,\"width\":W,\"height\":H}\n"
"                         exit 0 when the frame is complete, 1 when it is not\n"
"                         (\"error\" says why), 2 on usage errors\n"
"  --expect-size WxH      also require this size\n"
"\n"
"Exit status: 0 ok, 1 error, 2 usage.\n";

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max || s[0] == '-')
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_size(const char *s, uint32_t *w, uint32_t *h)
{
	char buf[64], *x;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	x = strchr(buf, 'x');
	if (!x)
		return -EINVAL;
	*x = '\0';
	if (parse_u32(buf, 1, 16384, w) < 0 || parse_u32(x + 1, 1, 16384, h) < 0)
		return -EINVAL;
	return 0;
}

static int parse_modifiers(const char *s, struct ts_options *o)
{
	char *copy = strdup(s), *save = NULL, *tok;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	o->n_modifiers = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint32_t many;
		char *end;

		if (strncmp(tok, "many:", 5) == 0) {
			if (parse_u32(tok + 5, 1, TS_MAX_MODIFIERS, &many) < 0 ||
			    o->n_modifiers + many > TS_MAX_MODIFIERS) {
				r = -EINVAL;
				break;
			}
			for (uint32_t i = 0; i < many; i++)
				o->modifiers[o->n_modifiers++] = fourcc_mod_code(SAMSUNG, 0x1000 + i);
			continue;
		}
		if (o->n_modifiers >= TS_MAX_MODIFIERS) {
			r = -E2BIG;
			break;
		}
		if (strcasecmp(tok, "LINEAR") == 0) {
			o->modifiers[o->n_modifiers++] = DRM_FORMAT_MOD_LINEAR;
		} else if (strcasecmp(tok, "INVALID") == 0) {
			o->modifiers[o->n_modifiers++] = DRM_FORMAT_MOD_INVALID;
		} else {
			errno = 0;
			o->modifiers[o->n_modifiers++] = strtoull(tok, &end, 0);
			if (errno || end == tok || *end) {
				r = -EINVAL;
				break;
			}
		}
	}
	free(copy);
	if (r == 0 && o->n_modifiers == 0)
		r = -EINVAL;
	return r;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

int ts_verify_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verify", required_argument, NULL, 'V' },
		{ "expect-size", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *why = NULL;
	uint32_t ew = 0, eh = 0;
	struct lf_pattern_result res;
	struct lf_image img;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'V': path = optarg; break;
		case 'e':
			if (parse_size(optarg, &ew, &eh) < 0) {
				fprintf(stderr, "lastframe-testsrc: bad --expect-size '%s' (want WxH)\n", optarg);
				return 2;
			}
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default:
			fprintf(stderr, "lastframe-testsrc: --verify takes only --expect-size\n");
			return 2;
		}
	}
	if (!path || optind < argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	r = lf_image_read(path, &img, &why);
	if (r < 0) {
		printf("{\"counter\":null,\"complete\":false,\"error\":");
		json_string(why);
		printf("}\n");
		fprintf(stderr, "lastframe-testsrc: %s: %s (%s)\n", path, why, strerror(-r));
		return 1;
	}
	lf_pattern_check_rgb(img.rgb, img.width, img.height, img.stride, &res);
	if (res.complete && ew && (img.width != ew || img.height != eh)) {
		res.complete = false;
		res.error = "size differs from --expect-size";
	}
	printf("{\"counter\":");
	if (res.tag_ok)
		printf("%" PRIu32, res.counter);
	else
		printf("null");
	printf(",\"complete\":%s,\"width\":%" PRIu32 ",\"height\":%" PRIu32,
	       res.complete ? "true" : "false", img.width, img.height);
	if (res.tag_ok)
		printf(",\"format\":\"%s\"", lf_pattern_format_name(res.format));
	if (!res.complete) {
		printf(",\"error\":");
		json_string(res.error ? res.error : "incomplete");
		if (res.bad_pixels)
			printf(",\"bad_pixels\":%" PRIu64 ",\"first_bad\":[%" PRIu32 ",%" PRIu32 "]",
			       res.bad_pixels, res.first_bad_x, res.first_bad_y);
	}
	printf("}\n");
	free(img.rgb);
	return res.complete ? 0 : 1;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "lastframe-testsrc: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'lastframe-testsrc --help'.\n");
	return 2;
}

int main(int argc, char **argv)
{
	enum { O_NAME = 256, O_SIZE, O_RATE, O_FORMAT, O_BUFFER, O_DMABUF_MODE, O_MODIFIERS,
	       O_VGEM, O_FENCE_DELAY, O_CURSOR_EVERY, O_CORRUPT_EVERY, O_BURST, O_RESIZE_AT,
	       O_FRAMES, O_LINGER, O_WAIT_CONSUMER, O_ON_SIGNAL, O_WAIT_BUFFER, O_BUFFERS, O_NO_PTS, O_PRINT_SERIAL, O_VERBOSE, O_HELP };
	static const struct option opts[] = {
		{ "name", required_argument, NULL, O_NAME },
		{ "size", required_argument, NULL, O_SIZE },
		{ "rate", required_argument, NULL, O_RATE },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "buffer", required_argument, NULL, O_BUFFER },
		{ "dmabuf-mode", required_argument, NULL, O_DMABUF_MODE },
		{ "modifiers", required_argument, NULL, O_MODIFIERS },
		{ "vgem", no_argument, NULL, O_VGEM },
		{ "fence-delay-ms", required_argument, NULL, O_FENCE_DELAY },
		{ "cursor-every", required_argument, NULL, O_CURSOR_EVERY },
		{ "corrupt-every", required_argument, NULL, O_CORRUPT_EVERY },
		{ "burst", required_argument, NULL, O_BURST },
		{ "resize-at", required_argument, NULL, O_RESIZE_AT },
		{ "frames", required_argument, NULL, O_FRAMES },
		{ "linger", no_argument, NULL, O_LINGER },
		{ "wait-consumer", no_argument, NULL, O_WAIT_CONSUMER },
		{ "on-signal", no_argument, NULL, O_ON_SIGNAL },
		{ "wait-buffer", no_argument, NULL, O_WAIT_BUFFER },
		{ "buffers", required_argument, NULL, O_BUFFERS },
		{ "no-pts", no_argument, NULL, O_NO_PTS },
		{ "print-serial", no_argument, NULL, O_PRINT_SERIAL },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	static struct ts_options o;
	bool mode_set = false;
	uint32_t v;
	int c;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--verify") == 0 || strncmp(argv[i], "--verify=", 9) == 0)
			return ts_verify_main(argc, argv);

	o.width = 1280;
	o.height = 720;
	o.rate = 30;
	o.format = LF_PATTERN_BGRx;
	o.buffer = TS_BUFFER_MEMFD;
	o.dmabuf_mode = TS_DMABUF_FIXATE;
	o.fence_delay_ms = 10;
	o.n_buffers = 8;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_NAME: o.name = optarg; break;
		case O_SIZE:
			if (parse_size(optarg, &o.width, &o.height) < 0)
				return usage_error("bad --size '%s' (want WxH)", optarg);
			break;
		case O_RATE:
			if (parse_u32(optarg, 1, 1000, &o.rate) < 0)
				return usage_error("bad --rate '%s' (1..1000)", optarg);
			break;
		case O_FORMAT:
			o.format = lf_pattern_format_from_name(optarg);
			if (!o.format)
				return usage_error("unknown --format '%s'", optarg);
			break;
		case O_BUFFER:
			if (strcmp(optarg, "memfd") == 0) o.buffer = TS_BUFFER_MEMFD;
			else if (strcmp(optarg, "memptr") == 0) o.buffer = TS_BUFFER_MEMPTR;
			else if (strcmp(optarg, "dmabuf") == 0) o.buffer = TS_BUFFER_DMABUF;
			else return usage_error("unknown --buffer '%s' (memfd, memptr, dmabuf)", optarg);
			break;
		case O_DMABUF_MODE:
			if (strcmp(optarg, "fixate") == 0) o.dmabuf_mode = TS_DMABUF_FIXATE;
			else if (strcmp(optarg, "mutter") == 0) o.dmabuf_mode = TS_DMABUF_MUTTER;
			else if (strcmp(optarg, "linear") == 0) o.dmabuf_mode = TS_DMABUF_LINEAR;
			else if (strcmp(optarg, "foreign") == 0) o.dmabuf_mode = TS_DMABUF_FOREIGN;
			else if (strcmp(optarg, "nv12") == 0) o.dmabuf_mode = TS_DMABUF_NV12;
			else return usage_error("unknown --dmabuf-mode '%s'", optarg);
			mode_set = true;
			break;
		case O_MODIFIERS:
			if (parse_modifiers(optarg, &o) < 0)
				return usage_error("bad --modifiers '%s'", optarg);
			break;
		case O_VGEM: o.vgem = true; break;
		case O_FENCE_DELAY:
			if (strcmp(optarg, "never") == 0)
				o.fence_delay_ms = -1;
			else if (parse_u32(optarg, 0, 60000, &v) < 0)
				return usage_error("bad --fence-delay-ms '%s' (0..60000 or never)", optarg);
			else
				o.fence_delay_ms = (int)v;
			break;
		case O_CURSOR_EVERY:
			if (parse_u32(optarg, 1, UINT32_MAX, &o.cursor_every) < 0)
				return usage_error("bad --cursor-every '%s'", optarg);
			break;
		case O_CORRUPT_EVERY:
			if (parse_u32(optarg, 1, UINT32_MAX, &o.corrupt_every) < 0)
				return usage_error("bad --corrupt-every '%s'", optarg);
			break;
		case O_BURST:
			if (parse_u32(optarg, 1, 64, &o.burst) < 0)
				return usage_error("bad --burst '%s' (1..64)", optarg);
			break;
		case O_RESIZE_AT: {
			char buf[64], *colon;
			if (strlen(optarg) >= sizeof(buf))
				return usage_error("bad --resize-at '%s' (want N:WxH)", optarg);
			strcpy(buf, optarg);
			colon = strchr(buf, ':');
			if (!colon)
				return usage_error("bad --resize-at '%s' (want N:WxH)", optarg);
			*colon = '\0';
			if (parse_u32(buf, 1, UINT32_MAX, &v) < 0 ||
			    parse_size(colon + 1, &o.resize_width, &o.resize_height) < 0)
				return usage_error("bad --resize-at '%s' (want N:WxH)", optarg);
			o.resize_at = v;
			break;
		}
		case O_FRAMES:
			if (parse_u32(optarg, 1, UINT32_MAX, &v) < 0)
				return usage_error("bad --frames '%s'", optarg);
			o.frames = v;
			break;
		case O_LINGER: o.linger = true; break;
		case O_WAIT_CONSUMER: o.wait_consumer = true; break;
		case O_ON_SIGNAL: o.on_signal = true; break;
		case O_WAIT_BUFFER: o.wait_buffer = true; break;
		case O_BUFFERS:
			if (parse_u32(optarg, 2, 64, &o.n_buffers) < 0)
				return usage_error("bad --buffers '%s' (2..64)", optarg);
			break;
		case O_NO_PTS: o.no_pts = true; break;
		case O_PRINT_SERIAL: o.print_serial = true; break;
		case O_VERBOSE: o.verbose = true; break;
		case O_HELP:
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'lastframe-testsrc --help'.\n");
			return 2;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o.name)
		return usage_error("%s", "--name NAME is required");
	if (o.buffer == TS_BUFFER_DMABUF && o.dmabuf_mode == TS_DMABUF_NV12)
		o.format = LF_PATTERN_NV12;
	if (!lf_pattern_size_ok(o.format, o.width, o.height) ||
	    (o.resize_at && !lf_pattern_size_ok(o.format, o.resize_width, o.resize_height)))
		return usage_error("%s", "size too small for the counter grid (need (W/8)*(H/8) >= 64, even for NV12)");
	if (o.vgem) {
		/* Dumb buffers are linear: offer LINEAR unless told otherwise. */
		o.buffer = TS_BUFFER_DMABUF;
		if (!mode_set && !o.n_modifiers)
			o.dmabuf_mode = TS_DMABUF_LINEAR;
	}
	return ts_producer_run(&o);
}
