#!/usr/bin/env bash
# Issue 2: the producer dies (SIGKILL, then a clean exit): lastframed
# survives and `lastframe info` says the stream is gone; a producer with the
# same node name comes back (another size/format the second time) and frames
# flow again, with the same lastframed process. Last, the same with a
# producer that negotiates dmabuf modifiers in two steps (DONT_FIXATE), the
# case where PipeWire 0.3.65 leaves a kept-alive consumer stream without
# buffers (recipes §6).
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"

state_is()
{
	local s
	s=$(lf_info_field state) || return 1
	[ "$s" = "$1" ]
}

lf_session_start
# --no-import-probe: part 3's "dmabufs" are memfds, which a GPU would refuse.
lf_daemon_start --no-config --no-import-probe --target phoenix
daemon=$LF_DAEMON_PID

lf_testsrc_start phoenix --size 320x240 --rate 30
lf_wait_grab 10 "$LF_TEST_DIR/first.png" 320x240
lf_log "first producer: $LF_VERIFY"

# 1. SIGKILL: no goodbye to PipeWire at all.
lf_stop "$LF_TESTSRC_PID" KILL
lf_wait_for 10 state_is none
kill -0 "$daemon" || lf_fail "lastframed died with the producer"
lf_log "after SIGKILL: $("$LF_BUILD/lastframe" info --json)"
# A grab now fails cleanly, and quickly.
if lf_grab "$LF_TEST_DIR/none.png" --timeout 1 >/dev/null 2>&1; then
	lf_fail "grab succeeded with no producer"
fi

lf_testsrc_start phoenix --size 320x240 --rate 30
lf_wait_grab 10 "$LF_TEST_DIR/second.png" 320x240
lf_log "second producer: $LF_VERIFY"

# 2. A clean exit (SIGTERM), then a producer with another size and format.
lf_stop "$LF_TESTSRC_PID"
lf_wait_for 10 state_is none
kill -0 "$daemon" || lf_fail "lastframed died with the producer"

lf_testsrc_start phoenix --size 400x200 --rate 30 --format RGBx
lf_wait_grab 10 "$LF_TEST_DIR/third.png" 400x200
lf_log "third producer: $LF_VERIFY"
[ "$(lf_json_get "$LF_VERIFY" format)" = RGBx ] || lf_fail "third producer's frame: $LF_VERIFY"
lf_wait_for 5 state_is streaming

# 3. Two-step dmabuf negotiation, twice.
lf_stop "$LF_TESTSRC_PID" KILL
lf_wait_for 10 state_is none
for i in 1 2; do
	lf_testsrc_start phoenix --size 320x240 --rate 30 --buffer dmabuf --dmabuf-mode fixate
	lf_wait_grab 10 "$LF_TEST_DIR/dmabuf$i.png" 320x240
	lf_log "dmabuf producer $i: $LF_VERIFY ($(lf_info_field buffer_type))"
	lf_stop "$LF_TESTSRC_PID" KILL
	lf_wait_for 10 state_is none
done
[ "$LF_DAEMON_PID" = "$daemon" ] && kill -0 "$daemon" || lf_fail "lastframed was restarted or died"
