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
