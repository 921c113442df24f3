#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 11: GPU clients and CPU readers of one stream. No GPU here, so the
# daemon has no GPU readback: an INVALID (Mutter 43) stream is mapped as
# linear for CPU readers (correct pixels; logged once), a LINEAR one goes
# direct, a tiled one is refused to CPU readers at once with the reason,
# and a GPU client (LASTFRAME_GPU_IMPORT) always gets the producer's own
# buffers: the same memfds, checked by inode.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
LF_BUILD=${LF_BUILD:-$LF_ROOT/build}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/integration/dmabuf-lib.sh"

lf_session_start
RC=$LF_TEST_DIR/readpath-client
# A SAN=1 liblastframe needs the sanitizer runtime in the program too.
san=$(grep -o -- '-fsanitize=[^ ]*' "$LF_BUILD/.flags" 2>/dev/null | head -n 1 || true)
# shellcheck disable=SC2086 # $san: zero or one word
cc -std=gnu17 $san -I"$LF_ROOT/client" -o "$RC" "$LF_ROOT/tests/integration/readpath-client.c" \
	-L"$LF_BUILD" -llastframe -Wl,-rpath,"$LF_BUILD" || lf_fail "cannot build readpath-client"

# read_path of `lastframe info [--gpu] --json`
path_of()
{
	"$LF_BUILD/lastframe" --timeout 2 info --json "$@" |
		sed -n 's/.*"read_path":"\([^"]*\)".*/\1/p'
}

# The inodes of the producer's memfds.
producer_inodes()
{
	local fd
	for fd in /proc/"$LF_TESTSRC_PID"/fd/*; do
		case $(readlink "$fd") in /memfd:*) stat -L -c %i "$fd" ;; esac
	done | sort -u
}

# client KIND: one frame as a GPU client or a CPU reader -> $LF_RC_OUT
client()
{
	LF_RC_OUT=$("$RC" "$LF_SOCKET" "$1") || lf_fail "$1 client got no frame: $LF_RC_OUT"
	lf_log "$1 client: $LF_RC_OUT"
}

# expect_original: $LF_RC_OUT's buffer is one of the producer's memfds.
expect_original()
{
	local ino
	ino=$(sed -n 's/.*ino=\([0-9]*\).*/\1/p' <<<"$LF_RC_OUT")
	producer_inodes | grep -qx "$ino" ||
		lf_fail "buffer inode $ino is not one of the producer's ($(producer_inodes | tr '\n' ' '))"
}

# --list-formats says whether readback is active and why not; with it
# inactive, only what CPU readers can map is offered.
lf_out=$("$LF_BUILD/lastframed" --no-config --list-formats) || lf_fail "--list-formats failed"
line=$(head -n 1 <<<"$lf_out")
grep -Eq '^GPU readback: (active on .+|inactive: .+)$' <<<"$line" || lf_fail "no readback line: $line"
lf_log "$line"
if [[ $line == "GPU readback: inactive"* ]]; then
	grep -q '^modifier source: defaults (no GPU readback' <<<"$lf_out" ||
		lf_fail "readback inactive but not only LINEAR/INVALID offered: $lf_out"
fi

lf_log "--- Mutter 43: one INVALID modifier"
lf_testsrc_start mutter --size 320x240 --buffer dmabuf --dmabuf-mode mutter
lf_daemon_start --target mutter
lf_dmabuf_expect XR24 dmabuf INVALID
[ "$(path_of)" = "linear map of INVALID" ] || lf_fail "CPU reader path: $(path_of)"
[ "$(path_of --gpu)" = direct ] || lf_fail "GPU client path: $(path_of --gpu)"
"$LF_BUILD/lastframe" --timeout 2 info | grep -qx 'read path:    linear map of INVALID' ||
	lf_fail "lastframe info does not show the read path"
lf_dmabuf_grab_ok mutter 320x240
client gpu
grep -q '^path=1 buffer_type=2 modifier=0xffffffffffffff ' <<<"$LF_RC_OUT" || lf_fail "GPU client: $LF_RC_OUT"
expect_original
client cpu
grep -q '^path=3 buffer_type=2 ' <<<"$LF_RC_OUT" || lf_fail "CPU reader: $LF_RC_OUT"
lf_dmabuf_grab_ok mutter-2 320x240
n=$(grep -c 'map the INVALID (implicit) dmabuf as linear' "$LF_TEST_DIR/lastframed.log" || true)
[ "$n" = 1 ] || lf_fail "'INVALID mapped as linear' logged $n times, want once"
lf_stop "$LF_DAEMON_PID"
lf_stop "$LF_TESTSRC_PID"

lf_log "--- LINEAR: direct for everyone"
lf_testsrc_start linear --size 320x240 --buffer dmabuf --dmabuf-mode linear
lf_daemon_start --target linear
lf_dmabuf_expect XR24 dmabuf LINEAR
[ "$(path_of)" = direct ] || lf_fail "CPU reader path on LINEAR: $(path_of)"
lf_dmabuf_grab_ok linear 320x240
client cpu
expect_original
lf_stop "$LF_DAEMON_PID"
lf_stop "$LF_TESTSRC_PID"

lf_log "--- tiled (NVIDIA block-linear), no readback"
tiled=0x0300000000606015
tiled_hex=0x300000000606015 # as info --json and printf %llx write it
lf_testsrc_start tiled --size 320x240 --buffer dmabuf --dmabuf-mode fixate --modifiers "$tiled"
LASTFRAME_MODIFIERS=$tiled lf_daemon_start --target tiled
lf_dmabuf_expect XR24 dmabuf "$tiled_hex"
[ "$(path_of)" = unreadable ] || lf_fail "CPU reader path on a tiled stream: $(path_of)"
start=$(date +%s%N)
if out=$("$LF_BUILD/lastframe" --timeout 5 grab "$LF_TEST_DIR/tiled.ppm" 2>&1); then
	lf_fail "grab of a tiled stream without readback succeeded"
fi
ms=$((($(date +%s%N) - start) / 1000000))
grep -q 'cannot read this stream from the CPU: its dmabufs use modifier' <<<"$out" ||
	lf_fail "grab error does not name the cause: $out"
[ ! -e "$LF_TEST_DIR/tiled.ppm" ] || lf_fail "grab wrote a file"
lf_log "grab refused in $ms ms: $out"
[ "$ms" -lt 4000 ] || lf_fail "grab waited for its timeout ($ms ms) instead of saying so at once"
client gpu
grep -q "^path=1 buffer_type=2 modifier=${tiled_hex} " <<<"$LF_RC_OUT" || lf_fail "GPU client: $LF_RC_OUT"
expect_original
lf_log "read paths as expected"
