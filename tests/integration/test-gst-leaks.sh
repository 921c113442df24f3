#!/usr/bin/env bash
# Issue 15: 20 lastframesrc pipelines started and stopped (EOS, SIGINT,
# SIGKILL) leave nothing behind in the daemon: its fd count is the one at
# steady state (after a first pipeline), `lastframe stats` shows no client
# left and no lease timeout. Zero copy is on (fakesink takes any memory).
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"
source "$LF_ROOT/tests/integration/gst-lib.sh"

lf_session_start
lf_gst_setup
lf_testsrc_start src --size 320x240 --rate 60
lf_daemon_start --no-config --target src

stats()
{
	"$LF_BUILD/lastframe" --timeout 2 stats --json
}
no_clients()
{
	local s
	s=$(stats) || return 1
	[ "$(lf_json_get "$s" clients)" = 1 ] # the stats client itself
}

run_one()
{
	local i=$1 pid
	case $((i % 3)) in
	0)
		lf_gst_launch 20 "$LF_TEST_DIR/gst-$i.log" -q lastframesrc num-buffers=10 ! fakesink ||
			lf_fail "pipeline $i failed: $(tail -n 3 "$LF_TEST_DIR/gst-$i.log")"
		;;
	1 | 2)
		lf_bg "gst-$i" gst-launch-1.0 lastframesrc ! fakesink
		pid=$LF_BG_PID
		sleep 0.3
		if [ $((i % 3)) -eq 1 ]; then lf_stop "$pid" INT; else lf_stop "$pid" KILL; fi
		;;
	esac
}

run_one 0
lf_wait_for 5 no_clients
base=$(lf_fd_count "$LF_DAEMON_PID")
for ((i = 1; i <= 20; i++)); do
	run_one "$i"
done
lf_wait_for 5 no_clients
after=$(lf_fd_count "$LF_DAEMON_PID")
s=$(stats)
[ "$after" -eq "$base" ] || lf_fail "daemon fds: $base at steady state, $after after 20 pipelines"
[ "$(lf_json_get "$s" lease_timeouts)" = 0 ] || lf_fail "lease timeouts: $s"
[ "$(lf_json_get "$s" protocol_errors)" = 0 ] || lf_fail "protocol errors: $s"
lf_log "20 pipelines: daemon fds $base -> $after, clients 0, lease_timeouts 0"
