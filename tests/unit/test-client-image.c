/* SPDX-License-Identifier: MIT */
/* PNG and PPM writers: round trips, atomic replacement, errors. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The CLI's writer is not in a library: test its source directly. */
#include "client/cli/image.c"

static char dir[] = "/tmp/test-client-image-XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	strcpy(dir, "/tmp/test-client-image-XXXXXX");
}

static int count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static int junk_rows(void *data, uint32_t y, uint32_t n, uint8_t *out, size_t stride)
{
	memset(out, 0x33, stride * n);
	return 0;
}

static void fill(struct lf_image *img)
{
	for (uint32_t y = 0; y < img->desc.height; y++)
		for (size_t i = 0; i < img->stride; i++)
			img->pixels[y * img->stride + i] = (uint8_t)(i * 13 + y * 101 + 7);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

START_TEST(test_type_from_name)
{
	ck_assert_int_eq(lf_image_type_from_name("a.png"), LF_IMAGE_PNG);
	ck_assert_int_eq(lf_image_type_from_name("/x/y.PNG"), LF_IMAGE_PNG);
	ck_assert_int_eq(lf_image_type_from_name("a.ppm"), LF_IMAGE_PPM);
	ck_assert_int_eq(lf_image_type_from_name("a.Ppm"), LF_IMAGE_PPM);
	ck_assert_int_eq(lf_image_type_from_name("a.jpg"), LF_IMAGE_NONE);
	ck_assert_int_eq(lf_image_type_from_name("png"), LF_IMAGE_NONE);
	ck_assert_int_eq(lf_image_type_from_name("dir.png/file"), LF_IMAGE_NONE);
	ck_assert_int_eq(lf_image_type_from_name("a.png.bak"), LF_IMAGE_NONE);
}
END_TEST

START_TEST(test_ppm_round_trip)
{
	struct lf_image img;
	const char *what;
	char path[600], hdr[64];
	size_t len;
	uint8_t *data;
	struct stat st;

	ck_assert_int_eq(lf_image_alloc(&img, LF_IMAGE_PPM, 13, 9, 4), 0);
	ck_assert_uint_eq(img.desc.channels, 3); /* PPM is always RGB */
	fill(&img);
	snprintf(path, sizeof(path), "%s/x.ppm", dir);
	ck_assert_int_eq(lf_image_write(&img, path, &what), 0);
	data = read_file(path, &len);
	snprintf(hdr, sizeof(hdr), "P6\n13 9\n255\n");
	ck_assert_uint_eq(len, strlen(hdr) + 13 * 9 * 3);
	(void)junk_rows;
	ck_assert_mem_eq(data, hdr, strlen(hdr));
	ck_assert_mem_eq(data + strlen(hdr), img.pixels, 13 * 9 * 3);
	/* Usual permissions, not mkstemp's 0600; no temp file left. */
	ck_assert_int_eq(stat(path, &st), 0);
	mode_t mask = umask(0);
	umask(mask);
	ck_assert_uint_eq(st.st_mode & 0777, 0666 & ~mask);
	ck_assert_int_eq(count_entries(), 1);
	free(data);
	lf_image_free(&img);
}
END_TEST

static void png_round_trip(unsigned ch)
{
	struct lf_image img;
	const char *what;
	char path[600];
	png_image rd;
	uint8_t *back;

	ck_assert_int_eq(lf_image_alloc(&img, LF_IMAGE_PNG, 17, 11, ch), 0);
	fill(&img);
	snprintf(path, sizeof(path), "%s/x.png", dir);
	ck_assert_int_eq(lf_image_write(&img, path, &what), 0);

	memset(&rd, 0, sizeof(rd));
	rd.version = PNG_IMAGE_VERSION;
	ck_assert(png_image_begin_read_from_file(&rd, path));
	ck_assert_uint_eq(rd.width, 17);
	ck_assert_uint_eq(rd.height, 11);
	ck_assert_uint_eq(PNG_IMAGE_SAMPLE_CHANNELS(rd.format), ch);
	rd.format = ch == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
	back = malloc(PNG_IMAGE_SIZE(rd));
	ck_assert(png_image_finish_read(&rd, NULL, back, 0, NULL));
	ck_assert_mem_eq(back, img.pixels, img.stride * img.desc.height);
	ck_assert_int_eq(count_entries(), 1);
	free(back);
	lf_image_free(&img);
}

START_TEST(test_png_rgb)
{
	png_round_trip(3);
}
END_TEST

START_TEST(test_png_rgba)
{
	png_round_trip(4);
}
END_TEST

START_TEST(test_replace_existing)
{
	struct lf_image img;
	const char *what;
	char path[600];
	FILE *f;
	size_t len;
	uint8_t *data;

	snprintf(path, sizeof(path), "%s/old.ppm", dir);
	f = fopen(path, "w");
	fputs("old content", f);
	fclose(f);
	ck_assert_int_eq(lf_image_alloc(&img, LF_IMAGE_PPM, 2, 2, 3), 0);
	fill(&img);
	ck_assert_int_eq(lf_image_write(&img, path, &what), 0);
	data = read_file(path, &len);
	ck_assert_uint_eq(len, strlen("P6\n2 2\n255\n") + 12);
	ck_assert_int_eq(count_entries(), 1); /* the old content is gone, not left aside */
	/* A symlink in the way is replaced, its target left alone. */
	char target[600], link[600];
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(link, sizeof(link), "%s/link.ppm", dir);
	f = fopen(target, "w");
	fputs("keep", f);
	fclose(f);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(lf_image_write(&img, link, &what), 0);
	free(data);
	data = read_file(target, &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(count_entries(), 3);
	free(data);
	lf_image_free(&img);
}
END_TEST

START_TEST(test_errors)
{
	struct lf_image img;
	const char *what = NULL;
	char path[600];

	ck_assert_int_eq(lf_image_alloc(&img, LF_IMAGE_PNG, 0, 1, 3), -EINVAL);
	ck_assert_int_eq(lf_image_alloc(&img, LF_IMAGE_PNG, 1, 1, 2), -EINVAL);
	ck_assert_int_eq(lf_image_alloc(&img, LF_IMAGE_PNG, 4, 4, 3), 0);
	fill(&img);
	snprintf(path, sizeof(path), "%s/missing/x.png", dir);
	ck_assert_int_eq(lf_image_write(&img, path, &what), -ENOENT);
	ck_assert_str_eq(what, "create");
	/* A directory in the way: the rename fails and the temp file goes. */
	snprintf(path, sizeof(path), "%s/sub.png", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_lt(lf_image_write(&img, path, &what), 0);
	ck_assert_str_eq(what, "rename");
	ck_assert_int_eq(count_entries(), 1);
	rmdir(path);
	lf_image_free(&img);
}
END_TEST

/* A full disk surfaces as -ENOSPC from both writers (lf_image_write then
 * unlinks its temp file: see test_errors for that path). */
START_TEST(test_disk_full)
{
	struct lf_image_desc d = { LF_IMAGE_PPM, 64, 64, 3 };
	uint8_t band[64 * 3 * 64];
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return; /* no /dev/full in this sandbox */
	ck_assert_int_eq(write_ppm(&d, junk_rows, NULL, fd, band, 64 * 3, 64), -ENOSPC);
	d = (struct lf_image_desc){ LF_IMAGE_PNG, 64, 64, 3 };
	ck_assert_int_eq(write_png(&d, junk_rows, NULL, fd, band, 64 * 3, 64), -ENOSPC);
	close(fd);
}
END_TEST

/* Many bands (rows larger than the band budget, heights not a multiple). */
START_TEST(test_bands)
{
	struct lf_image img;
	const char *what;
	char path[600];
	size_t len, hl;
	uint8_t *data;

	ck_assert_int_eq(lf_image_alloc(&img, LF_IMAGE_PPM, 40000, 7, 3), 0);
	fill(&img);
	snprintf(path, sizeof(path), "%s/wide.ppm", dir);
	ck_assert_int_eq(lf_image_write(&img, path, &what), 0);
	data = read_file(path, &len);
	hl = strlen("P6\n40000 7\n255\n");
	ck_assert_uint_eq(len, hl + img.stride * 7);
	ck_assert_mem_eq(data + hl, img.pixels, img.stride * 7);
	free(data);
	lf_image_free(&img);
	ck_assert_int_eq(lf_image_alloc(&img, LF_IMAGE_PPM, 3, 5000, 3), 0);
	fill(&img);
	ck_assert_int_eq(lf_image_write(&img, path, &what), 0);
	data = read_file(path, &len);
	hl = strlen("P6\n3 5000\n255\n");
	ck_assert_mem_eq(data + hl, img.pixels, img.stride * 5000);
	free(data);
	lf_image_free(&img);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("client-image");
	TCase *tc = tcase_create("image");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_type_from_name);
	tcase_add_test(tc, test_ppm_round_trip);
	tcase_add_test(tc, test_png_rgb);
	tcase_add_test(tc, test_png_rgba);
	tcase_add_test(tc, test_replace_existing);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_disk_full);
	tcase_add_test(tc, test_bands);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
