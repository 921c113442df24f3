#!/usr/bin/env bash
# Who may connect: a client of another uid gets ERROR(EACCES) and is closed
# (the socket is opened up with chmod for the test, so only the daemon's
# SO_PEERCRED check stands in the way); past --max-clients a client gets
# ERROR(EBUSY). Both are counted in clients_refused; nothing leaks.
set -euo pipefail
source "$(dirname "$0")/../lib/session.sh"
source "$(dirname "$0")/ipc-lib.sh"

[ "$(id -u)" -eq 0 ] || lf_skip "needs root to run a client as another user"
id nobody >/dev/null 2>&1 || lf_skip "no user 'nobody'"
command -v setpriv >/dev/null || lf_skip "setpriv (util-linux) missing"

lf_session_start
ipc_tool_build
lf_testsrc_start ipcsrc --size 320x240 --rate 30
lf_daemon_start --target ipcsrc --max-clients 3
ipc_wait_frames
fd_before=$(ipc_fd_baseline)

# Let 'nobody' reach the socket: every directory on the way searchable.
d=$(dirname "$LF_SOCKET")
while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
chmod 0666 "$LF_SOCKET"
chmod 0755 "$IPC_TOOL"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$IPC_TOOL" "$LF_SOCKET" hello 2>&1 || true)
lf_log "as nobody: $out"
printf '%s\n' "$out" | grep -q '^error=13$' || lf_fail "another uid was not refused with EACCES: $out"
# Our own uid is welcome.
out=$("$IPC_TOOL" "$LF_SOCKET" hello)
printf '%s\n' "$out" | grep -q '^welcome version=1' || lf_fail "own uid refused: $out"

# --max-clients 3: three holders fill it, the fourth is refused.
pids=()
for i in 1 2 3; do
	lf_bg "holder$i" "$IPC_TOOL" "$LF_SOCKET" hold 30 1
	pids+=("$LF_BG_PID")
	lf_wait_for 20 grep -q '^holding' "$LF_TEST_DIR/holder$i.log"
done
out=$("$IPC_TOOL" "$LF_SOCKET" hello 2>&1 || true)
lf_log "fourth client: $out"
printf '%s\n' "$out" | grep -q '^error=16$' || lf_fail "client over the limit not refused with EBUSY: $out"
for p in "${pids[@]}"; do kill "$p"; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done

lf_wait_for 10 test "$(lf_fd_count "$LF_DAEMON_PID")" -le "$fd_before"
stats=$("$IPC_TOOL" "$LF_SOCKET" stats)
lf_log "stats: $stats"
[ "$(ipc_field "$stats" clients_refused)" -eq 2 ] || lf_fail "clients_refused should be 2: $stats"
ipc_wait_frames
lf_log "ok"
