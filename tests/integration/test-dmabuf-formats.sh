#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every format of the table negotiates over dmabuf (LINEAR) with the right
# DRM fourcc, and clients get correct pixels.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
LF_BUILD=${LF_BUILD:-$LF_ROOT/build}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/integration/dmabuf-lib.sh"

lf_session_start
# testsrc format  DRM fourcc
cases=(
	"BGRA AR24"
	"RGBx XB24"
	"RGBA AB24"
	"xRGB2101010 XR30"
	"xBGR2101010 XB30"
)
for c in "${cases[@]}"; do
	read -r fmt fourcc <<<"$c"
	lf_log "--- $fmt"
	lf_testsrc_start "src-$fmt" --size 320x240 --format "$fmt" --buffer dmabuf --dmabuf-mode linear
	lf_daemon_start --target "src-$fmt"
	lf_dmabuf_expect "$fourcc" dmabuf LINEAR
	lf_dmabuf_grab_ok "$fmt" 320x240
	lf_stop "$LF_DAEMON_PID"
	lf_stop "$LF_TESTSRC_PID"
done
