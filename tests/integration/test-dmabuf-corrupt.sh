#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cursor-only buffers (chunk size 0 + SPA_CHUNK_FLAG_CORRUPTED) and buffers
# with SPA_META_HEADER_FLAG_CORRUPTED carry poisoned pixels in the test
# producer: none of them may ever reach a client as a frame. Over dmabuf
# (zero-copy) and shared memory.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
LF_BUILD=${LF_BUILD:-$LF_ROOT/build}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/integration/dmabuf-lib.sh"

lf_session_start
for buf in dmabuf memfd; do
	lf_log "--- $buf"
	lf_testsrc_start "src-$buf" --size 320x240 --rate 60 --buffer "$buf" --dmabuf-mode linear \
		--cursor-every 3 --corrupt-every 4
	lf_daemon_start --target "src-$buf"
	if [ "$buf" = dmabuf ]; then
		lf_dmabuf_expect XR24 dmabuf LINEAR
	else
		lf_dmabuf_expect XR24 memfd none
	fi
	for i in $(seq 1 12); do
		lf_dmabuf_grab_ok "$buf-$i" 320x240
	done
	corrupted=$(lf_dmabuf_stat frames_corrupted)
	lf_log "$buf: frames_corrupted=$corrupted"
	[ "${corrupted:-0}" -gt 0 ] || lf_fail "the daemon saw no corrupted buffers (test producer options?)"
	lf_stop "$LF_DAEMON_PID"
	lf_stop "$LF_TESTSRC_PID"
done
