#!/usr/bin/env bash
# lastframe grab against the real daemon and producer: PNG and PPM files that
# lastframe-testsrc --verify accepts, --json fields, atomic writes, errors.
set -euo pipefail
source "$LF_ROOT/tests/lib/session.sh"

L=$LF_BUILD/lastframe
TS=$LF_BUILD/lastframe-testsrc
lf_session_start
lf_testsrc_start src --size 640x360 --rate 30
lf_daemon_start --target src
lf_wait_for 10 "$L" --timeout 1 grab "$LF_TEST_DIR/first.ppm"

for ext in png ppm PNG; do
	f=$LF_TEST_DIR/shot.$ext
	json=$("$L" grab "$f" --json) || lf_fail "grab $f failed"
	v=$("$TS" --verify "$f" --expect-size 640x360) || lf_fail "verify $f: $v"
	lf_log "$ext: $json / $v"
	jq -e '.complete == true' <<<"$v" >/dev/null || lf_fail "incomplete $f: $v"
	jq -e --arg f "$f" '.file == $f and .width == 640 and .height == 360 and .format == "BGRx"
		and .drm_format == "XR24" and (.seq | type) == "number" and .seq > 0
		and (.latency_us | type) == "number" and .buffer_type == "memfd"' <<<"$json" >/dev/null ||
		lf_fail "bad --json: $json"
done
# PNG: 8-bit RGB for a format without alpha.
python3 - "$LF_TEST_DIR/shot.png" <<'PY' || lf_fail "PNG header wrong"
import struct, sys
d = open(sys.argv[1], 'rb').read(33)
assert d[:8] == b'\x89PNG\r\n\x1a\n', d[:8]
w, h, depth, ctype = struct.unpack('>IIBB', d[16:26])
assert (w, h, depth, ctype) == (640, 360, 8, 2), (w, h, depth, ctype)
PY
head -c 15 "$LF_TEST_DIR/shot.ppm" | grep -q "^P6" || lf_fail "PPM header wrong"

# Overwriting keeps the file whole, and no temporary files stay behind.
"$L" grab "$LF_TEST_DIR/shot.ppm" || lf_fail "second grab failed"
"$TS" --verify "$LF_TEST_DIR/shot.ppm" >/dev/null || lf_fail "overwritten file not complete"
! ls -A "$LF_TEST_DIR" | grep -q '^\.shot' || lf_fail "temporary file left: $(ls -A "$LF_TEST_DIR")"

# Unwritable destinations: clear error, exit 1, nothing created.
rc=0; out=$("$L" grab "$LF_TEST_DIR/no/such/dir/x.png" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || lf_fail "missing dir: rc $rc"
grep -q "cannot create $LF_TEST_DIR/no/such/dir/x.png: No such file or directory" <<<"$out" ||
	lf_fail "missing dir: $out"
mkdir "$LF_TEST_DIR/adir.png"
rc=0; out=$("$L" grab "$LF_TEST_DIR/adir.png" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || lf_fail "directory target: rc $rc"
grep -q "cannot rename $LF_TEST_DIR/adir.png" <<<"$out" || lf_fail "directory target: $out"
! ls -A "$LF_TEST_DIR" | grep -q '^\.adir' || lf_fail "temporary file left after failed rename"

# A full disk: a small tmpfs, when this machine lets us mount one.
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	rc=0
	out=$(unshare -m sh -c '
		mkdir -p "$1/full" && mount -t tmpfs -o size=64k tmpfs "$1/full" || exit 77
		"$2" grab "$1/full/big.ppm"; rc=$?
		ls -A "$1/full"; exit $rc' sh "$LF_TEST_DIR" "$L" 2>&1) || rc=$?
	if [ "$rc" -ne 77 ]; then
		[ "$rc" -eq 1 ] || lf_fail "full disk: rc $rc: $out"
		grep -q "cannot write $LF_TEST_DIR/full/big.ppm: No space left on device" <<<"$out" ||
			lf_fail "full disk: $out"
		! grep -q 'big.ppm' <<<"$(tail -n +2 <<<"$out")" || lf_fail "partial file left: $out"
		lf_log "full disk: $out"
	else
		lf_log "no tmpfs mount here: full-disk case not run"
	fi
fi

lf_log "ok"
