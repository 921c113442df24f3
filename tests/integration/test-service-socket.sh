#!/usr/bin/env bash
# Socket activation: only lastframed.socket is started; the first client
# (lastframe grab) starts lastframed.service, which takes the socket from
# systemd and serves the frame.
source "$(dirname "$0")/service-lib.sh"

svc_start --mutter
svc_install
svc_config "source = mutter"

svc_ctl start lastframed.socket || svc_fail "cannot start lastframed.socket"
[ -S "$SVC_RT/lastframe/socket" ] || svc_fail "no socket at \$XDG_RUNTIME_DIR/lastframe/socket"
[ "$(stat -c %a "$SVC_RT/lastframe")" = 700 ] || svc_fail "socket directory is not 0700"
[ "$(stat -c %a "$SVC_RT/lastframe/socket")" = 600 ] || svc_fail "socket is not 0600"
[ "$(svc_ctl is-active lastframed.service)" = inactive ] || svc_fail "service runs before any client"

# The first grab may come before Mutter's first frame: the client waits.
svc_wait_for 30 svc_grab_ok 1280x720 || svc_fail "grab through the activation socket failed"
[ "$(svc_ctl is-active lastframed.service)" = active ] || svc_fail "the grab did not start lastframed.service"
svc_ctl status lastframed.service | grep -E 'Active:|Status:|TriggeredBy' >&2

# Stopping the service leaves the socket listening; the next client starts it again.
svc_ctl stop lastframed.service || svc_fail "stop failed"
[ "$(svc_ctl is-active lastframed.socket)" = active ] || svc_fail "socket unit went down with the service"
[ -S "$SVC_RT/lastframe/socket" ] || svc_fail "the daemon removed systemd's socket"
svc_wait_for 30 svc_grab_ok 1280x720 || svc_fail "second activation failed"
svc_log "PASS"
