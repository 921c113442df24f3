#!/usr/bin/env bash
# Issue 10 §1: the final frame of a burst survives heavy fan-out. 48 clients
# (`lastframe watch`) take a lease on every frame while the producer sends
# bursts of 40 frames back to back (one graph cycle each, ~0.3 ms apart), each
# burst followed by a static screen. After every burst a `lastframe grab` must
# show the burst's last frame, checked by its pixels (the test pattern encodes
# the frame counter), not by the daemon's counters.
# On PipeWire < 1.4.8 a buffer lastframed gives back waits in pw_stream's
# `queued` ring while the producer may already reuse it; the consumer stream
# then refuses that frame silently (docs/hacking.md). lastframed works around
# it (--return-guard); with FANOUT_GUARD=off this test shows the loss.
# FANOUT_ROUNDS / FANOUT_CLIENTS change the load (for measurements).
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"

BURST=40
ROUNDS=${FANOUT_ROUNDS:-20}
CLIENTS=${FANOUT_CLIENTS:-48}
GUARD=${FANOUT_GUARD:-auto}

lf_session_start
lf_daemon_start --no-config --target fanburst --return-guard "$GUARD"
# The test is the frame clock: a burst per SIGUSR2, nothing in between.
lf_testsrc_start fanburst --size 320x240 --burst "$BURST" --on-signal --wait-buffer --verbose ${FANOUT_TESTSRC_ARGS:-}

sent=0 # bursts sent so far
burst()
{
	local last=$(((sent + 1) * BURST - 1))
	kill -USR2 "$LF_TESTSRC_PID"
	sent=$((sent + 1))
	lf_wait_for 10 grep -q "^queued counter=$last " "$LF_TESTSRC_LOG"
}

# The grab shows the burst's last frame. A frame PipeWire refused never comes:
# the static screen leaves the daemon with the one before for good.
newest()
{
	lf_grab_verify "$LF_TEST_DIR/round.ppm" 320x240 ||
		lf_fail "incomplete frame: $LF_VERIFY"
	[ "$LF_COUNTER" -eq "$1" ]
}

# A first burst once lastframed is linked, so the clients find a stream;
# then every client connected.
lf_wait_for 10 grep -q "^state streaming" "$LF_TESTSRC_LOG"
burst
lf_try_for 10 newest $((BURST - 1)) || true
for i in $(seq "$CLIENTS"); do
	lf_bg "watch-$i" "$LF_BUILD/lastframe" --timeout 30 watch --json
done
clients_up()
{
	local s
	s=$("$LF_BUILD/lastframe" stats --json) || return 1
	[ "$(lf_json_get "$s" clients)" -ge "$CLIENTS" ]
}
lf_try_for 30 clients_up || lf_fail "not all $CLIENTS clients connected"

failed=0
for round in $(seq "$ROUNDS"); do
	burst
	last=$((sent * BURST - 1))
	# Frames need a moment to travel: retry for a second.
	if ! lf_try_for 1 newest "$last"; then
		failed=$((failed + 1))
		lf_log "round $round: grab shows frame $LF_COUNTER, not the burst's last ($last)"
	fi
done

waits=$(grep "^waited for a free buffer" "$LF_TESTSRC_LOG" || true)
stats=$("$LF_BUILD/lastframe" stats --json)
lf_log "stats: $stats"
lf_log "failed $failed of $ROUNDS rounds ($CLIENTS clients, return guard $GUARD)${waits:+; producer $waits}"
[ "$failed" -eq 0 ] || lf_fail "the burst's last frame was lost in $failed of $ROUNDS rounds"
kill -0 "$LF_DAEMON_PID" || lf_fail "lastframed died"
