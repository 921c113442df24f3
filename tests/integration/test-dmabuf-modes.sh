#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 3, modes a–e: the test producer offers dmabuf formats the way real
# producers do; lastframed (no GPU here: offers LINEAR + INVALID) must pick
# the expected format/modifier, or shared memory when nothing matches, and
# clients must get correct pixels.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
LF_BUILD=${LF_BUILD:-$LF_ROOT/build}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/integration/dmabuf-lib.sh"

lf_session_start

# mode  fourcc  buffer_type  modifier
cases=(
	"fixate XR24 dmabuf LINEAR"   # a: list + DONT_FIXATE, producer fixates
	"mutter XR24 dmabuf INVALID"  # b: a single implicit modifier (Mutter 43 on GPUs)
	"linear XR24 dmabuf LINEAR"   # c: a single LINEAR modifier
	"foreign XR24 memfd none"     # d: nothing in common: shared memory
	"nv12 NV12 dmabuf LINEAR"     # e: two planes
)
for c in "${cases[@]}"; do
	read -r mode fourcc btype mod <<<"$c"
	lf_log "--- mode $mode"
	lf_testsrc_start "src-$mode" --size 320x240 --buffer dmabuf --dmabuf-mode "$mode"
	lf_daemon_start --target "src-$mode"
	lf_dmabuf_expect "$fourcc" "$btype" "$mod"
	lf_dmabuf_check "$mod" "$mode"
	lf_stop "$LF_DAEMON_PID"
	lf_stop "$LF_TESTSRC_PID"
done
lf_log "all modes negotiated as expected"
