#!/usr/bin/env bash
# lastframe grab converts every pixel format the producer can send (8-bit,
# alpha, 10-bit, NV12; memfd, MemPtr-copied and dmabuf-labelled buffers) and
# an odd size, into PNG and PPM files that lastframe-testsrc --verify accepts.
set -euo pipefail
source "$LF_ROOT/tests/lib/session.sh"

L=$LF_BUILD/lastframe
TS=$LF_BUILD/lastframe-testsrc
lf_session_start

# case: NAME FORMAT SIZE [TESTSRC ARGS...]
check_case()
{
	local name=$1 fmt=$2 size=$3 sock=$XDG_RUNTIME_DIR/$1.sock ext json v
	shift 3
	lf_testsrc_start "$name" --format "$fmt" --size "$size" --rate 30 "$@"
	# --no-import-probe: the dmabuf case's buffers are memfds labelled DmaBuf,
	# which a GPU would refuse (see dmabuf-lib.sh).
	lf_bg "lastframed-$name" "$LF_BUILD/lastframed" --socket "$sock" --target "$name" \
		--no-import-probe
	local dpid=$LF_BG_PID
	lf_wait_for 10 "$L" --socket "$sock" --timeout 1 grab "$LF_TEST_DIR/$name-first.ppm"
	for ext in png ppm; do
		json=$("$L" --socket "$sock" grab "$LF_TEST_DIR/$name.$ext" --json) ||
			lf_fail "$name: grab .$ext failed"
		v=$("$TS" --verify "$LF_TEST_DIR/$name.$ext" --expect-size "$size") ||
			lf_fail "$name: .$ext does not verify: $v ($json)"
		lf_log "$name .$ext: $v"
	done
	jq -e --arg f "$fmt" '.format == $f' <<<"$json" >/dev/null || lf_fail "$name: format: $json"
	lf_stop "$dpid"
	lf_stop "$LF_TESTSRC_PID"
}

check_case bgrx BGRx 642x362
check_case bgra BGRA 640x360
check_case rgbx RGBx 640x360
check_case rgba RGBA 640x360
check_case xrgb30 xRGB2101010 640x360
check_case xbgr30 xBGR2101010 640x360
check_case nv12 NV12 642x362
check_case memptr BGRx 640x360 --buffer memptr
check_case dmabuf BGRx 640x360 --buffer dmabuf --dmabuf-mode linear

# Alpha formats give RGBA PNGs (colour type 6), the others RGB (2).
for pair in bgra:6 rgba:6 bgrx:2 nv12:2; do
	python3 - "$LF_TEST_DIR/${pair%%:*}.png" "${pair##*:}" <<'PY' || lf_fail "$pair: PNG colour type"
import struct, sys
d = open(sys.argv[1], 'rb').read(26)
assert d[24] == 8 and d[25] == int(sys.argv[2]), (d[24], d[25])
PY
done
lf_log "ok"
