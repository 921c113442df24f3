#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# 200 modifiers on both sides (pods far larger than any fixed buffer): the
# one modifier they share is negotiated and frames are correct.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
LF_BUILD=${LF_BUILD:-$LF_ROOT/build}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/integration/dmabuf-lib.sh"

lf_session_start
# Producer: 199 made-up Samsung-vendor modifiers (0x04000000000010xx, see
# testsrc --modifiers many:N) + LINEAR. Daemon: 198 made-up AMD-vendor ones,
# one of the producer's (0x0400000000001096) and LINEAR. The producer fixates
# its first common modifier: the shared made-up one, not LINEAR.
mods=""
for i in $(seq 1 198); do
	mods+=$(printf '0x02000000%08x,' "$i")
done
mods+=0x0400000000001096,LINEAR
lf_testsrc_start src --size 320x240 --buffer dmabuf --dmabuf-mode fixate --modifiers many:199,LINEAR
LASTFRAME_MODIFIERS=$mods lf_daemon_start --target src
lf_dmabuf_expect XR24 dmabuf 0x400000000001096
lf_dmabuf_frames_flow
# Renegotiating the 200-entry offer works too: down to LINEAR, then pixels.
"$LF_BUILD/lastframe" report-import-failure XR24 0x0400000000001096 || lf_fail "report failed"
lf_dmabuf_expect XR24 dmabuf LINEAR
lf_dmabuf_grab_ok many 320x240
