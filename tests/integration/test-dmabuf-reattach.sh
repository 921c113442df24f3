#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A producer negotiating dmabuf in two steps (DONT_FIXATE) is SIGKILLed and
# comes back: on PipeWire 0.3.65 a consumer stream that stays connected never
# gets buffers again (recipes §6), so lastframed must recreate its stream.
# Checked with a named target and with the session manager's pick (no
# target), each time with correct pixels of the new producer.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
LF_BUILD=${LF_BUILD:-$LF_ROOT/build}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/integration/dmabuf-lib.sh"

lf_session_start

lf__new_size_ok()
{
	local f=$LF_TEST_DIR/after-$1.ppm
	"$LF_BUILD/lastframe" --timeout 2 grab "$f" 2>/dev/null &&
		"$LF_BUILD/lastframe-testsrc" --verify "$f" --expect-size "$1" >/dev/null
}

for mode in target auto; do
	lf_log "--- $mode"
	if [ "$mode" = target ]; then
		lf_testsrc_start "src-$mode" --size 320x240 --buffer dmabuf --dmabuf-mode fixate
		lf_daemon_start --target "src-$mode"
	else
		# No source yet: the session manager fails the stream ("no node
		# available"); lastframed retries and takes the source once it
		# exists.
		lf_daemon_start
		lf_wait_for 10 grep -q "no node available" "$LF_BG_LOG"
		lf_testsrc_start "src-$mode" --size 320x240 --buffer dmabuf --dmabuf-mode fixate
	fi
	lf_dmabuf_expect XR24 dmabuf LINEAR
	lf_dmabuf_grab_ok "$mode-before" 320x240
	kill -KILL "$LF_TESTSRC_PID"
	lf_wait_for 5 bash -c "! kill -0 $LF_TESTSRC_PID 2>/dev/null"
	# Same name (target) or any new source (auto); a new size proves the
	# frames come from the new producer.
	lf_testsrc_start "src-$mode" --size 480x272 --buffer dmabuf --dmabuf-mode fixate
	lf_wait_for 10 lf__new_size_ok 480x272
	lf_dmabuf_expect XR24 dmabuf LINEAR
	lf_log "$mode: frames from the restarted producer"
	lf_stop "$LF_DAEMON_PID"
	lf_stop "$LF_TESTSRC_PID"
done
