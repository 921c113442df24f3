#!/usr/bin/env bash
# Issue 6, journal logging: under systemd, stderr is a journal stream
# (JOURNAL_STREAM) and lastframed must log through the native protocol with
# syslog priorities, its identifier and the caller's code location; when the
# journal is gone it falls back to "<N>"-prefixed stderr lines, which
# journald also parses.
#
# A real systemd-journald runs in a private mount namespace of this test
# (tmpfs over /run/systemd, /run/log and /var/log), so the host's journal, if any, is
# neither used nor touched. Needs root for the mounts.
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"

JOURNALD=/lib/systemd/systemd-journald
if [ -z "${LF_JOURNAL_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || lf_skip "needs root for a private mount namespace"
	[ -x "$JOURNALD" ] || lf_skip "$JOURNALD not installed"
	command -v unshare >/dev/null || lf_skip "unshare not installed"
	unshare --mount true 2>/dev/null || lf_skip "cannot make a mount namespace here (unshare --mount failed)"
	exec unshare --mount --propagation private env LF_JOURNAL_NS=1 "$0" "$@"
fi

# Everything journald touches is private to this namespace.
mkdir -p /run/systemd /run/log
for d in /run/systemd /run/log /var/log; do
	mount -t tmpfs -o mode=0755 tmpfs "$d" 2>/dev/null ||
		lf_skip "cannot mount a tmpfs on $d in a private mount namespace"
done
# (No /var/log/journal in here: journald keeps its files in /run/log/journal.)
mkdir -p /run/systemd/journal

lf_session_start
lf_bg journald "$JOURNALD"
JOURNALD_PID=$LF_BG_PID
lf_try_for 10 test -S /run/systemd/journal/socket ||
	lf_skip "systemd-journald does not start here: $(tail -n 3 "$LF_BG_LOG" | tr '\n' ' ')"
lf_log "private systemd-journald up (pid $JOURNALD_PID)"

journal() # [MATCH...]
{
	journalctl -D /run/log/journal --no-pager -o json SYSLOG_IDENTIFIER=lastframed "$@" 2>/dev/null
}
in_journal() # TEXT [MATCH...]
{
	local text=$1 out
	shift
	out=$(journal "$@") && [[ $out == *"$text"* ]]
}

# stderr is a file here; JOURNAL_STREAM only has to be set for the switch.
JOURNAL_STREAM=0:0 lf_daemon_start --no-config --target journal-src
DAEMON_LOG=$LF_BG_LOG
lf_testsrc_start journal-src --size 128x64 --rate 30
lf_wait_for 10 "$LF_BUILD/lastframe" grab "$LF_TEST_DIR/a.ppm"
# The producer leaving is a notice.
lf_stop "$LF_TESTSRC_PID"
lf_try_for 10 in_journal "went away" PRIORITY=5 ||
	lf_fail "no 'went away' notice (PRIORITY=5) in the journal"
lf_try_for 10 in_journal "listening on" PRIORITY=6 ||
	lf_fail "no 'listening on' info (PRIORITY=6) in the journal"
entries=$(journal)
lf_log "journal holds $(printf '%s\n' "$entries" | grep -c .) lastframed entries"
python3 - "$entries" <<'EOF2' || lf_fail "journal fields wrong (see above)"
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
ok = True
for r in rows:
    if r.get("CODE_FILE", "base/log.c") == "base/log.c" or "CODE_LINE" not in r:
        print("location is the logger's, not the caller's:", r.get("MESSAGE"), r.get("CODE_FILE"))
        ok = False
        break
for r in rows[:3] + [r for r in rows if r["PRIORITY"] == "5"][:1]:
    print("journal: PRIORITY=%s %s:%s %s: %s" % (r["PRIORITY"], r.get("CODE_FILE"),
          r.get("CODE_LINE"), r.get("CODE_FUNC"), r["MESSAGE"]))
sys.exit(0 if ok else 1)
EOF2
# Nothing went to stderr while the journal took the messages.
[ ! -s "$DAEMON_LOG" ] || lf_fail "stderr got lines too: $(head -3 "$DAEMON_LOG")"

# journald dead, its socket left behind (a crash): sends are refused and
# the next messages come as <N> lines on stderr instead of being lost. (With
# no socket file at all, sd_journal_send drops messages silently by design.)
lf_stop "$JOURNALD_PID" KILL
lf_testsrc_start journal-src --size 128x64 --rate 30
lf_wait_for 10 "$LF_BUILD/lastframe" grab "$LF_TEST_DIR/b.ppm"
lf_stop "$LF_TESTSRC_PID"
lf_try_for 10 grep -q '^<5>capture: source node .* went away' "$DAEMON_LOG" ||
	lf_fail "no <5> fallback line on stderr after journald stopped: $(head -5 "$DAEMON_LOG")"
lf_log "fallback: $(grep -m1 '^<5>' "$DAEMON_LOG")"
lf__alive "$LF_DAEMON_PID" || lf_fail "lastframed died"
