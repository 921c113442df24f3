#!/usr/bin/env bash
# Issue 2: `lastframe grab` gives complete frames (every pixel of the testsrc
# pattern of one counter) as PNG and PPM, for every pixel format, from a
# producer whose buffers are PipeWire's MemPtr memory (no fd: gstreamer's
# pipewiresink does this); the daemon copies them into its own memfds.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"

BUFFER=memptr
FORMATS=${LF_GRAB_FORMATS:-BGRx BGRA RGBx RGBA xRGB2101010 xBGR2101010 NV12}
SIZE=328x240 # width*4 is not a multiple of 64: the stride is padded

lf_session_start
for fmt in $FORMATS; do
	lf_log "--- $BUFFER $fmt"
	lf_testsrc_start "src-$fmt" --buffer "$BUFFER" --format "$fmt" --size "$SIZE" --rate 30 --verbose
	src=$LF_TESTSRC_PID
	lf_daemon_start --no-config --target "src-$fmt"
	lf_wait_grab 10 "$LF_TEST_DIR/$fmt.png" "$SIZE"
	lf_log "$fmt png: $LF_VERIFY"
	lf_grab_verify "$LF_TEST_DIR/$fmt.ppm" "$SIZE" || lf_fail "$BUFFER $fmt ppm: $LF_VERIFY"
	lf_log "$fmt ppm: $LF_VERIFY"
	[ "$(lf_json_get "$LF_VERIFY" format)" = "$fmt" ] || lf_fail "$fmt: frame says $LF_VERIFY"
	src_type=$(lf_info_field source_type) || lf_fail "lastframe info failed"
	[ "$src_type" = "$BUFFER" ] || lf_fail "$fmt: info says source_type=$src_type, want $BUFFER"
	lf_stop "$LF_DAEMON_PID"
	lf_stop "$src"
done
lf_log "all formats complete ($BUFFER)"
