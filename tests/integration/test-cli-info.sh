#!/usr/bin/env bash
# lastframe info / watch / stats / report-import-failure against the real
# daemon and producer: the documented fields, the right values.
set -euo pipefail
source "$LF_ROOT/tests/lib/session.sh"

L=$LF_BUILD/lastframe
lf_session_start
lf_testsrc_start src --size 320x240 --rate 60
lf_daemon_start --target src
lf_wait_for 10 "$L" --timeout 1 grab "$LF_TEST_DIR/first.ppm"

# --- info ---------------------------------------------------------------------
json=$("$L" info --json) || lf_fail "info --json failed"
lf_log "info: $json"
jq -e '.state == "streaming" and .width == 320 and .height == 240 and .format == "BGRx"
	and .drm_format == "XR24" and .buffer_type == "memfd" and .source_type == "memfd"
	and (.generation | type) == "number" and .generation >= 1
	and (.frames_seen | type) == "number" and .frames_seen >= 1
	and (.fps | type) == "number" and (.has_modifier | type) == "boolean"
	and (.modifier == null or (.modifier | startswith("0x")))
	and has("modifier_name")' <<<"$json" >/dev/null || lf_fail "info --json fields: $json"
text=$("$L" info) || lf_fail "info failed"
grep -q '^state: *streaming' <<<"$text" || lf_fail "info text: $text"
grep -q '^size: *320x240' <<<"$text" || lf_fail "info text: $text"

# --- watch --------------------------------------------------------------------
out=$("$L" watch --frames 20 --json) || lf_fail "watch --frames 20 failed"
lf_log "watch: $out"
n=$(jq -s 'map(.frames) | add' <<<"$out")
[ "$n" -eq 20 ] || lf_fail "watch counted $n frames, expected 20: $out"
jq -e -s 'all(.[]; (.fps | type) == "number" and (.latency_p50_us | type) == "number"
	and (.latency_p99_us | type) == "number" and .latency_p50_us <= .latency_p99_us
	and (.pts_latency_p50_us | type) == "number" and (.skipped | type) == "number")' \
	<<<"$out" >/dev/null || lf_fail "watch --json fields: $out"
out=$("$L" watch --frames 5) || lf_fail "watch text failed"
grep -q 'fps .* latency p50 .* ms p99 .* ms .*skipped' <<<"$out" || lf_fail "watch text: $out"

# Interrupted watch exits 0.
"$L" watch >"$LF_TEST_DIR/watch.out" 2>&1 &
wpid=$!
lf_wait_for 10 grep -q fps "$LF_TEST_DIR/watch.out"
kill -INT "$wpid"
rc=0; wait "$wpid" || rc=$?
[ "$rc" -eq 0 ] || lf_fail "watch after SIGINT exited $rc"

# --- stats --------------------------------------------------------------------
json=$("$L" stats --json) || lf_fail "stats --json failed"
lf_log "stats: $json"
for k in state clients uptime_ns frames_in frames_published frames_sent frames_dropped \
	frames_corrupted frames_skipped copies lease_timeouts clients_refused protocol_errors \
	renegotiations fence_waited fence_already_signalled fence_timeouts fence_wait_p50_ns \
	fence_wait_p99_ns fence_disabled fps return_guard returns_guarded returns_unguarded \
	buffers_refused; do
	jq -e --arg k "$k" 'has($k)' <<<"$json" >/dev/null || lf_fail "stats --json lacks $k: $json"
done
jq -e '.state == "streaming" and .frames_in > 0 and .frames_sent > 0 and .clients >= 1
	and .protocol_errors == 0 and (.return_guard | type) == "boolean"' <<<"$json" >/dev/null ||
	lf_fail "stats values: $json"
"$L" stats | grep -q '^frames in: *[1-9]' || lf_fail "stats text"

# --- report-import-failure: accepted by the daemon, which stays up ---------------
"$L" report-import-failure XR24 0x0100000000000002 || lf_fail "report-import-failure failed"
"$L" info --json | jq -e '.state == "streaming"' >/dev/null || lf_fail "daemon unhappy after report"
json=$("$L" stats --json)
jq -e '.protocol_errors == 0' <<<"$json" >/dev/null || lf_fail "protocol errors: $json"
lf_log "ok"
