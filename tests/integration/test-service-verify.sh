#!/usr/bin/env bash
# systemd-analyze verify on both units, installed the way `make install`
# does it (@BINDIR@ substituted, the binary present at that path).
set -u -o pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
LF_BUILD=${LF_BUILD:-$LF_ROOT/build}
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is not installed"; exit 77; }
[ -x "$LF_BUILD/lastframed" ] || { echo "FAIL: $LF_BUILD/lastframed is not built"; exit 1; }
dir=$(mktemp -d /tmp/lf-verify.XXXXXX)
# systemd-analyze (as root) leaves a timestamp file behind: remove it if it is ours.
stamp=/run/systemd/systemd-units-load
had_stamp=0; [ -e "$stamp" ] && had_stamp=1
trap 'rm -rf "$dir"; [ $had_stamp = 1 ] || rm -f "$stamp"' EXIT
mkdir -p "$dir/bin" "$dir/units"
cp "$LF_BUILD/lastframed" "$dir/bin/"
for u in "$LF_ROOT"/systemd/lastframed.service "$LF_ROOT"/systemd/lastframed.socket; do
	[ -f "$u" ] || { echo "FAIL: $u is missing"; exit 1; }
	sed "s|@BINDIR@|$dir/bin|g" "$u" > "$dir/units/$(basename "$u")"
done
grep -q '@BINDIR@' "$dir"/units/* && { echo "FAIL: @BINDIR@ left in a unit"; exit 1; }
# Run from the units' directory so the socket finds its service by name.
out=$(cd "$dir/units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
	./lastframed.socket ./lastframed.service 2>&1)
rc=$?
echo "$out"
# Ordering on units that exist only in user sessions is fine; anything else is not.
bad=$(grep -v -E "^$|pipewire\.service|dbus\.socket" <<<"$out")
[ $rc -eq 0 ] || [ -z "$bad" ] || { echo "FAIL: systemd-analyze verify rc=$rc"; exit 1; }
[ -z "$bad" ] || { echo "FAIL: systemd-analyze verify warns: $bad"; exit 1; }
echo PASS
