#!/usr/bin/env bash
# Issue 2: the producer resizes mid-stream (1280x720 → 1920x1080, a real
# renegotiation with new buffers); once it sends frames of the new size, the
# next grab is complete and has the new size, and `lastframe info` says so.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"

lf_session_start
lf_daemon_start --no-config --target resize
# 10 fps keeps 1080p drawing cheap on a loaded box. The producer resizes when
# told (SIGUSR1), after the old size was seen: a frame count raced a slow start
# on a loaded machine (the first grab came after the resize).
lf_testsrc_start resize --size 1280x720 --rate 10 --resize-at "1000000000:1920x1080" --verbose \
	--wait-consumer

lf_wait_grab 10 "$LF_TEST_DIR/before.png" 1280x720
lf_log "before: $LF_VERIFY"
kill -USR1 "$LF_TESTSRC_PID"

# Wait until the producer has queued a frame of the new size.
lf_wait_for 30 grep -q "^queued counter=[0-9]* kind=frame size=1920x1080" "$LF_TESTSRC_LOG"
first_big=$(grep -m1 "^queued counter=[0-9]* kind=frame size=1920x1080" "$LF_TESTSRC_LOG")
lf_log "producer: $first_big"
[[ $first_big =~ counter=([0-9]+) ]]
first_big=${BASH_REMATCH[1]}

# What lastframed logged about failing a client, if it did.
daemon_said()
{
	local l
	l=$(grep -h "unusable\|client.*fail" "$LF_TEST_DIR"/lastframed*.log 2>/dev/null | head -n 1 || true)
	[ -z "$l" ] || printf ' (daemon: %s)' "$l"
}

# The frame travels for a moment; grabs in between must still be complete.
# (A client connecting while the old buffers are gone but the new format is
# not announced yet must not be failed: that was a bug.)
big()
{
	lf_grab_verify "$LF_TEST_DIR/after.png" ||
		lf_fail "incomplete frame around the resize: $LF_VERIFY$(daemon_said)"
	[ "$(lf_json_get "$LF_VERIFY" width)x$(lf_json_get "$LF_VERIFY" height)" = 1920x1080 ]
}
lf_try_for 10 big || lf_fail "no 1920x1080 frame after the producer resized: $LF_VERIFY"
[ "$LF_COUNTER" -ge "$first_big" ] || lf_fail "1080p frame $LF_COUNTER is older than the resize ($first_big)"
lf_log "after: $LF_VERIFY"
lf_grab_verify "$LF_TEST_DIR/after.ppm" 1920x1080 || lf_fail "PPM after the resize: $LF_VERIFY"

w=$(lf_info_field width); h=$(lf_info_field height)
[ "${w}x$h" = 1920x1080 ] || lf_fail "lastframe info says ${w}x$h"
kill -0 "$LF_DAEMON_PID" || lf_fail "lastframed died"
