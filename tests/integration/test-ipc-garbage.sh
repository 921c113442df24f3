#!/usr/bin/env bash
# Bad input from clients: garbage, truncated, oversized, unknown mandatory
# types, wrong direction, unexpected or too many fds, messages before HELLO,
# RELEASE of frames not held. Each gets ERROR with the documented code and a
# close; an unknown IGNORABLE message (even with an fd) is skipped; a client
# flooding PINGs without reading is dropped instead of blocking the daemon.
# The daemon leaks no fd, keeps serving, and counts the protocol errors.
set -euo pipefail
source "$(dirname "$0")/../lib/session.sh"
source "$(dirname "$0")/ipc-lib.sh"

lf_session_start
ipc_tool_build
lf_testsrc_start ipcsrc --size 320x240 --rate 30
lf_daemon_start --target ipcsrc
ipc_wait_frames
fd_before=$(ipc_fd_baseline)

EBADMSG=74; EPROTO=71; EMSGSIZE=90; EINVAL=22
check() # KIND CODE
{
	local out
	out=$("$IPC_TOOL" "$LF_SOCKET" bad "$1" 2>&1) || lf_fail "$1: no ERROR + close: $out"
	printf '%s\n' "$out" | grep -q "^error=$2 eof=1$" || lf_fail "$1: expected error $2: $out"
	lf_log "$1: $(printf '%s' "$out" | tr '\n' ' ')"
}
errors=0
for _ in 1 2 3; do
	check garbage $EBADMSG
	check short $EBADMSG
	check truncated-hello $EBADMSG
	check badlen $EBADMSG
	check oversized $EMSGSIZE
	check unknown $EPROTO
	check wrong-direction $EPROTO
	check fds $EBADMSG
	check many-fds $EBADMSG
	check before-hello $EPROTO
	check bad-release $EINVAL
	errors=$((errors + 11))
	out=$("$IPC_TOOL" "$LF_SOCKET" bad ignorable 2>&1) || lf_fail "IGNORABLE message not skipped: $out"
done

# A client that floods requests and never reads is dropped, not waited for.
out=$("$IPC_TOOL" "$LF_SOCKET" bad flood 2>&1) || lf_fail "flooding client not dropped: $out"
lf_log "flood: $out"

lf_wait_for 10 test "$(lf_fd_count "$LF_DAEMON_PID")" -le "$fd_before"
stats=$("$IPC_TOOL" "$LF_SOCKET" stats)
lf_log "stats: $stats"
[ "$(ipc_field "$stats" protocol_errors)" -eq "$errors" ] || lf_fail "protocol_errors should be $errors: $stats"
[ "$(ipc_field "$stats" clients)" -eq 1 ] || lf_fail "stale clients: $stats"
lf_log "daemon fds: before $fd_before, after $(lf_fd_count "$LF_DAEMON_PID")"
ipc_wait_frames
lf_log "ok"
