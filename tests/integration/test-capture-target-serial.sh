#!/usr/bin/env bash
# lastframed --target with a number takes it as the node's object.serial
# (what PipeWire's target.object means), not as a node id; the right one of
# two producers is captured.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"

lf_session_start
lf_testsrc_start decoy --size 256x64 --format RGBx
lf_testsrc_start wanted --size 320x240 --print-serial
lf_wait_for 5 grep -q '^object.serial=' "$LF_TESTSRC_LOG"
serial=$(sed -n 's/^object.serial=//p' "$LF_TESTSRC_LOG")
id=$(sed -n 's/^node.id=//p' "$LF_TESTSRC_LOG")
lf_log "wanted: object.serial=$serial node.id=$id"
[ "$serial" != "$id" ] || lf_log "serial equals the node id here: the test proves less"

lf_daemon_start --no-config --target "$serial"
lf_wait_grab 10 "$LF_TEST_DIR/a.png" 320x240
[ "$(lf_json_get "$LF_VERIFY" format)" = BGRx ] || lf_fail "captured the wrong node: $LF_VERIFY"
lf_log "captured by serial: $LF_VERIFY"
