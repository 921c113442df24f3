#!/usr/bin/env bash
# Issue 15, bad input: a fake daemon (gst-fake-daemon.py) that sends garbage,
# closes mid-stream, changes format between ADD_BUFFER and FRAME, or
# announces planes smaller than the picture, a short memfd, a short stride or
# an unknown format. lastframesrc posts an error (or renegotiates), never
# crashes, never hangs, and never hands downstream a buffer smaller than its
# caps (videoconvert behind it would read past the end: a crash, not status 1).
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"
source "$LF_ROOT/tests/integration/gst-lib.sh"

lf_session_start
lf_gst_setup

# mode EXPECT PATTERN: EXPECT is error (gst-launch exits 1 with PATTERN in
# its output) or ok (EOS after num-buffers).
check()
{
	local mode=$1 expect=$2 pattern=$3 sock=$LF_TEST_DIR/fake-$1.sock rc=0 log=$LF_TEST_DIR/gst-$1.log
	lf_bg "fake-$mode" /usr/bin/python3 "$LF_ROOT/tests/integration/gst-fake-daemon.py" "$sock" "$mode"
	local fake=$LF_BG_PID
	lf_wait_for 5 test -S "$sock"
	lf_gst_launch 15 "$log" lastframesrc socket="$sock" timeout=2000 num-buffers=20 ! \
		videoconvert ! video/x-raw,format=RGB ! fakesink || rc=$?
	lf_stop "$fake"
	case $expect in
	error) [ "$rc" -eq 1 ] || lf_fail "$mode: gst-launch status $rc, want 1 (error): $(tail -n 5 "$log")" ;;
	ok) [ "$rc" -eq 0 ] || lf_fail "$mode: gst-launch status $rc, want 0: $(tail -n 5 "$log")" ;;
	esac
	grep -qE "$pattern" "$log" || lf_fail "$mode: no '$pattern' in: $(tail -n 5 "$log")"
	lf_log "$mode: $expect ($(grep -m1 -E "$pattern" "$log" | cut -c1-150))"
}

check garbage error 'Lost the connection to lastframed: protocol error'
check close-mid error 'Lost the connection to lastframed'
check gen-change ok 'Got EOS'
check stale-frame error 'Lost the connection to lastframed: protocol error'
check small-plane error 'plane smaller than its picture'
check short-memfd error 'buffer smaller than announced'
check bad-stride error 'plane stride shorter than a row'
check bad-format error 'unsupported format'
