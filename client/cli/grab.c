/* SPDX-License-Identifier: MIT */
/* lastframe grab FILE: save the latest frame as PNG or PPM. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "client/cli/cli.h"
#include "client/cli/convert.h"
#include "client/cli/image.h"

static int run_grab(struct lf_cli *cli, int argc, char **argv);

const struct lf_cli_cmd lf_cmd_grab = {
	.name = "grab",
	.summary = "save the latest frame to a PNG or PPM file",
	.run = run_grab,
	.help =
	"Usage: lastframe [OPTIONS] grab FILE.png|FILE.ppm [--json]\n"
	"\n"
	"Save the latest frame of the screencast to FILE. The file type follows the\n"
	"extension: .png (8-bit RGB, or RGBA when the stream has alpha) or .ppm\n"
	"(binary P6, RGB). Any other extension is a usage error.\n"
	"\n"
	"The frame is converted from the stream's pixel format (BGRx, BGRA, RGBx,\n"
	"RGBA, xRGB2101010, xBGR2101010, NV12), honouring its stride and crop. The\n"
	"image is written to a temporary file in the same directory and renamed over\n"
	"FILE, so FILE is either the old content or the complete new image, never a\n"
	"partial one (also when the disk is full).\n"
	"\n"
	"Waits up to --timeout seconds (default 5) for a frame when the daemon has\n"
	"none yet.\n"
	"\n"
	"Options:\n"
	"  -j, --json          print a JSON object describing the saved frame:\n"
	"                      {\"file\",\"width\",\"height\",\"format\",\"drm_format\",\n"
	"                      \"modifier\",\"buffer_type\",\"seq\",\"generation\",\n"
	"                      \"skipped\",\"latency_us\",\"pts_latency_us\"}\n"
	"                      latency_us: daemon received the frame -> lastframe got it;\n"
	"                      pts_latency_us: producer timestamp -> lastframe got it\n"
	"                      (null when the producer sends no timestamps)\n"
	"  -s, --socket PATH   the daemon's socket\n"
	"  -t, --timeout SEC   how long to wait for a frame (default 5)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 saved, 1 error (no daemon, no frame, unsupported format,\n"
	"cannot write FILE), 2 usage error.\n"
	"\n"
	"Examples:\n"
	"  lastframe grab /tmp/screen.png\n"
	"  lastframe --timeout 1 grab shot.ppm --json\n",
};

static void print_json(struct lastframe *lf, const char *file, const struct lastframe_frame *f,
		       const struct lf_region *rg)
{
	struct lastframe_stream_info info;
	char fourcc[5], mod[128];
	const char *name = lf_format_name(f->drm_format);
	uint64_t modifier = f->modifier;

	/* A frame carries 0 when no modifier was negotiated: say INVALID then. */
	if (lastframe_get_stream_info(lf, &info) == 0 && info.generation == f->generation &&
	    !info.has_modifier)
		modifier = LF_MODIFIER_INVALID;

	lf_fourcc_str(f->drm_format, fourcc);
	printf("{\"file\":");
	lf_json_string(stdout, file);
	printf(",\"width\":%u,\"height\":%u,\"format\":", rg->width, rg->height);
	lf_json_string(stdout, name ? name : fourcc);
	printf(",\"drm_format\":");
	lf_json_string(stdout, fourcc);
	printf(",\"modifier\":\"0x%llx\",\"modifier_name\":", (unsigned long long)modifier);
	lf_json_string(stdout, lf_modifier_name(modifier, mod, sizeof(mod)));
	printf(",\"buffer_type\":\"%s\",\"seq\":%llu,\"generation\":%u,\"buffer_id\":%u,"
	       "\"skipped\":%u,\"latency_us\":%.1f,\"pts_latency_us\":",
	       lf_buffer_type_name(f->buffer_type), (unsigned long long)f->seq, f->generation,
	       f->buffer_id, f->skipped,
	       (double)(int64_t)(f->client_recv_ns - f->daemon_recv_ns) / 1000.0);
	if (f->pts_ns)
		printf("%.1f", (double)(int64_t)(f->client_recv_ns - f->pts_ns) / 1000.0);
	else
		printf("null");
	printf(",\"fence_timeout\":%s}\n",
	       (f->flags & LASTFRAME_FRAME_FENCE_TIMEOUT) ? "true" : "false");
}

/* The visible part: the crop when the producer gave a sane one, else all. */
static struct lf_region frame_region(const struct lastframe_frame *f)
{
	struct lf_region rg = { 0, 0, f->width, f->height };
	const struct lastframe_rect *c = &f->crop;

	if ((f->flags & LASTFRAME_FRAME_CROP) && c->x >= 0 && c->y >= 0 && c->width > 0 &&
	    c->height > 0 && (uint32_t)c->x < f->width && (uint32_t)c->y < f->height &&
	    c->width <= f->width - (uint32_t)c->x && c->height <= f->height - (uint32_t)c->y) {
		rg.x = (uint32_t)c->x;
		rg.y = (uint32_t)c->y;
		rg.width = c->width;
		rg.height = c->height;
	}
	return rg;
}

struct convert_job {
	const struct lastframe_frame *f;
	struct lf_src_plane planes[LASTFRAME_MAX_PLANES];
	struct lf_region rg;
	unsigned channels;
};

/* Converts a band of rows straight into the writer's buffer. */
static int convert_rows(void *data, uint32_t y, uint32_t n, uint8_t *out, size_t stride)
{
	struct convert_job *j = data;
	struct lf_region band = { j->rg.x, j->rg.y + y, j->rg.width, n };

	return lf_convert(j->f->drm_format, j->f->width, j->f->height, j->planes, j->f->n_planes,
			  &band, j->channels, out, stride);
}

/* PNG: convert to memory, give the frame back, then compress. Compression is
 * slow (tens of ms at 1080p, far more at 4K on a busy machine) and a lease
 * held past the daemon's lease timeout gets us disconnected and the buffer
 * recycled under our feet. */
static int save_png(struct lastframe *lf, struct lastframe_frame **fp, struct convert_job *job,
		    const char *path, const char **what)
{
	struct lf_image img;
	int r;

	*what = "convert";
	r = lf_image_alloc(&img, LF_IMAGE_PNG, job->rg.width, job->rg.height, job->channels);
	if (r < 0)
		return r;
	r = convert_rows(job, 0, job->rg.height, img.pixels, img.stride);
	for (unsigned i = 0; i < (*fp)->n_planes; i++)
		lastframe_frame_unmap(lf, *fp, i);
	lastframe_frame_release(lf, *fp);
	*fp = NULL;
	if (r == 0)
		r = lf_image_write(&img, path, what);
	lf_image_free(&img);
	return r;
}

static int save_frame(struct lastframe *lf, struct lastframe_frame **fp, const char *path,
		      enum lf_image_type type, struct lf_region *rg, uint32_t read_path)
{
	struct lastframe_frame *f = *fp;
	struct convert_job job = { .f = f };
	struct lastframe_frame copy = *f;
	struct lf_image_desc desc;
	unsigned mapped = 0;
	const char *what = "convert";
	char fourcc[5];
	int r;

	lf_fourcc_str(f->drm_format, fourcc);
	if (!lf_convert_supported(f->drm_format)) {
		lf_cli_error("cannot convert pixel format %s (0x%08x)", fourcc, f->drm_format);
		return -ENOTSUP;
	}
	if (f->modifier != 0 && f->buffer_type == LASTFRAME_BUFFER_DMABUF &&
	    read_path != LASTFRAME_READ_LINEAR_INVALID) {
		/* Tiled/compressed layouts cannot be read linearly from the CPU; the
		 * daemon maps INVALID as linear only when it has no GPU readback. */
		char mod[128];
		lf_cli_error("cannot read frames with modifier %s from the CPU",
			     lf_modifier_name(f->modifier, mod, sizeof(mod)));
		return -ENOTSUP;
	}
	*rg = job.rg = frame_region(f);
	for (; mapped < f->n_planes; mapped++) {
		const void *data;
		size_t size;
		r = lastframe_frame_map(lf, f, mapped, &data, &size);
		if (r < 0) {
			lf_cli_error("cannot map frame plane %u: %s", mapped, lastframe_strerror(r));
			goto out;
		}
		job.planes[mapped] = (struct lf_src_plane){ data, size, f->planes[mapped].stride };
	}
	job.channels = type == LF_IMAGE_PNG && lf_convert_has_alpha(f->drm_format) ? 4 : 3;
	if (type == LF_IMAGE_PNG) {
		job.f = &copy; /* save_png releases the frame */
		mapped = 0;
		r = save_png(lf, fp, &job, path, &what);
	} else {
		/* PPM is cheap: convert and write in one pass, a band at a time. */
		desc = (struct lf_image_desc){ type, rg->width, rg->height, job.channels };
		r = lf_image_write_rows(&desc, convert_rows, &job, path, &what);
	}
	if (r == -EBADMSG || r == -ENOTSUP)
		lf_cli_error("cannot convert the %ux%u %s frame: %s", copy.width, copy.height, fourcc,
			     r == -EBADMSG ? "buffer smaller than the picture" : strerror(-r));
	else if (r < 0)
		lf_cli_error("cannot %s %s: %s", what, path, strerror(-r));
out:
	for (unsigned i = 0; i < mapped; i++)
		lastframe_frame_unmap(lf, f, i);
	return r;
}

static int run_grab(struct lf_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		LF_CLI_COMMON_OPTS,
		{ 0 },
	};
	struct lastframe_frame *f = NULL, copy;
	struct lastframe_stream_info info;
	struct lastframe *lf = NULL;
	enum lf_image_type type;
	struct lf_region rg;
	bool json = false;
	const char *path;
	int c, r;

	while ((c = getopt_long(argc, argv, "j" LF_CLI_COMMON_SHORT, opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
			continue;
		}
		if ((r = lf_cli_common_opt(cli, &lf_cmd_grab, c, optarg)) >= 0)
			return r;
	}
	if (optind >= argc)
		return lf_cli_usage("grab", "missing FILE");
	if (optind + 1 < argc)
		return lf_cli_usage("grab", "unexpected argument '%s'", argv[optind + 1]);
	path = argv[optind];
	type = lf_image_type_from_name(path);
	if (type == LF_IMAGE_NONE)
		return lf_cli_usage("grab", "cannot tell the image type of '%s': use .png or .ppm",
				    path);

	if (lf_cli_connect(cli, 0, 1, &lf) < 0)
		return LF_EXIT_ERROR;
	/* FORMAT comes right after WELCOME: a stream this CPU reader can never
	 * read is said at once instead of after the timeout. */
	memset(&info, 0, sizeof(info));
	if (lastframe_wait_stream_info(lf, lf_cli_timeout_ms(cli), &info) == 0 &&
	    info.read_path == LASTFRAME_READ_UNREADABLE) {
		char mod[128];

		lf_cli_error("cannot read this stream from the CPU: its dmabufs use modifier %s "
			     "(not linear) and lastframed has no GPU readback (see "
			     "'lastframed --list-formats'); GPU clients can import them",
			     lf_modifier_name(info.modifier, mod, sizeof(mod)));
		r = -ENOTSUP;
		goto out;
	}
	r = lastframe_next_frame(lf, lf_cli_timeout_ms(cli), &f);
	if (r < 0) {
		lf_cli_explain_no_frame(lf, cli, r);
		goto out;
	}
	copy = *f;
	lastframe_get_stream_info(lf, &info);
	r = save_frame(lf, &f, path, type, &rg, info.read_path);
	if (r == 0 && json)
		print_json(lf, path, &copy, &rg);
	if (r == 0 && (copy.flags & LASTFRAME_FRAME_FENCE_TIMEOUT))
		lf_cli_error("warning: the producer's GPU fence timed out: the image may be incomplete");
out:
	if (f)
		lastframe_frame_release(lf, f);
	lastframe_disconnect(lf);
	return r < 0 ? LF_EXIT_ERROR : LF_EXIT_OK;
}
