#!/usr/bin/env bash
# A client that never releases is disconnected with ERROR(ETIMEDOUT) after the
# lease timeout; the clients that behave lose nothing meanwhile.
set -euo pipefail
source "$(dirname "$0")/../lib/session.sh"
source "$(dirname "$0")/ipc-lib.sh"

lf_session_start
ipc_tool_build
lf_testsrc_start ipcsrc --size 320x240 --rate 60
lf_daemon_start --target ipcsrc --lease-timeout-ms 1000
ipc_wait_frames

lf_bg hog "$IPC_TOOL" "$LF_SOCKET" hold 20 3
hog_pid=$LF_BG_PID
out=$("$IPC_TOOL" "$LF_SOCKET" recv 8 4 1)
lf_log "others: $out"
lf_wait_for 20 grep -q '^held=' "$LF_TEST_DIR/hog.log"
lf_log "hog: $(cat "$LF_TEST_DIR/hog.log")"
grep -q '^held=3 error=110 eof=1' "$LF_TEST_DIR/hog.log" || lf_fail "hog was not timed out: $(cat "$LF_TEST_DIR/hog.log")"

[ "$(ipc_field "$out" disconnected)" -eq 0 ] || lf_fail "good clients disconnected: $out"
[ "$(ipc_field "$out" order_errors)" -eq 0 ] || lf_fail "frames out of order: $out"
[ "$(ipc_field "$out" min_ratio_pct)" -ge 95 ] || lf_fail "good clients lost frames: $out"

stats=$("$IPC_TOOL" "$LF_SOCKET" stats)
lf_log "stats: $stats"
[ "$(ipc_field "$stats" lease_timeouts)" -ge 1 ] || lf_fail "lease_timeouts not counted: $stats"
[ "$(ipc_field "$stats" clients)" -eq 1 ] || lf_fail "stale clients: $stats"
wait "$hog_pid" 2>/dev/null || true
ipc_wait_frames
lf_log "ok"
