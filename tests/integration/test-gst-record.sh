#!/usr/bin/env bash
# Issue 15: the README's WebM recipe (run for 5 s) gives a file that
# gst-discoverer-1.0 says lasts 5 s (±10 %) at the producer's size; with a
# static producer (one frame, then nothing) and keepalive-time=100 the file
# still has >= 9 frames per second, and the frame kept for re-sending is
# copied in place before the daemon's lease timeout (no lease timeout).
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"
source "$LF_ROOT/tests/integration/gst-lib.sh"

lf_session_start
lf_gst_setup
lf_gst_readme_has "$LF_RECIPE_WEBM"

# duration_s FILE: gst-discoverer's duration in seconds (e.g. 5.0330).
duration_s()
{
	local out
	out=$(gst-discoverer-1.0 "$1" 2>&1) || { echo "discoverer failed: $out" >&2; return 1; }
	printf '%s\n' "$out" >"$1.discoverer"
	[[ $out =~ Duration:\ ([0-9]+):([0-9]+):([0-9.]+) ]] || { echo "no duration in: $out" >&2; return 1; }
	awk -v h="${BASH_REMATCH[1]}" -v m="${BASH_REMATCH[2]}" -v s="${BASH_REMATCH[3]}" \
		'BEGIN { printf "%.4f\n", h * 3600 + m * 60 + s }'
}

# frames FILE WxH: decoded frame count of a WebM file.
frames()
{
	local w=${2%x*} h=${2#*x}
	lf_gst_launch 60 "$1.decode.log" -q filesrc location="$1" ! matroskademux ! vp8dec ! \
		videoconvert ! video/x-raw,format=RGB ! filesink location="$1.rgb" || return 1
	echo $(($(stat -c %s "$1.rgb") / (w * h * 3)))
}

record()
{
	local secs=$1 dir=$2 cmd=${LF_RECIPE_WEBM/INT 10/INT $1}
	mkdir -p "$dir"
	(cd "$dir" && bash -c "$cmd" >gst.log 2>&1) || true # timeout's 124 after a clean EOS
	grep -q 'Got EOS from element' "$dir/gst.log" || lf_fail "recording did not end with EOS: $(tail -n 5 "$dir/gst.log")"
}

# 1. A live producer at 30 fps, 5 s. The recipe's pipeline, stopped by SIGINT
#    5 s after it started playing (timeout's clock would also count
#    gst-launch's start-up, which a loaded machine stretches).
lf_testsrc_start live --size 320x240 --rate 30
src=$LF_TESTSRC_PID
lf_daemon_start --no-config --target live
mkdir -p "$LF_TEST_DIR/live"
lf_bg gst-live bash -c "cd '$LF_TEST_DIR/live' && exec ${LF_RECIPE_WEBM#timeout --foreground -s INT 10 }"
gst=$LF_BG_PID
lf_wait_for 20 grep -q 'Setting pipeline to PLAYING' "$LF_BG_LOG"
sleep 5
kill -INT "$gst"
lf_wait_for 20 grep -q 'Got EOS from element' "$LF_BG_LOG"
lf_stop "$gst"
d=$(duration_s "$LF_TEST_DIR/live/desktop.webm") || lf_fail "gst-discoverer-1.0 failed"
grep -q 'Width: 320' "$LF_TEST_DIR/live/desktop.webm.discoverer" &&
	grep -q 'Height: 240' "$LF_TEST_DIR/live/desktop.webm.discoverer" ||
	lf_fail "wrong size: $(grep -E 'Width|Height' "$LF_TEST_DIR/live/desktop.webm.discoverer")"
awk -v d="$d" 'BEGIN { exit !(d >= 4.5 && d <= 5.5) }' || lf_fail "5 s recording lasts ${d} s"
lf_log "5 s recording: ${d} s, 320x240"
lf_stop "$LF_DAEMON_PID"
lf_stop "$src"

# 2. A static producer: one frame, then silence. Keepalive makes the rate.
# A still screen: five frames, then nothing. The daemon first, so that it
# links before they go out.
lf_daemon_start --no-config --target still
lf_testsrc_start still --size 320x240 --rate 30 --frames 5 --linger --verbose
lf_wait_for 10 grep -q "^queued counter=4 " "$LF_TESTSRC_LOG"
lf_wait_grab 10 "$LF_TEST_DIR/still.ppm" 320x240
# The re-sent frame stays referenced past the daemon's lease timeout (1 s):
# lastframesrc must copy it in place and give the lease back in time.
GST_DEBUG=lastframesrc:4 GST_DEBUG_FILE=$LF_TEST_DIR/still-debug.log GST_DEBUG_NO_COLOR=1 \
	record 3 "$LF_TEST_DIR/still"
grep -q 'copied in place, lease returned' "$LF_TEST_DIR/still-debug.log" ||
	lf_fail "no lease rescue in the debug log of a 3 s still recording"
s=$("$LF_BUILD/lastframe" --timeout 2 stats --json) || lf_fail "lastframe stats failed"
[ "$(lf_json_get "$s" lease_timeouts)" = 0 ] || lf_fail "lease timeouts with a still producer: $s"
d=$(duration_s "$LF_TEST_DIR/still/desktop.webm") || lf_fail "gst-discoverer-1.0 failed"
n=$(frames "$LF_TEST_DIR/still/desktop.webm" 320x240) || lf_fail "cannot decode the static recording"
awk -v d="$d" -v n="$n" 'BEGIN { exit !(d > 1.5 && n / d >= 9) }' ||
	lf_fail "static producer, keepalive-time=100: $n frames in ${d} s"
lf_log "static producer with keepalive-time=100: $n frames in ${d} s"
