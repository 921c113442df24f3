# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared by the test-ipc-*.sh tests: build the raw protocol client once per
# test into $LF_TEST_DIR (the Makefile does not build tests/integration/*.c).

# ipc_tool_build: sets IPC_TOOL.
ipc_tool_build()
{
	IPC_TOOL=$LF_TEST_DIR/ipc-tool
	${CC:-cc} -std=gnu17 -O2 -g -Wall -Wextra -D_GNU_SOURCE -I"$LF_ROOT" -o "$IPC_TOOL" \
		"$LF_ROOT/tests/integration/ipc-tool.c" "$LF_ROOT/ipc/proto-parse.c" ||
		lf_fail "cannot build ipc-tool"
}

# ipc_field LINE KEY: the value of KEY=VALUE in a summary line.
ipc_field()
{
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1
}

# ipc_wait_frames: the daemon is publishing (some client got a frame).
ipc_wait_frames()
{
	lf_wait_for 20 ipc__got_frame
}

ipc__got_frame()
{
	local out
	out=$("$IPC_TOOL" "$LF_SOCKET" recv 1 0.3 1 2>/dev/null) || return 1
	[ "$(ipc_field "$out" frames)" -gt 0 ]
}

# ipc_fd_baseline: the daemon's fd count at steady state, printed.
# The daemon opens a read-only fd for each shared-memory buffer the first time
# it sends that buffer to anyone and keeps it for the buffer's life, so a count
# taken before every buffer of the negotiated set went out races that cache
# (PipeWire picks the set's size, not the test). Steady state: two 1 s windows
# in a row in which a client was sent the same number of distinct buffers
# (PipeWire hands buffers out in turn, so a window of 15+ frames meets them
# all) and the daemon's fd count did not move.
ipc_fd_baseline()
{
	IPC__PREV_BUFS=-1
	lf_wait_for 30 ipc__steady
	lf_fd_count "$LF_DAEMON_PID"
}

ipc__steady()
{
	local out bufs fds_before
	fds_before=$(lf_fd_count "$LF_DAEMON_PID")
	out=$("$IPC_TOOL" "$LF_SOCKET" recv 1 1 1 2>/dev/null) || return 1
	bufs=$(ipc_field "$out" buffers)
	if [ "$bufs" = "$IPC__PREV_BUFS" ] && lf_try_for 1 ipc__fds_are "$fds_before"; then
		return 0
	fi
	IPC__PREV_BUFS=$bufs
	return 1
}

# The tool's own connection is gone once the daemon has handled its hang-up.
ipc__fds_are()
{
	[ "$(lf_fd_count "$LF_DAEMON_PID")" = "$1" ]
}
