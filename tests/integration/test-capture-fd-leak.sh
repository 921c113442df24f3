#!/usr/bin/env bash
# Issue 2: no fd leak in lastframed across 1000 grabs (each one a full client:
# connect, buffers, a frame, release, disconnect). lastframed keeps one
# read-only fd per producer buffer it has handed out, so the count is taken
# at steady state: after a warm-up, once a client was sent every buffer of the
# set (ipc_fd_baseline).
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"
source "$LF_ROOT/tests/integration/ipc-lib.sh"

GRABS=${LF_FD_LEAK_GRABS:-1000}
WARMUP=200
# Under ASan (make check SAN=1) each grab costs ~25 ms: fewer, still far more
# than any per-grab leak needs to show.
if grep -q fsanitize "$LF_BUILD/.flags" 2>/dev/null && [ -z "${LF_FD_LEAK_GRABS:-}" ]; then
	GRABS=300
	WARMUP=100
fi

grabs()
{
	local n=$1 i
	for ((i = 0; i < n; i++)); do
		"$LF_BUILD/lastframe" --timeout 5 grab "$LF_TEST_DIR/g.ppm" >/dev/null ||
			lf_fail "grab $i of $n failed"
	done
}

lf_session_start
lf_daemon_start --no-config --target leak
lf_testsrc_start leak --size 64x64 --rate 30
lf_wait_grab 10 "$LF_TEST_DIR/first.ppm" 64x64

grabs "$WARMUP"
ipc_tool_build
before=$(ipc_fd_baseline)
ls -l "/proc/$LF_DAEMON_PID/fd" >"$LF_TEST_DIR/fds-before.txt"
lf_log "after $WARMUP warm-up grabs: $before fds"

grabs "$GRABS"
lf_verify "$LF_TEST_DIR/g.ppm" 64x64 || lf_fail "last grab: $LF_VERIFY"

not_more() { [ "$(lf_fd_count "$LF_DAEMON_PID")" -le "$before" ]; }
if ! lf_try_for 5 not_more; then
	ls -l "/proc/$LF_DAEMON_PID/fd" >"$LF_TEST_DIR/fds-after.txt"
	diff "$LF_TEST_DIR/fds-before.txt" "$LF_TEST_DIR/fds-after.txt" >&2 || true
	lf_fail "lastframed has $(lf_fd_count "$LF_DAEMON_PID") fds after $GRABS grabs, $before before"
fi
lf_log "after $GRABS more grabs: $(lf_fd_count "$LF_DAEMON_PID") fds"
kill -0 "$LF_DAEMON_PID" || lf_fail "lastframed died"
