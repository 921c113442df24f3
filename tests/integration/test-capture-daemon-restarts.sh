#!/usr/bin/env bash
# The daemon restarted again and again on one producer (systemctl --user
# restart, a crash loop), each time with a client holding leases: the
# buffers it held go back to the stream before it disconnects. A buffer a
# consumer leaves with stays marked busy in the producer (PipeWire 0.3.65
# keeps the producer's buffers across links): seven restarts starved the
# test producer for good before the daemon's teardown returned them first.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"
source "$LF_ROOT/tests/integration/ipc-lib.sh"

ROUNDS=12
lf_session_start
ipc_tool_build
lf_testsrc_start restarts --size 320x240 --rate 30
for ((i = 1; i <= ROUNDS; i++)); do
	lf_daemon_start --no-config --target restarts --lease-timeout-ms 30000 ${RG:+--return-guard $RG}
	lf_wait_grab 10 "$LF_TEST_DIR/g.ppm" 320x240
	lf_bg "holder$i" "$IPC_TOOL" "$LF_SOCKET" hold 60 2
	lf_wait_for 10 grep -q '^holding n=2' "$LF_TEST_DIR/holder$i.log"
	lf_stop "$LF_DAEMON_PID"
	wait "$LF_BG_PID" 2>/dev/null || true
done
lf_daemon_start --no-config --target restarts
lf_wait_grab 10 "$LF_TEST_DIR/last.ppm" 320x240
lf_log "frames after $ROUNDS restarts: $LF_VERIFY"
