#!/usr/bin/env bash
# The service rides out its dependencies: Mutter killed and started again,
# then PipeWire restarted. Grabs work again without lastframed restarting
# (same MainPID, NRestarts=0). How long each recovery took is logged (the 5 s
# goal is measured, not asserted: timing belongs to `make bench`).
source "$(dirname "$0")/service-lib.sh"

svc_start --mutter
svc_install
svc_config "source = mutter"
svc_ctl start lastframed.service || svc_fail "start failed"
svc_wait_for 30 svc_grab_ok 1280x720 || svc_fail "no first frame"
pid=$(svc_main_pid lastframed.service)

paused() { svc_lastframe info --json 2>/dev/null | grep -q '"state":"\(paused\|none\)"'; }
same_daemon()
{
	[ "$(svc_main_pid lastframed.service)" = "$pid" ] || svc_fail "lastframed was restarted (pid $pid → $(svc_main_pid lastframed.service))"
	[ "$(svc_ctl show -p NRestarts --value lastframed.service)" = 0 ] || svc_fail "NRestarts is not 0"
}

# 1. Mutter goes away: clients see paused; Mutter comes back: frames again.
svc_log "killing Mutter"
svc_ctl kill --signal=KILL lf-mutter.service
svc_ctl stop lf-painter.service lf-mutter.service 2>/dev/null
svc_wait_for 20 paused || svc_fail "clients were not told the stream paused"
# STATUS= follows (at most a second late: it is rate-limited).
status_waiting() { svc_ctl status lastframed.service 2>/dev/null | grep -q 'Status: "waiting for Mutter'; }
svc_wait_for 10 status_waiting || svc_fail "STATUS= does not say it waits for Mutter"
svc_ctl status lastframed.service | grep 'Status:' >&2
t0=$(date +%s%N)
svc_mutter_start
svc_wait_for 60 svc_grab_ok 1280x720 || svc_fail "no frame after Mutter came back"
svc_log "recovered from the Mutter restart in $(( ($(date +%s%N) - t0) / 1000000 )) ms (from Mutter's start)"
same_daemon

# 2. PipeWire restarts (WirePlumber is bound to it and comes back with it).
svc_log "restarting PipeWire"
t0=$(date +%s%N)
svc_ctl restart pipewire.service || svc_fail "cannot restart pipewire"
svc_ctl start wireplumber.service
svc_wait_for 60 svc_grab_ok 1280x720 || svc_fail "no frame after the PipeWire restart"
svc_log "recovered from the PipeWire restart in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
same_daemon
svc_ctl status lastframed.service | grep 'Status:' >&2
svc_log "PASS"
