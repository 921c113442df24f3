#!/usr/bin/env bash
# 64 clients at 60 fps for 10 s: each gets >= 95 % of the frames the daemon
# published while it was connected (FRAME.skipped counts the rest), in
# strictly increasing seq order, every FRAME after its ADD_BUFFER, nobody
# disconnected; afterwards no lease is left held and the stream still flows.
set -euo pipefail
source "$(dirname "$0")/../lib/session.sh"
source "$(dirname "$0")/ipc-lib.sh"

lf_session_start
ipc_tool_build
lf_testsrc_start ipcsrc --size 320x240 --rate 60
lf_daemon_start --target ipcsrc
ipc_wait_frames

fd_before=$(ipc_fd_baseline)
# Two credits, as a real client would pipeline: a client process delayed
# for one frame period on a loaded machine still gets the next frame.
out=$("$IPC_TOOL" "$LF_SOCKET" recv 64 10 2)
lf_log "fan-out: $out"
[ "$(ipc_field "$out" disconnected)" -eq 0 ] || lf_fail "clients were disconnected: $out"
[ "$(ipc_field "$out" order_errors)" -eq 0 ] || lf_fail "frames out of order: $out"
[ "$(ipc_field "$out" unknown_buffer)" -eq 0 ] || lf_fail "FRAME before its ADD_BUFFER: $out"
[ "$(ipc_field "$out" min_frames)" -gt 0 ] || lf_fail "a client got no frame: $out"
[ "$(ipc_field "$out" min_ratio_pct)" -ge 95 ] || lf_fail "a client got < 95 % of the frames: $out"

# Everything reclaimed: the daemon is back to its fd count and still serves.
lf_wait_for 10 test "$(lf_fd_count "$LF_DAEMON_PID")" -le "$fd_before"
stats=$("$IPC_TOOL" "$LF_SOCKET" stats)
lf_log "stats: $stats"
[ "$(ipc_field "$stats" clients)" -eq 1 ] || lf_fail "stale clients: $stats"
ipc_wait_frames
lf_log "ok"
