/* SPDX-License-Identifier: MIT */
/* Human names for formats, modifiers, states; JSON string output. */
#include <drm_fourcc.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xf86drm.h>

#include "client/cli/cli.h"

const char *lf_format_name(uint32_t f)
{
	switch (f) {
	case DRM_FORMAT_XRGB8888: return "BGRx";
	case DRM_FORMAT_ARGB8888: return "BGRA";
	case DRM_FORMAT_XBGR8888: return "RGBx";
	case DRM_FORMAT_ABGR8888: return "RGBA";
	case DRM_FORMAT_XRGB2101010: return "xRGB2101010";
	case DRM_FORMAT_XBGR2101010: return "xBGR2101010";
	case DRM_FORMAT_NV12: return "NV12";
	}
	return NULL;
}

void lf_fourcc_str(uint32_t f, char out[5])
{
	for (int i = 0; i < 4; i++) {
		char c = (char)((f >> (8 * i)) & 0xff);
		out[i] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	out[4] = '\0';
}

int lf_parse_fourcc(const char *s, uint32_t *out)
{
	/* SPA-style names too: "BGRx" is XR24. */
	static const uint32_t known[] = { DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888,
		DRM_FORMAT_XBGR8888, DRM_FORMAT_ABGR8888, DRM_FORMAT_XRGB2101010,
		DRM_FORMAT_XBGR2101010, DRM_FORMAT_NV12 };
	unsigned long long v;
	char *end;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!strcmp(s, lf_format_name(known[i]))) {
			*out = known[i];
			return 0;
		}
	}
	if (strlen(s) == 4) {
		*out = fourcc_code(s[0], s[1], s[2], s[3]);
		return 0;
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

const char *lf_modifier_name(uint64_t m, char *buf, size_t len)
{
	char *name;

	if (m == DRM_FORMAT_MOD_LINEAR)
		return "LINEAR";
	if (m == DRM_FORMAT_MOD_INVALID)
		return "INVALID";
	name = drmGetFormatModifierName(m);
	if (name) {
		snprintf(buf, len, "%s", name);
		free(name);
	} else {
		snprintf(buf, len, "0x%016llx", (unsigned long long)m);
	}
	return buf;
}

const char *lf_buffer_type_name(uint32_t t)
{
	switch (t) {
	case LASTFRAME_BUFFER_MEMFD: return "memfd";
	case LASTFRAME_BUFFER_DMABUF: return "dmabuf";
	case LASTFRAME_BUFFER_MEMPTR: return "memptr";
	}
	return "none";
}

const char *lf_state_name(uint32_t s)
{
	switch (s) {
	case LASTFRAME_STREAM_STREAMING: return "streaming";
	case LASTFRAME_STREAM_PAUSED: return "paused";
	}
	return "none";
}

void lf_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

const char *lf_read_path_name(uint32_t p)
{
	switch (p) {
	case LASTFRAME_READ_DIRECT:
		return "direct";
	case LASTFRAME_READ_GPU_READBACK:
		return "GPU readback";
	case LASTFRAME_READ_LINEAR_INVALID:
		return "linear map of INVALID";
	case LASTFRAME_READ_UNREADABLE:
		return "unreadable";
	default:
		return "none";
	}
}
