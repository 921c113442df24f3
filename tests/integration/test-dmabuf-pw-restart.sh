#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The PipeWire daemon itself restarts (with WirePlumber and the producer):
# lastframed notices the lost connection, reconnects with backoff on its
# loop, waits for the node and negotiates dmabuf again, without a restart of
# its own and without losing its clients' socket.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
LF_BUILD=${LF_BUILD:-$LF_ROOT/build}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/integration/dmabuf-lib.sh"

lf_session_start
lf_testsrc_start src --size 320x240 --buffer dmabuf --dmabuf-mode fixate
lf_daemon_start --target src
lf_dmabuf_expect XR24 dmabuf LINEAR
lf_dmabuf_grab_ok before 320x240

lf_stop "$LF_TESTSRC_PID"
lf_stop "$LF_WIREPLUMBER_PID"
lf_stop "$LF_PIPEWIRE_PID"
lf__none() { lf_dmabuf_info; [ "$(lf_dmabuf_json_get state)" = none ]; }
lf_wait_for 10 lf__none
lf_log "daemon reports no source while PipeWire is down"

lf_bg pipewire pipewire
LF_PIPEWIRE_PID=$LF_BG_PID
lf_wait_for 10 test -S "$XDG_RUNTIME_DIR/pipewire-0"
lf_bg wireplumber wireplumber
LF_WIREPLUMBER_PID=$LF_BG_PID
lf_wait_for 20 lf__metadata_ready
lf_testsrc_start src --size 480x272 --buffer dmabuf --dmabuf-mode fixate
lf_dmabuf_expect XR24 dmabuf LINEAR
lf_wait_for 10 bash -c "'$LF_BUILD/lastframe' grab '$LF_TEST_DIR/after.ppm' &&
	'$LF_BUILD/lastframe-testsrc' --verify '$LF_TEST_DIR/after.ppm' --expect-size 480x272"
kill -0 "$LF_DAEMON_PID" || lf_fail "lastframed died"
lf_log "reconnected after the PipeWire restart"
