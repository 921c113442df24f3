#!/usr/bin/env bash
# Issue 15: gst-inspect-1.0 finds lastframesrc in the build tree; for every
# pixel format the producer's exact pixels come out of
# `lastframesrc ! videoconvert ! RGB` (first and last of 30 frames, memfd and
# a linear "dmabuf"); a downstream that asks for memory:DMABuf gets it; the
# README's PNG recipe gives a complete frame.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"
source "$LF_ROOT/tests/integration/gst-lib.sh"

SIZE=328x240 # width*4 not a multiple of 64: padded strides need GstVideoMeta
lf_session_start
lf_gst_setup
grep -q 'lastframesrc' "$LF_TEST_DIR/gst-inspect.log" && grep -q 'keepalive-time' "$LF_TEST_DIR/gst-inspect.log" ||
	lf_fail "gst-inspect-1.0 output lacks the element or its properties"

run_format()
{
	local fmt=$1 buffer=$2 out=$LF_TEST_DIR/$1-$2.rgb which
	shift 2
	lf_testsrc_start "src-$fmt-$buffer" --format "$fmt" --size "$SIZE" --rate 30 --buffer "$buffer" "$@"
	local src=$LF_TESTSRC_PID
	lf_daemon_start --no-config --no-import-probe --target "src-$fmt-$buffer"
	lf_gst_launch 20 "$LF_TEST_DIR/gst-$fmt-$buffer.log" -q lastframesrc num-buffers=30 ! \
		videoconvert dither=none ! video/x-raw,format=RGB ! filesink location="$out" ||
		lf_fail "$fmt/$buffer: gst-launch failed: $(tail -n 5 "$LF_TEST_DIR/gst-$fmt-$buffer.log")"
	[ "$(stat -c %s "$out")" -eq $((328 * 240 * 3 * 30)) ] || lf_fail "$fmt/$buffer: $(stat -c %s "$out") bytes, want 30 frames"
	for which in first last; do
		lf_gst_verify_rgb "$out" "$SIZE" "$which" || lf_fail "$fmt/$buffer $which frame: $LF_VERIFY"
		[ "$(lf_json_get "$LF_VERIFY" format)" = "$fmt" ] || lf_fail "$fmt/$buffer: frame says $LF_VERIFY"
	done
	lf_log "$fmt/$buffer: first and last of 30 frames exact ($LF_VERIFY)"
	lf_stop "$LF_DAEMON_PID"
	lf_stop "$src"
}

for fmt in BGRx BGRA RGBx RGBA xRGB2101010 xBGR2101010 NV12; do
	run_format "$fmt" memfd
done
run_format BGRx dmabuf --dmabuf-mode linear

# A downstream that takes memory:DMABuf gets GstDmaBufMemory for linear dmabufs.
lf_testsrc_start src-dma --size "$SIZE" --rate 30 --buffer dmabuf --dmabuf-mode linear
lf_daemon_start --no-config --no-import-probe --target src-dma
lf_gst_launch 20 "$LF_TEST_DIR/gst-dma.log" -v lastframesrc num-buffers=10 ! \
	'video/x-raw(memory:DMABuf)' ! fakesink ||
	lf_fail "DMABuf caps refused: $(tail -n 5 "$LF_TEST_DIR/gst-dma.log")"
grep -q 'video/x-raw(memory:DMABuf), format=(string)BGRx, width=(int)328' "$LF_TEST_DIR/gst-dma.log" ||
	lf_fail "no memory:DMABuf caps negotiated: $(grep caps "$LF_TEST_DIR/gst-dma.log" | head -n 3)"

# The README's PNG recipe, as written (run in the test dir).
lf_gst_readme_has "$LF_RECIPE_PNG"
(cd "$LF_TEST_DIR" && timeout -k 2 20 bash -c "$LF_RECIPE_PNG" >gst-png.log 2>&1) ||
	lf_fail "PNG recipe failed: $(tail -n 5 "$LF_TEST_DIR/gst-png.log")"
lf_verify "$LF_TEST_DIR/desktop.png" "$SIZE" || lf_fail "PNG recipe: $LF_VERIFY"
lf_log "PNG recipe: $LF_VERIFY"
