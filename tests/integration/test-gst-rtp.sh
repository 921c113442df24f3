#!/usr/bin/env bash
# Issue 15: the README's RTP/VP8 recipe over loopback: the receiver decodes
# frames of the producer's size.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"
source "$LF_ROOT/tests/integration/gst-lib.sh"

lf_session_start
lf_gst_setup
lf_gst_readme_has "$LF_RECIPE_RTP_RECV"
lf_gst_readme_has "$LF_RECIPE_RTP_SEND"

# A free UDP port (parallel tests must not collide on 5004).
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
recv=${LF_RECIPE_RTP_RECV//5004/$port}
recv=${recv/autovideosink/video\/x-raw,format=RGB ! filesink location=$LF_TEST_DIR/recv.rgb}
send=${LF_RECIPE_RTP_SEND//5004/$port}

lf_testsrc_start src --size 320x240 --rate 30
lf_daemon_start --no-config --target src
lf_bg gst-recv bash -c "exec ${recv/gst-launch-1.0/gst-launch-1.0 -v}"
receiver=$LF_BG_PID
lf_bg gst-send bash -c "exec $send"
sender=$LF_BG_PID
# 30 decoded frames.
lf_wait_for 20 bash -c "[ \$(stat -c %s '$LF_TEST_DIR/recv.rgb' 2>/dev/null || echo 0) -ge $((320 * 240 * 3 * 30)) ]"
lf_stop "$sender"
lf_stop "$receiver"
grep -q 'vp8dec0.GstPad:src: caps = video/x-raw, format=(string)I420, width=(int)320, height=(int)240' \
	"$LF_TEST_DIR/gst-recv.log" || lf_fail "receiver decoded no 320x240 frames: $(grep caps "$LF_TEST_DIR/gst-recv.log" | tail -n 3)"
lf_log "RTP VP8 over 127.0.0.1:$port: $(($(stat -c %s "$LF_TEST_DIR/recv.rgb") / (320 * 240 * 3))) frames of 320x240 decoded"
