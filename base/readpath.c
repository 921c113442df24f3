/* SPDX-License-Identifier: MIT */
#include "base/readpath.h"

#include <drm_fourcc.h>

enum lf_read_path lf_read_path_decide(enum lf_buffer_type type, bool has_modifier,
				      uint64_t modifier, bool readback, bool gpu_client)
{
	if (!has_modifier)
		modifier = DRM_FORMAT_MOD_INVALID;
	switch (type) {
	case LF_BUFFER_MEMFD:
	case LF_BUFFER_MEMPTR:
		return LF_READ_DIRECT;
	case LF_BUFFER_DMABUF:
		break;
	default:
		return LF_READ_NONE;
	}
	if (gpu_client || modifier == DRM_FORMAT_MOD_LINEAR)
		return LF_READ_DIRECT;
	/* An implicit layout is linear for Mutter 43-46.beta and KWin 5.27 but
	 * may be tiled for Mutter >= 46 and xdg-desktop-portal-wlr: the GPU's
	 * copy is right either way, the linear guess only when nothing better
	 * exists. */
	if (readback)
		return LF_READ_GPU_READBACK;
	if (modifier == DRM_FORMAT_MOD_INVALID)
		return LF_READ_LINEAR_INVALID;
	return LF_READ_UNREADABLE;
}

const char *lf_read_path_name(enum lf_read_path p)
{
	switch (p) {
	case LF_READ_DIRECT:
		return "direct";
	case LF_READ_GPU_READBACK:
		return "GPU readback";
	case LF_READ_LINEAR_INVALID:
		return "linear map of INVALID";
	case LF_READ_UNREADABLE:
		return "unreadable";
	default:
		return "none";
	}
}
