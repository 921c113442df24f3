#!/usr/bin/env bash
# --allow-users / --allow-groups: a listed user of another uid is welcome, an
# unlisted one is still refused with EACCES (the socket is opened up with
# chmod so only the daemon's SO_PEERCRED check decides).
set -euo pipefail
source "$(dirname "$0")/../lib/session.sh"
source "$(dirname "$0")/ipc-lib.sh"

[ "$(id -u)" -eq 0 ] || lf_skip "needs root to run a client as another user"
id nobody >/dev/null 2>&1 || lf_skip "no user 'nobody'"
id daemon >/dev/null 2>&1 || lf_skip "no user 'daemon'"
command -v setpriv >/dev/null || lf_skip "setpriv (util-linux) missing"

lf_session_start
ipc_tool_build
lf_testsrc_start ipcsrc --size 320x240 --rate 30
lf_daemon_start --target ipcsrc --allow-users nobody --allow-groups "$(id -g daemon)"
ipc_wait_frames

d=$(dirname "$LF_SOCKET")
while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
chmod 0666 "$LF_SOCKET"
chmod 0755 "$IPC_TOOL"
as() { setpriv --reuid="$1" --regid="$2" --clear-groups "$IPC_TOOL" "$LF_SOCKET" hello 2>&1 || true; }

out=$(as nobody nogroup)
lf_log "nobody (listed user): $out"
printf '%s\n' "$out" | grep -q '^welcome version=1' || lf_fail "allowed user refused: $out"
out=$(as daemon daemon)
lf_log "daemon (listed group): $out"
printf '%s\n' "$out" | grep -q '^welcome version=1' || lf_fail "allowed group refused: $out"
out=$(as daemon nogroup)
lf_log "daemon with another group: $out"
printf '%s\n' "$out" | grep -q '^error=13$' || lf_fail "unlisted peer not refused with EACCES: $out"
lf_log "ok"
