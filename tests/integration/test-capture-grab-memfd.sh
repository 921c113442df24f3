#!/usr/bin/env bash
# Issue 2: `lastframe grab` gives complete frames (every pixel of the testsrc
# pattern of one counter) as PNG and PPM, for every pixel format, from a
# producer sending its own memfds (MemFd, like Mutter).
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"

BUFFER=${LF_GRAB_BUFFER:-memfd}
source "$LF_ROOT/tests/integration/grab-formats.sh"
