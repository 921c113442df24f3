#!/usr/bin/env bash
# lastframed as a systemd user service (Type=notify) on a real `systemd --user`
# manager, with real dbus, PipeWire, WirePlumber and mutter --headless:
# it gets active (running), shows its STATUS= line, serves a frame of Mutter's
# monitor, and stops cleanly (exit 0, not failed).
source "$(dirname "$0")/service-lib.sh"

svc_start --mutter
svc_install
svc_config "source = mutter" "cursor = embedded"

svc_ctl start lastframed.service || svc_fail "systemctl --user start lastframed failed"
[ "$(svc_ctl is-active lastframed.service)" = active ] || svc_fail "lastframed is not active"
svc_ctl show -p SubState --value lastframed.service | grep -qx running || svc_fail "not running"

svc_status_streaming()
{
	svc_ctl status lastframed.service 2>/dev/null | grep -q 'Status: "streaming 1280x720 '
}
svc_wait_for 30 svc_grab_ok 1280x720 || svc_fail "lastframe grab got no 1280x720 frame of Mutter's monitor"
svc_log "grabbed: $(file -b "$SVC_HOME/grab.png")"
# STATUS= follows within a second or two (rate-limited to 1/s).
svc_wait_for 10 svc_status_streaming || svc_fail "STATUS= does not say streaming"
svc_ctl status lastframed.service | grep 'Status:' >&2

# The unit's hardening is really applied by the user manager.
pid=$(svc_main_pid lastframed.service)
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" || svc_fail "NoNewPrivileges= not applied"
grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status" || svc_fail "no seccomp filter (SystemCallFilter=) applied"

# The info command agrees.
info=$(svc_lastframe info --json) || svc_fail "lastframe info failed"
svc_log "info: $info"
grep -q '"state":"streaming"' <<<"$info" || svc_fail "info does not say streaming"

# Clean stop: SIGTERM → BYE → exit 0; the unit ends inactive, not failed.
svc_ctl stop lastframed.service || svc_fail "stop failed"
[ "$(svc_ctl show -p Result --value lastframed.service)" = success ] || svc_fail "stop result is not success"
[ "$(svc_ctl show -p ExecMainStatus --value lastframed.service)" = 0 ] || svc_fail "exit status is not 0"
kill -0 "$pid" 2>/dev/null && svc_fail "lastframed ($pid) still runs after stop"
[ -e "$SVC_RT/lastframe/socket" ] && svc_fail "the socket was not removed on shutdown"
svc_log "PASS"
