#!/usr/bin/env bash
# Issue 4 end to end, inside the VM (tests/vm/run-vm-tests): real pipewire +
# wireplumber, lastframe-testsrc --vgem (dumb-buffer dmabufs on vgem, a write
# fence attached before queueing, pixels rendered and the fence signalled
# later), real lastframed, real clients.
#  1. --fence-delay-ms 30: over >= 300 frames no client gets a frame before
#     its fence signalled (fence-check: fence state on arrival, full pattern,
#     newer counter, on every frame); `lastframe stats` counts them as waited.
#  1b. Meanwhile a second client, asking for early fences, gets frames with
#     their sync_files and, after waiting on them, final pixels.
#  2. A fence that does not signal (producer frozen with SIGSTOP while its
#     frame's fence is pending) takes the timeout path; later frames flow.
#  2b. Fences that never signal: no frame reaches a client (timeouts
#     counted); with --fence-timeout-publish they do, flagged FENCE_TIMEOUT.
#  3. Negative control: lastframed --no-fence-wait does hand out unfinished
#     frames, so checks 1-2 can fail.
#  4. --fence-delay-ms 0 (signalled before queueing): the frames are counted
#     as already signalled, wait p50 < 1 ms.
#  5. NV12 (two planes in one dmabuf) with 30 ms fences: all frames final.
# Numbers go to $LF_VM_OUT/fence-e2e.json when run in the VM.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -f "$LF_ROOT/tests/lib/session.sh" ] || { echo "tests/lib/session.sh is missing"; exit 77; }
source "$LF_ROOT/tests/lib/session.sh"

[ -e /dev/dri/card0 ] || lf_skip "no /dev/dri/card0: runs inside the VM (tests/vm/run-vm-tests)"
for b in lastframed lastframe lastframe-testsrc vm/bin/fence-check; do
  [ -x "$LF_BUILD/$b" ] || lf_skip "$LF_BUILD/$b is not built"
done
"$LF_BUILD/lastframe-testsrc" --help 2>&1 | grep -q -- '--vgem' || lf_skip "lastframe-testsrc has no --vgem mode"

SIZE=${LF_VM_FENCE_SIZE:-160x120}
RATE=${LF_VM_FENCE_RATE:-60}
FRAMES=${LF_VM_FENCE_FRAMES:-300}
CHECK=$LF_BUILD/vm/bin/fence-check
RESULTS=${LF_VM_OUT:-}

# The VM has no GPU driver: Mesa's EGL would only load llvmpipe (~3 s per
# daemon start under TCG) to report no dmabuf modifiers, and the daemon then
# offers its defaults anyway. Give EGL no vendor so that answer comes at once.
export __EGL_VENDOR_LIBRARY_FILENAMES=/nonexistent/egl_vendor.json

lf_session_start

# jq-less JSON field reader: json_get JSON KEY
json_get() { python3 -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(str(v).lower() if isinstance(v,bool) else v)' "$1" "$2"; }
stats() { "$LF_BUILD/lastframe" --timeout 5 stats --json; }
ms() { python3 -c 'import sys; print("%.3f" % (int(sys.argv[1]) / 1e6))' "$1"; }

is_streaming() { local i; i=$("$LF_BUILD/lastframe" --timeout 2 info --json 2>/dev/null) || return 1; [[ $i == *'"state":"streaming"'* ]]; }
daemon_stop() { [ -n "${LF_DAEMON_PID:-}" ] && lf_stop "$LF_DAEMON_PID"; LF_DAEMON_PID=; }

lf_testsrc_start fsrc30 --vgem --size "$SIZE" --rate "$RATE" --fence-delay-ms 30
SRC30=$LF_TESTSRC_PID

# --- 1. fences that signal 30 ms after queueing ------------------------------
lf_daemon_start --target fsrc30
lf_wait_for 30 is_streaming
info=$("$LF_BUILD/lastframe" --timeout 5 info --json)
lf_log "info: $info"
[ "$(json_get "$info" buffer_type)" = dmabuf ] || lf_fail "stream is not dmabuf: $info"
# Two clients at once: a plain one, and one with early fences (1b) that
# waits on the daemon's sync_files itself.
"$CHECK" --early --frames 60 > "$LF_TEST_DIR/early.json" 2>&1 &
early_pid=$!
res1=$("$CHECK" --frames "$FRAMES") || lf_fail "frames reached the client before their fence signalled: $res1"
st1=$(stats)
wait "$early_pid" || lf_fail "early-fence client saw bad frames: $(cat "$LF_TEST_DIR/early.json")"
resE=$(tail -n1 "$LF_TEST_DIR/early.json")
lf_log "1. fence-check: $res1"
lf_log "1. stats: $st1"
[ "$(json_get "$st1" fence_disabled)" = false ] || lf_fail "fence waiting disabled: $st1"
waited=$(json_get "$st1" fence_waited)
[ "$waited" -ge "$FRAMES" ] || lf_fail "only $waited frames counted as waited (want >= $FRAMES): $st1"

lf_log "1b. --early: $resE"
[ "$(json_get "$resE" early)" -gt 0 ] || lf_fail "no frame came early with its sync_files: $resE"

# --- 2. a fence that does not signal in time ------------------------------
t0=$(json_get "$st1" fence_timeouts)
t1=$t0
for attempt in 1 2 3; do
  kill -STOP "$SRC30"
  sleep 0.6   # > the 100 ms fence timeout; the frozen frame's fence stays pending
  kill -CONT "$SRC30"
  t1=$(json_get "$(stats)" fence_timeouts)
  [ "$t1" -gt "$t0" ] && break
done
[ "$t1" -gt "$t0" ] || lf_fail "no fence timeout counted after freezing the producer 3 times"
res2=$("$CHECK" --frames 30) || lf_fail "frames after the timeout are bad or missing: $res2"
st2=$(stats)
lf_log "2. timeouts $t0 -> $t1; after: $res2"
daemon_stop

# --- 2b. fences that never signal: nothing unfinished reaches a client ------
lf_testsrc_start fsrcnever --vgem --size "$SIZE" --rate "$RATE" --fence-delay-ms never
SRCN=$LF_TESTSRC_PID
lf_daemon_start --target fsrcnever --fence-timeout-ms 50
lf_wait_for 30 is_streaming
resN=$("$CHECK" --frames 1 --wait-ms 1500) && lf_fail "a frame whose fence never signalled reached the client: $resN"
stN=$(stats)
lf_log "2b. never: $resN; stats: $stN"
[ "$(json_get "$resN" frames)" = 0 ] || lf_fail "frames reached the client: $resN"
[ "$(json_get "$stN" fence_timeouts)" -gt 0 ] || lf_fail "no timeouts counted with never-signalled fences: $stN"
daemon_stop
# ... unless asked to publish them, flagged FENCE_TIMEOUT.
lf_daemon_start --target fsrcnever --fence-timeout-ms 50 --fence-timeout-publish
lf_wait_for 30 is_streaming
resP=$("$CHECK" --frames 5 --expect-timeout-flag) || lf_fail "--fence-timeout-publish: frames missing or not flagged FENCE_TIMEOUT: $resP"
lf_log "2b. --fence-timeout-publish: $resP"
daemon_stop
lf_stop "$SRCN"

# --- 3. negative control: no fence waiting ---------------------------------
lf_daemon_start --target fsrc30 --no-fence-wait
lf_wait_for 30 is_streaming
res3=$("$CHECK" --frames 30 --expect-stale) || lf_fail "negative control: with --no-fence-wait no client saw unfinished pixels, so the check could not fail: $res3"
lf_log "3. --no-fence-wait: $res3"
daemon_stop
lf_stop "$SRC30"

# --- 4. already-signalled fences ---------------------------------------------
lf_testsrc_start fsrc0 --vgem --size "$SIZE" --rate "$RATE" --fence-delay-ms 0
lf_daemon_start --target fsrc0
lf_wait_for 30 is_streaming
res4=$("$CHECK" --frames 60) || lf_fail "already-signalled frames bad: $res4"
st4=$(stats)
lf_log "4. fence-check: $res4"
lf_log "4. stats: $st4"
already=$(json_get "$st4" fence_already_signalled)
p50_4=$(json_get "$st4" fence_wait_p50_ns)
[ "$already" -ge 60 ] || lf_fail "only $already frames counted as already signalled: $st4"
[ "$p50_4" -lt 1000000 ] || lf_fail "already-signalled wait p50 $p50_4 ns >= 1 ms: $st4"
daemon_stop

# --- 5. two planes (NV12 in one dmabuf): one sync_file for both ------------
lf_testsrc_start fsrcnv12 --vgem --dmabuf-mode nv12 --size "$SIZE" --rate "$RATE" --fence-delay-ms 30
lf_daemon_start --target fsrcnv12
lf_wait_for 30 is_streaming
info5=$("$LF_BUILD/lastframe" --timeout 5 info --json)
[ "$(json_get "$info5" drm_format)" = NV12 ] && [ "$(json_get "$info5" buffer_type)" = dmabuf ] ||
  lf_fail "NV12 stream not negotiated as a dmabuf: $info5"
res5=$("$CHECK" --frames 60) || lf_fail "NV12: frames reached the client before their fence signalled: $res5"
st5=$(stats)
lf_log "5. NV12: $res5; stats: $st5"
[ "$(json_get "$st5" fence_waited)" -ge 60 ] || lf_fail "NV12 frames not counted as waited: $st5"
daemon_stop

# Sanitizer builds (make SAN=1) report on exit: any report fails the test.
if grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LF_TEST_DIR"/lastframed*.log 2>/dev/null; then
  lf_fail "sanitizer report in the daemon's log"
fi
[ -n "$RESULTS" ] && [ -d "$RESULTS" ] && cp "$LF_TEST_DIR"/lastframed*.log "$RESULTS/" 2>/dev/null

echo "fence e2e: $FRAMES frames with 30 ms fences all final; waited=$waited," \
  "p50 $(ms "$(json_get "$st1" fence_wait_p50_ns)") ms, p99 $(ms "$(json_get "$st1" fence_wait_p99_ns)") ms;" \
  "early client: $(json_get "$resE" early) early frames, all final after waiting on their sync_files;" \
  "timeouts $t0 -> $t1 and frames flowed after;" \
  "never-signalled: no frame delivered, $(json_get "$stN" fence_timeouts) timeouts; published flagged with --fence-timeout-publish; negative control saw stale frames;" \
  "already signalled: $already, p50 $(ms "$p50_4") ms;" \
  "NV12: $(json_get "$res5" good)/$(json_get "$res5" frames) final"
if [ -n "$RESULTS" ] && [ -d "$RESULTS" ]; then
  printf '{"delay30":{"check":%s,"stats":%s},"early":%s,"timeout":{"before":%s,"after":%s,"check":%s},"never":{"check":%s,"stats":%s,"publish":%s},"no_wait":%s,"delay0":{"check":%s,"stats":%s},"nv12":{"check":%s,"stats":%s}}\n' \
    "$res1" "$st1" "$resE" "$t0" "$t1" "$res2" "$resN" "$stN" "$resP" "$res3" "$res4" "$st4" "$res5" "$st5" > "$RESULTS/fence-e2e.json"
fi
