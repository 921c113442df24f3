#!/usr/bin/env bash
# Daemon up but no frame (its source node does not exist): grab and watch
# wait --timeout, then say why and exit 1; info reports the state.
set -euo pipefail
source "$LF_ROOT/tests/lib/session.sh"

L=$LF_BUILD/lastframe
lf_session_start
lf_daemon_start --target no-such-node

json=$("$L" info --json) || lf_fail "info failed without a source"
lf_log "info: $json"
jq -e '(.state == "none" or .state == "paused") and .format == null and .width == 0' \
	<<<"$json" >/dev/null || lf_fail "info without a source: $json"

rc=0; out=$("$L" --timeout 0.5 grab "$LF_TEST_DIR/x.png" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || lf_fail "grab without frames exited $rc: $out"
grep -q "no frame within 0.5 s" <<<"$out" || lf_fail "grab message: $out"
[ ! -e "$LF_TEST_DIR/x.png" ] || lf_fail "grab created a file without a frame"

rc=0; out=$("$L" --timeout 0.5 watch --frames 3 2>&1) || rc=$?
[ "$rc" -eq 1 ] || lf_fail "watch without frames exited $rc: $out"
grep -q "no frame within 0.5 s" <<<"$out" || lf_fail "watch message: $out"

# The producer appears: grab works without restarting the daemon.
lf_testsrc_start no-such-node --size 320x240
lf_wait_for 10 "$L" --timeout 1 grab "$LF_TEST_DIR/y.ppm"
"$LF_BUILD/lastframe-testsrc" --verify "$LF_TEST_DIR/y.ppm" >/dev/null || lf_fail "late frame incomplete"

# The daemon stops: a waiting grab ends with an error, not a hang.
lf_stop "$LF_TESTSRC_PID"
"$L" --timeout 5 watch >"$LF_TEST_DIR/w.out" 2>&1 &
wpid=$!
sleep 0.3
lf_stop "$LF_DAEMON_PID"
rc=0; wait "$wpid" || rc=$?
[ "$rc" -eq 1 ] || lf_fail "watch after the daemon stopped exited $rc: $(cat "$LF_TEST_DIR/w.out")"
lf_log "watch: $(cat "$LF_TEST_DIR/w.out")"
lf_log "ok"
