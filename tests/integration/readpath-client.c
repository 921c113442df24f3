/* SPDX-License-Identifier: MIT */
/*
 * readpath-client: one liblastframe client for test-dmabuf-readpath. Takes
 * one frame as a GPU client (LASTFRAME_GPU_IMPORT) or a CPU reader and
 * prints what it got, with the inode of each plane's fd so the test can
 * tell the producer's own buffers from a copy. Built by the test:
 *   cc -I. -Iclient -o readpath-client tests/integration/readpath-client.c -Lbuild -llastframe
 *
 *   readpath-client SOCKET gpu|cpu
 *   -> path=N buffer_type=N modifier=0xM planes=N ino=I[,I...]
 * Exit: 0 a frame came, 1 not (the error on stderr), 2 usage.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lastframe.h"

int main(int argc, char **argv)
{
	struct lastframe_options o = { .name = "readpath-client" };
	struct lastframe_stream_info info;
	struct lastframe_frame *f;
	struct lastframe *lf;
	int r;

	if (argc != 3 || (strcmp(argv[2], "gpu") && strcmp(argv[2], "cpu")))
		return 2;
	o.socket_path = argv[1];
	o.flags = strcmp(argv[2], "gpu") == 0 ? LASTFRAME_GPU_IMPORT : 0;
	if ((r = lastframe_connect(&o, &lf)) < 0) {
		fprintf(stderr, "connect: %s\n", lastframe_strerror(r));
		return 1;
	}
	r = lastframe_next_frame(lf, 5000, &f);
	if (r < 0) {
		fprintf(stderr, "no frame: %s\n", lastframe_strerror(r));
		lastframe_disconnect(lf);
		return 1;
	}
	lastframe_get_stream_info(lf, &info);
	printf("path=%u buffer_type=%u modifier=0x%llx planes=%u ino=", info.read_path,
	       f->buffer_type, (unsigned long long)f->modifier, f->n_planes);
	for (unsigned i = 0; i < f->n_planes; i++) {
		struct stat st;

		if (fstat(f->planes[i].fd, &st) < 0)
			st.st_ino = 0;
		printf("%s%llu", i ? "," : "", (unsigned long long)st.st_ino);
	}
	printf("\n");
	lastframe_frame_release(lf, f);
	lastframe_disconnect(lf);
	return 0;
}
