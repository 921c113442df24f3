#!/usr/bin/env bash
# Issue 2: cursor-only buffers (chunk size 0 + SPA_CHUNK_FLAG_CORRUPTED, with
# cursor metadata) and buffers with SPA_META_HEADER_FLAG_CORRUPTED are never
# delivered as frames. The producer fills them with poison pixels that fail
# --verify, so any that got through shows up as an incomplete grab; and when
# the producer's last buffer is such a buffer, clients keep getting the last
# real frame before it.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"

lf_session_start

# check_idle NAME OPTS...: the producer stops after a bad buffer; the grab
# must show the last good frame.
check_idle()
{
	local name=$1
	shift
	# lastframed first: it links as soon as the node appears (2 s of frames).
	lf_daemon_start --no-config --target "$name"
	lf_testsrc_start "$name" --size 320x240 --rate 10 --verbose --linger "$@"
	local src=$LF_TESTSRC_PID
	lf_wait_for 20 grep -q "^queued counter=19 " "$LF_TESTSRC_LOG"
	local want
	want=$(lf_testsrc_last frame)
	grep -q "^queued counter=19 kind=frame" "$LF_TESTSRC_LOG" &&
		lf_fail "$name: the last buffer should be a bad one"
	good()
	{
		lf_grab_verify "$LF_TEST_DIR/$name.png" 320x240 ||
			lf_fail "$name: a bad buffer was delivered as a frame: $LF_VERIFY"
		[ "$LF_COUNTER" -eq "$want" ]
	}
	lf_try_for 10 good || lf_fail "$name: got frame $LF_COUNTER, want the last good one ($want)"
	lf_log "$name: last good frame $want delivered: $LF_VERIFY"
	local st
	st=$("$LF_BUILD/lastframe" stats --json)
	[ "$(lf_json_get "$st" frames_corrupted)" -ge 1 ] || lf_fail "$name: no corrupted frames counted: $st"
	lf_stop "$LF_DAEMON_PID"
	lf_stop "$src"
}

# Buffers 1, 3, 5, ... 19 are cursor-only (counter + 1 divisible by 2).
check_idle cursor --cursor-every 2 --frames 20
# Buffers 4, 9, 14, 19 are CORRUPTED.
check_idle corrupt --corrupt-every 5 --frames 20

# Streaming with both kinds mixed in: every grab is a complete, good frame.
lf_testsrc_start mixed --size 320x240 --rate 60 --cursor-every 2 --corrupt-every 3 --verbose
lf_daemon_start --no-config --target mixed
lf_wait_grab 10 "$LF_TEST_DIR/mixed0.png" 320x240
for i in $(seq 1 15); do
	f=$LF_TEST_DIR/mixed$i.png
	[ $((i % 2)) -eq 0 ] || f=$LF_TEST_DIR/mixed$i.ppm
	lf_grab_verify "$f" 320x240 || lf_fail "grab $i: a bad buffer was delivered: $LF_VERIFY"
	c=$LF_COUNTER
	# Good buffers: counter+1 divisible by neither 2 nor 3.
	if [ $(((c + 1) % 2)) -eq 0 ] || [ $(((c + 1) % 3)) -eq 0 ]; then
		lf_fail "grab $i: buffer $c was cursor-only or CORRUPTED"
	fi
done
st=$("$LF_BUILD/lastframe" stats --json)
lf_log "stats: $st"
[ "$(lf_json_get "$st" frames_corrupted)" -ge 1 ] || lf_fail "no corrupted frames counted: $st"
kill -0 "$LF_DAEMON_PID" || lf_fail "lastframed died"
