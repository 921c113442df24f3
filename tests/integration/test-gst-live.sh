#!/usr/bin/env bash
# Issue 15: lastframesrc keeps running through a mid-stream resize
# (renegotiates, exact pixels at both sizes) and, with reconnect=true, through
# a daemon restart (frames resume). Without reconnect a daemon that goes away,
# or none at all, is a clean error naming the cause; stopping a pipeline that
# waits (no daemon, or a still producer) never hangs.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"
source "$LF_ROOT/tests/integration/gst-lib.sh"

lf_session_start
lf_gst_setup

# exits_within SECS PID: the process ends within SECS; its status in LF_RC.
exits_within()
{
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		if ! kill -0 "$2" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$2/stat" 2>/dev/null)" = Z ]; then
			LF_RC=0
			wait "$2" || LF_RC=$?
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# 1. Resize mid-stream: the producer starts after the pipeline, so the
#    switch at frame 20 happens while it runs.
lf_daemon_start --no-config --target rs
lf_bg gst-resize gst-launch-1.0 -v lastframesrc num-buffers=50 ! videoconvert dither=none ! \
	video/x-raw,format=RGB ! multifilesink location="$LF_TEST_DIR/rs-%03d.rgb"
gst=$LF_BG_PID
lf_testsrc_start rs --size 328x240 --rate 30 --resize-at 20:400x300
exits_within 20 "$gst" || lf_fail "resize pipeline did not finish"
[ "$LF_RC" -eq 0 ] || lf_fail "resize pipeline failed: $(tail -n 5 "$LF_TEST_DIR/gst-resize.log")"
grep -q 'lastframesrc0.GstPad:src: caps = video/x-raw, format=(string)BGRx, width=(int)400, height=(int)300' \
	"$LF_TEST_DIR/gst-resize.log" || lf_fail "no renegotiation to 400x300"
lf_gst_verify_rgb "$LF_TEST_DIR/rs-000.rgb" 328x240 || lf_fail "first frame: $LF_VERIFY"
lf_gst_verify_rgb "$LF_TEST_DIR/rs-049.rgb" 400x300 || lf_fail "last frame after the resize: $LF_VERIFY"
lf_log "resize: 328x240 then 400x300, exact pixels at both sizes"
lf_stop "$LF_DAEMON_PID"
lf_stop "$LF_TESTSRC_PID"

# 2. Daemon restarted mid-stream, reconnect=true: 90 frames arrive anyway.
lf_testsrc_start live --size 320x240 --rate 30
lf_daemon_start --no-config --target live
lf_bg gst-reconnect gst-launch-1.0 lastframesrc reconnect=true num-buffers=90 ! videoconvert dither=none ! \
	video/x-raw,format=RGB ! filesink location="$LF_TEST_DIR/rc.rgb"
gst=$LF_BG_PID
lf_wait_for 10 test -s "$LF_TEST_DIR/rc.rgb"
lf_stop "$LF_DAEMON_PID"
sleep 0.5
kill -0 "$gst" || lf_fail "pipeline with reconnect=true ended when the daemon stopped"
lf_daemon_start --no-config --target live
exits_within 20 "$gst" || lf_fail "frames did not resume after the daemon restarted"
[ "$LF_RC" -eq 0 ] || lf_fail "reconnect pipeline failed: $(tail -n 5 "$LF_TEST_DIR/gst-reconnect.log")"
lf_gst_verify_rgb "$LF_TEST_DIR/rc.rgb" 320x240 || lf_fail "last frame after reconnect: $LF_VERIFY"
[ "$(stat -c %s "$LF_TEST_DIR/rc.rgb")" -eq $((320 * 240 * 3 * 90)) ] || lf_fail "not 90 frames"
lf_log "daemon restart with reconnect=true: 90 frames, the last exact"

# 3. Without reconnect: a clean error naming the cause, promptly.
lf_bg gst-lost gst-launch-1.0 lastframesrc ! fakesink
gst=$LF_BG_PID
sleep 1
lf_stop "$LF_DAEMON_PID"
exits_within 5 "$gst" || lf_fail "pipeline hangs after the daemon went away"
[ "$LF_RC" -ne 0 ] || lf_fail "daemon gone, yet gst-launch exited 0"
grep -q 'Lost the connection to lastframed' "$LF_TEST_DIR/gst-lost.log" ||
	lf_fail "error does not name the cause: $(tail -n 5 "$LF_TEST_DIR/gst-lost.log")"
lf_log "daemon gone without reconnect: $(grep -m1 'ERROR' "$LF_TEST_DIR/gst-lost.log")"

# 4. No daemon at all.
rc=0
lf_gst_launch 10 "$LF_TEST_DIR/gst-none.log" lastframesrc ! fakesink || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || lf_fail "no daemon: gst-launch status $rc"
grep -q "Could not connect to lastframed at $LF_SOCKET" "$LF_TEST_DIR/gst-none.log" ||
	lf_fail "no daemon: $(tail -n 5 "$LF_TEST_DIR/gst-none.log")"

# 5. Stopping never waits for the daemon: no daemon with reconnect=true,
#    then a still producer with the source blocked waiting for a frame.
for case in none still; do
	if [ "$case" = still ]; then
		# A still screen: five frames, then nothing (the daemon links first).
		lf_daemon_start --no-config --target still
		lf_testsrc_start still --size 320x240 --rate 30 --frames 5 --linger --verbose
		lf_wait_for 10 grep -q "^queued counter=4 " "$LF_TESTSRC_LOG"
		lf_wait_grab 10 "$LF_TEST_DIR/still.ppm" 320x240
	fi
	lf_bg "gst-stop-$case" gst-launch-1.0 lastframesrc reconnect=true ! fakesink
	gst=$LF_BG_PID
	sleep 1
	kill -INT "$gst"
	exits_within 3 "$gst" || lf_fail "$case: SIGINT did not stop the pipeline within 3 s"
done
lf_log "SIGINT stops a waiting pipeline at once (no daemon, still producer)"

# 6. An EOS (gst-launch -e on SIGINT) ends a pipeline whose source waits for
#    a frame of a still screen: the file is finished, not cut.
# (The debug log stays in the test dir if this fails.)
GST_DEBUG=lastframesrc:6,basesrc:5,GST_STATES:4 GST_DEBUG_NO_COLOR=1 GST_DEBUG_FILE=$LF_TEST_DIR/gst-eos-debug.log \
	lf_bg gst-eos gst-launch-1.0 -e lastframesrc ! videoconvert ! vp8enc deadline=1 ! webmmux ! \
	filesink location="$LF_TEST_DIR/eos.webm"
gst=$LF_BG_PID
sleep 1
kill -INT "$gst"
exits_within 5 "$gst" || lf_fail "EOS did not end a pipeline waiting on a still screen"
[ "$LF_RC" -eq 0 ] && grep -q 'Got EOS from element' "$LF_TEST_DIR/gst-eos.log" ||
	lf_fail "no clean EOS (status $LF_RC): $(tail -n 3 "$LF_TEST_DIR/gst-eos.log")"
lf_log "EOS on a still screen: finished in time"
