#!/usr/bin/env bash
# systemd supervision: a hung daemon (SIGSTOP) misses its watchdog pings and
# is killed and restarted; a killed daemon (SIGKILL) is restarted by
# Restart=on-failure. No compositor needed: the daemon waits for a node.
source "$(dirname "$0")/service-lib.sh"

svc_start
svc_install
svc_config "source = node:lastframe-no-such-node"
svc_dropin 50-test "[Service]" "WatchdogSec=2" "TimeoutAbortSec=1" "RestartSec=100ms"

svc_ctl start lastframed.service || svc_fail "start failed"
svc_status_waiting() { svc_ctl status lastframed.service 2>/dev/null | grep -q 'Status: "waiting for'; }
svc_wait_for 10 svc_status_waiting || svc_fail "no 'waiting for' STATUS= while there is no source"
svc_ctl status lastframed.service | grep 'Status:' >&2
svc_lastframe info >/dev/null || svc_fail "not serving while waiting for a source"

restarted_from()
{
	local new
	[ "$(svc_ctl is-active lastframed.service)" = active ] || return 1
	new=$(svc_main_pid lastframed.service)
	[ -n "$new" ] && [ "$new" != 0 ] && [ "$new" != "$1" ]
}

# A healthy daemon outlives several watchdog periods.
pid=$(svc_main_pid lastframed.service)
sleep 3
[ "$(svc_main_pid lastframed.service)" = "$pid" ] || svc_fail "restarted although it was healthy (watchdog pings missing?)"

# Hung: SIGSTOP → watchdog timeout → SIGABRT/SIGKILL → restart.
svc_log "SIGSTOP $pid"
kill -STOP "$pid"
svc_wait_for 30 restarted_from "$pid" || svc_fail "not restarted after the watchdog fired"
svc_run journalctl --user --no-pager -u lastframed.service 2>/dev/null | grep -i watchdog >&2
svc_log "restarted as $(svc_main_pid lastframed.service) after the watchdog"
[ "$(svc_ctl show -p NRestarts --value lastframed.service)" -ge 1 ] || svc_fail "NRestarts did not grow"

# Killed: SIGKILL → Restart=on-failure.
pid=$(svc_main_pid lastframed.service)
n=$(svc_ctl show -p NRestarts --value lastframed.service)
svc_log "SIGKILL $pid"
kill -KILL "$pid"
svc_wait_for 30 restarted_from "$pid" || svc_fail "not restarted after SIGKILL"
[ "$(svc_ctl show -p NRestarts --value lastframed.service)" -gt "$n" ] || svc_fail "NRestarts did not grow"
svc_wait_for 10 svc_lastframe info || svc_fail "the restarted daemon does not serve"
svc_log "PASS"
