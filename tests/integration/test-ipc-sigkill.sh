#!/usr/bin/env bash
# Clients SIGKILLed while holding every credit they have: their leases are
# reclaimed at once (not by the lease timeout), the daemon's fds go back to
# where they were, and the stream keeps flowing to a client that behaves.
set -euo pipefail
source "$(dirname "$0")/../lib/session.sh"
source "$(dirname "$0")/ipc-lib.sh"

lf_session_start
ipc_tool_build
# Few buffers: leaked leases would starve the producer's pool.
lf_testsrc_start ipcsrc --size 320x240 --rate 60 --buffers 4
lf_daemon_start --target ipcsrc --lease-timeout-ms 30000
ipc_wait_frames
fd_before=$(ipc_fd_baseline)

pids=()
for i in 1 2 3; do
	lf_bg "holder$i" "$IPC_TOOL" "$LF_SOCKET" hold 60 3
	pids+=("$LF_BG_PID")
done
for i in 1 2 3; do
	lf_wait_for 20 grep -q '^holding n=3' "$LF_TEST_DIR/holder$i.log"
done
for p in "${pids[@]}"; do
	kill -KILL "$p"
done
for p in "${pids[@]}"; do
	wait "$p" 2>/dev/null || true
done

lf_wait_for 10 test "$(lf_fd_count "$LF_DAEMON_PID")" -le "$fd_before"
out=$("$IPC_TOOL" "$LF_SOCKET" recv 2 3 1)
lf_log "after kill: $out"
[ "$(ipc_field "$out" disconnected)" -eq 0 ] || lf_fail "disconnected: $out"
[ "$(ipc_field "$out" min_frames)" -ge 30 ] || lf_fail "stream stalled after the kill: $out"
[ "$(ipc_field "$out" min_ratio_pct)" -ge 95 ] || lf_fail "frames lost after the kill: $out"
stats=$("$IPC_TOOL" "$LF_SOCKET" stats)
lf_log "stats: $stats"
[ "$(ipc_field "$stats" lease_timeouts)" -eq 0 ] || lf_fail "reclaimed by timeout, not on disconnect: $stats"
[ "$(ipc_field "$stats" clients)" -eq 1 ] || lf_fail "stale clients: $stats"
lf_log "ok"
