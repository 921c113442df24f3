#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The pytest suite's session: tests/lib/session.sh (private dbus + pipewire +
# wireplumber), then commands read line by line from stdin, one reply line
# each on stdout ("ok ..." or "err ..."). EOF on stdin tears everything down.
#   testsrc NAME ARGS...        lastframe-testsrc --name NAME ARGS (waits for the node)
#   daemon SOCK ARGS...         lastframed --socket $XDG_RUNTIME_DIR/SOCK ARGS (waits for it)
#   stop PID [SIG]              stop a process started here
set -uo pipefail
LF_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export LF_ROOT
LF_TEST_NAME=pytest
# shellcheck source=../../tests/lib/session.sh
source "$LF_ROOT/tests/lib/session.sh"
LF_TEST_NAME=pytest
# Our stdout is the reply channel: the harness logs go to stderr.
lf_session_start >&2
echo "ready $XDG_RUNTIME_DIR"
while read -r cmd args; do
	# shellcheck disable=SC2086
	set -- $args
	case $cmd in
	testsrc)
		name=$1; shift
		lf_bg "testsrc-$name" "$LF_BUILD/lastframe-testsrc" --name "$name" "$@"
		pid=$LF_BG_PID
		if lf_try_for 10 lf_node_exists "$name"; then echo "ok $pid"; else echo "err node $name did not appear"; fi
		;;
	daemon)
		sock=$XDG_RUNTIME_DIR/$1; shift
		rm -f "$sock"
		lf_bg "lastframed" "$LF_BUILD/lastframed" --socket "$sock" "$@"
		pid=$LF_BG_PID
		if lf_try_for 10 test -S "$sock"; then echo "ok $pid $sock"; else echo "err lastframed did not create $sock"; fi
		;;
	stop)
		lf_stop "$1" "${2:-TERM}" >&2
		echo "ok"
		;;
	*)
		echo "err unknown command $cmd"
		;;
	esac
done
