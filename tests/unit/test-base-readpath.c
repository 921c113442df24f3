/* SPDX-License-Identifier: MIT */
/* base/readpath.c: which path each (buffer type, modifier, readback,
 * client kind) combination gets, every combination spelled out. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "base/readpath.h"

#define NV_BLOCK 0x0300000000606015ull
#define INTEL_Y I915_FORMAT_MOD_Y_TILED

enum mod_kind { M_NONE, M_LINEAR, M_INVALID, M_NVIDIA, M_INTEL, N_MODS };

static bool mod_of(enum mod_kind k, uint64_t *mod)
{
	static const uint64_t v[N_MODS] = { 0, DRM_FORMAT_MOD_LINEAR, DRM_FORMAT_MOD_INVALID,
					    NV_BLOCK, INTEL_Y };
	*mod = v[k];
	return k != M_NONE;
}

/* dmabuf rows: [modifier][readback][gpu client] */
static const enum lf_read_path dmabuf_table[N_MODS][2][2] = {
	/* no modifier negotiated = INVALID */
	[M_NONE] = { { LF_READ_LINEAR_INVALID, LF_READ_DIRECT },
		     { LF_READ_GPU_READBACK, LF_READ_DIRECT } },
	[M_LINEAR] = { { LF_READ_DIRECT, LF_READ_DIRECT }, { LF_READ_DIRECT, LF_READ_DIRECT } },
	[M_INVALID] = { { LF_READ_LINEAR_INVALID, LF_READ_DIRECT },
			{ LF_READ_GPU_READBACK, LF_READ_DIRECT } },
	[M_NVIDIA] = { { LF_READ_UNREADABLE, LF_READ_DIRECT },
		       { LF_READ_GPU_READBACK, LF_READ_DIRECT } },
	[M_INTEL] = { { LF_READ_UNREADABLE, LF_READ_DIRECT },
		      { LF_READ_GPU_READBACK, LF_READ_DIRECT } },
};

START_TEST(every_combination)
{
	static const enum lf_buffer_type types[] = { LF_BUFFER_NONE, LF_BUFFER_MEMFD,
						     LF_BUFFER_DMABUF, LF_BUFFER_MEMPTR };
	unsigned n = 0;

	for (unsigned t = 0; t < 4; t++)
		for (unsigned m = 0; m < N_MODS; m++)
			for (unsigned rb = 0; rb < 2; rb++)
				for (unsigned gpu = 0; gpu < 2; gpu++) {
					uint64_t mod;
					bool has = mod_of(m, &mod);
					enum lf_read_path want, got;

					if (types[t] == LF_BUFFER_NONE)
						want = LF_READ_NONE;
					else if (types[t] != LF_BUFFER_DMABUF)
						want = LF_READ_DIRECT; /* shared memory is linear */
					else
						want = dmabuf_table[m][rb][gpu];
					got = lf_read_path_decide(types[t], has, mod, rb, gpu);
					ck_assert_msg(got == want,
						      "type %u mod %u readback %u gpu %u: %s, want %s",
						      types[t], m, rb, gpu, lf_read_path_name(got),
						      lf_read_path_name(want));
					n++;
				}
	ck_assert_uint_eq(n, 4 * N_MODS * 2 * 2);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(lf_read_path_name(LF_READ_DIRECT), "direct");
	ck_assert_str_eq(lf_read_path_name(LF_READ_GPU_READBACK), "GPU readback");
	ck_assert_str_eq(lf_read_path_name(LF_READ_LINEAR_INVALID), "linear map of INVALID");
	ck_assert_str_eq(lf_read_path_name(LF_READ_UNREADABLE), "unreadable");
	ck_assert_str_eq(lf_read_path_name((enum lf_read_path)99), "none");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("base-readpath");
	TCase *tc = tcase_create("decide");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, every_combination);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
