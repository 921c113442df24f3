#!/usr/bin/env bash
# lastframed --source portal against a real headless wlroots desktop (sway,
# xdg-desktop-portal, xdg-desktop-portal-wlr; tests/integration/portal-lib.sh):
# the right pixels, the restore token (a second start, and one after the
# whole stack restarted, never run the chooser), and recovery without
# restarting lastframed when the portal session is closed, xdg-desktop-portal
# is killed and sway is killed. Prints the times it measures ("TIMING").
source "$(dirname "$0")/portal-lib.sh"
portal_enter "$@"
set -euo pipefail

portal_desktop_start
# A cancelled chooser is asked again after 30 s; 1 s is enough here.
export LASTFRAME_PORTAL_CANCEL_RETRY_MS=1000
L=$LF_BUILD/lastframe
TOKEN=$XDG_STATE_HOME/lastframe/portal-monitor.token
SHOT=$LF_TEST_DIR/shot.ppm

# Not in $(...): lf_bg's children get SIGTERM when their parent shell ends.
start_daemon()
{
	local t0 s0
	s0=$(portal_streams)
	t0=$(portal_now_ms)
	lf_daemon_start --source portal
	portal_frames_again $((s0 + 1))
	lf_log "TIMING $1: lastframed start -> first frame: $(( $(portal_now_ms) - t0 )) ms (#$PORTAL_COLOR; stream up after $((PORTAL_STREAM_AT - t0)) ms)"
}

# 1. First grant: the chooser runs once, the token is saved 0600; a frame
# has the colour sway was told to paint (sway.conf's, and each repaint's).
t0=$(portal_now_ms)
lf_daemon_start --source portal
portal_grab "$SHOT"
lf_log "TIMING first grant (chooser ran): lastframed start -> first frame: $(( $(portal_now_ms) - t0 )) ms"
out=$(portal_wait_color "$SHOT" "$PORTAL_BG") || lf_fail "wrong pixels: $out"
lf_log "first frame: $out"
lf_stop "$LF_DAEMON_PID"
[ "$(portal_chooser_calls)" = 1 ] || lf_fail "chooser ran $(portal_chooser_calls) times, want 1"
[ -s "$TOKEN" ] || lf_fail "no restore token in $TOKEN"
[ "$(stat -c %a "$TOKEN")" = 600 ] || lf_fail "token mode $(stat -c %a "$TOKEN")"

# 2. A second start uses the token: no chooser.
start_daemon "saved token"
[ "$(portal_chooser_calls)" = 1 ] || lf_fail "second start ran the chooser"
grep -q "starting the cast with the saved grant" "$LF_BG_LOG" || lf_fail "token not used"
# fds other than the current stream's buffers (their number depends on how
# many of them were published yet): sockets, timers, eventfds, files.
other_fds() { ls -l "/proc/$LF_DAEMON_PID/fd" | grep -vc -e '/dev/shm/' -e '/memfd:'; }
fds=$(other_fds)
ls -l "/proc/$LF_DAEMON_PID/fd" >"$LF_TEST_DIR/fds.before"

# 3. The session closed under the daemon (by the backend, as xdpw does when
# its output goes).
session=$(grep -o 'portal: session [^ ]*' "$LF_BG_LOG" | tail -n1 | cut -d' ' -f3)
[ -n "$session" ] || lf_fail "no session path in the log"
s0=$(portal_streams)
t0=$(portal_now_ms)
busctl --user call org.freedesktop.impl.portal.desktop.wlr "$session" \
	org.freedesktop.impl.portal.Session Close >/dev/null || lf_fail "cannot close $session in xdpw"
portal_frames_again $((s0 + 1)) 10
lf_log "TIMING session closed -> frames again: $(( $(portal_now_ms) - t0 )) ms (stream up after $((PORTAL_STREAM_AT - t0)) ms)"

# 4. xdg-desktop-portal killed: bus activation brings a new one.
pid=$(portal_xdp_pid)
[ -n "$pid" ] || lf_fail "xdg-desktop-portal is not running"
s0=$(portal_streams)
t0=$(portal_now_ms)
kill -KILL "$pid"
portal_frames_again $((s0 + 1)) 10
lf_log "TIMING xdg-desktop-portal killed -> frames again: $(( $(portal_now_ms) - t0 )) ms (stream up after $((PORTAL_STREAM_AT - t0)) ms)"
[ "$(portal_xdp_pid)" != "$pid" ] || lf_fail "xdg-desktop-portal was not restarted"

# 5. sway killed and started again a second later (xdpw dies with it; the
# requests in between fail and are retried with backoff).
s0=$(portal_streams)
t0=$(portal_now_ms)
portal_sway_stop KILL
sleep 1
portal_sway_start
t1=$(portal_now_ms)
portal_frames_again $((s0 + 1)) 15
lf_log "TIMING sway killed (down 1 s) -> frames again: $(( $(portal_now_ms) - t0 )) ms, $(( $(portal_now_ms) - t1 )) ms after sway was back (stream up $((PORTAL_STREAM_AT - t1)) ms after)"
[ "$(portal_chooser_calls)" = 1 ] || lf_fail "a restart ran the chooser"
kill -0 "$LF_DAEMON_PID" || lf_fail "lastframed died"
# One session's worth of fds, as before the restarts.
lf_try_for 5 test "$(other_fds)" -le "$fds" ||
	lf_fail "lastframed fds (not buffers): $fds before the restarts, $(other_fds) after:
$(ls -l "/proc/$LF_DAEMON_PID/fd" | diff "$LF_TEST_DIR/fds.before" -)"
lf_log "lastframed fds (not buffers): $fds before the restarts, $(other_fds) after"

# 6. The whole stack (bus, PipeWire, sway, portals, lastframed) restarted.
portal_stack_restart
start_daemon "whole stack restarted"
[ "$(portal_chooser_calls)" = 1 ] || lf_fail "the restarted stack ran the chooser"

# 7. Bad input. A stale token (a UUID unknown to the portal): the portal
# asks the user, the new token replaces it.
info_status() { "$L" --timeout 2 info --json | jq -r .status; }
lf_stop "$LF_DAEMON_PID"
stale=4b1e0a2c-7d3f-4e5a-9b6c-0d1e2f3a4b5c
echo "$stale" >"$TOKEN"
calls=$(portal_chooser_calls)
start_daemon "stale token"
[ "$(portal_chooser_calls)" = $((calls + 1)) ] || lf_fail "stale token: the chooser did not run"
lf_wait_for 5 eval '[ "$(cat "$TOKEN")" != "$stale" ]'

# A token the portal refuses outright (xdg-desktop-portal wants a UUID):
# logged, dropped, asked again without it.
lf_stop "$LF_DAEMON_PID"
echo "0000-not-a-uuid" >"$TOKEN"
calls=$(portal_chooser_calls)
start_daemon "refused token"
grep -q "SelectSources was refused (Restore token is not a valid UUID string) with the saved restore token; asking again without it" \
	"$LF_BG_LOG" || lf_fail "no log line for the refused token"
[ "$(portal_chooser_calls)" = $((calls + 1)) ] || lf_fail "refused token: the chooser did not run"
lf_wait_for 5 eval '[ "$(cat "$TOKEN")" != 0000-not-a-uuid ]'

# A malformed token file: ignored with a log line, the user is asked (the
# status says so while the chooser is up), a good token replaces it.
lf_stop "$LF_DAEMON_PID"
echo "two words" >"$TOKEN"
touch "$LF_TEST_DIR/chooser.slow"
lf_daemon_start --source portal
lf_wait_for 5 eval '[[ "$(info_status)" == "waiting for the user to choose a screen, "* ]]'
rm "$LF_TEST_DIR/chooser.slow"
portal_frames_again $(( $(portal_streams) + 1 ))
grep -q "ignoring $TOKEN: not a valid restore token" "$LF_BG_LOG" || lf_fail "no log line for the malformed token"
lf_wait_for 5 eval '[ "$(cat "$TOKEN")" != "two words" ]'
[ "$(info_status)" != null ] || lf_fail "no status in lastframe info"
lf_log "status while streaming: $(info_status)"

# The user cancels (xdpw answers SelectSources with response 1): logged,
# asked again later (after 1 s here: LASTFRAME_PORTAL_CANCEL_RETRY_MS), and
# frames come once the user agrees.
lf_stop "$LF_DAEMON_PID"
rm "$TOKEN"
touch "$LF_TEST_DIR/chooser.cancel"
calls=$(portal_chooser_calls)
s0=$(portal_streams)
lf_daemon_start --source portal
cancelled() { grep -c "the user cancelled the screen choice" "$LF_BG_LOG"; }
lf_wait_for 15 eval '[ "$(cancelled)" -ge 2 ]'
[ "$(portal_chooser_calls)" -ge $((calls + 2)) ] || lf_fail "the chooser was not asked again"
lf_log "the user cancelled: $(cancelled) requests, the chooser ran $(( $(portal_chooser_calls) - calls )) times"
rm "$LF_TEST_DIR/chooser.cancel"
portal_frames_again $((s0 + 1)) 10
kill -0 "$LF_DAEMON_PID" || lf_fail "lastframed died"
lf_log "ok ($PORTAL_XDPW_KIND)"
