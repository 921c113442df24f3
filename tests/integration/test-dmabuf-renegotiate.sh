#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A client that cannot import the negotiated (format, modifier) reports it;
# lastframed drops that pair and renegotiates: LINEAR → INVALID → shared
# memory, frames keep coming at every step, and repeated reports of a pair
# already dropped change nothing (no loop).
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
LF_BUILD=${LF_BUILD:-$LF_ROOT/build}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/integration/dmabuf-lib.sh"

lf_session_start
lf_testsrc_start src --size 320x240 --buffer dmabuf --dmabuf-mode fixate
lf_daemon_start --target src

lf_dmabuf_expect XR24 dmabuf LINEAR
lf_dmabuf_check LINEAR step0

"$LF_BUILD/lastframe" report-import-failure XR24 LINEAR || lf_fail "report failed"
lf_dmabuf_expect XR24 dmabuf INVALID
lf_dmabuf_check INVALID step1

"$LF_BUILD/lastframe" report-import-failure XR24 INVALID || lf_fail "report failed"
lf_dmabuf_expect XR24 memfd none
lf_dmabuf_check LINEAR step2

# Stale reports (a slow client still on the old buffers) are no-ops.
"$LF_BUILD/lastframe" report-import-failure XR24 LINEAR || lf_fail "report failed"
"$LF_BUILD/lastframe" report-import-failure XR24 INVALID || lf_fail "report failed"
lf_wait_for 5 bash -c "[ \"\$('$LF_BUILD/lastframe' stats --json | sed -n 's/.*\"renegotiations\":\\([0-9]*\\).*/\\1/p')\" = 2 ]"
lf_dmabuf_expect XR24 memfd none
lf_dmabuf_check LINEAR step3
kill -0 "$LF_DAEMON_PID" || lf_fail "lastframed died"
lf_log "renegotiated LINEAR → INVALID → shared memory"
