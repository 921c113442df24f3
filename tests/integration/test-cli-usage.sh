#!/usr/bin/env bash
# lastframe without a daemon: clear errors, exit 1 (quickly: no waiting for
# a socket that is not there), and usage errors with exit 2. No session needed.
set -euo pipefail
source "$LF_ROOT/tests/lib/session.sh"

L=$LF_BUILD/lastframe
T=$(mktemp -d /tmp/lf-cli-usage.XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_RUNTIME_DIR=$T/run
mkdir -p "$XDG_RUNTIME_DIR"
unset LASTFRAME_SOCKET

# run EXPECTED_RC CMD... : output in $out
run()
{
	local want=$1 rc=0
	shift
	# `timeout` only guards against a hang; the daemon-less paths never wait.
	out=$(timeout 10 "$@" 2>&1) || rc=$?
	[ "$rc" -eq "$want" ] || lf_fail "'$*' exited $rc, expected $want: $out"
}

# --- no daemon ---------------------------------------------------------------
for cmd in "grab $T/a.png" info stats watch "report-import-failure XR24 LINEAR"; do
	# shellcheck disable=SC2086
	run 1 "$L" $cmd
	grep -q "cannot connect to lastframed at $XDG_RUNTIME_DIR/lastframe/socket: No such file or directory (is the service running? systemctl --user start lastframed)" <<<"$out" ||
		lf_fail "$cmd: unclear message: $out"
done
[ ! -e "$T/a.png" ] || lf_fail "grab left a file without a daemon"

# $LASTFRAME_SOCKET and --socket (before and after the command) choose the path.
LASTFRAME_SOCKET=$T/env.sock run 1 "$L" info
grep -q "at $T/env.sock:" <<<"$out" || lf_fail "LASTFRAME_SOCKET ignored: $out"
run 1 "$L" --socket "$T/opt.sock" info
grep -q "at $T/opt.sock:" <<<"$out" || lf_fail "--socket ignored: $out"
run 1 "$L" info --socket "$T/opt2.sock"
grep -q "at $T/opt2.sock:" <<<"$out" || lf_fail "--socket after the command ignored: $out"

# A stale socket (nobody listening): connection refused, same hint.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1])' "$T/stale.sock"
run 1 "$L" --socket "$T/stale.sock" grab "$T/b.ppm"
grep -q "Connection refused (is the service running?" <<<"$out" || lf_fail "stale socket: $out"

# A socket that accepts but never answers (a socket-activated service that
# fails to start): --timeout bounds the handshake too, not only the frame wait.
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1]); s.listen(4); time.sleep(30)' "$T/mute.sock" &
mute=$!
lf_on_exit kill "$mute"
lf_wait_for 5 test -S "$T/mute.sock"
start=$(date +%s%N)
run 1 "$L" --socket "$T/mute.sock" --timeout 0.3 info
ms=$(( ($(date +%s%N) - start) / 1000000 ))
# Generous bound: the default handshake wait is 5 s; this proves --timeout replaced it.
[ "$ms" -lt 4000 ] || lf_fail "mute daemon: --timeout 0.3 took $ms ms"
grep -qi "timed out" <<<"$out" || lf_fail "mute daemon: $out"
kill "$mute" 2>/dev/null

# --- usage errors: exit 2, before any connection attempt ------------------------
run 2 "$L" grab "$T/a.jpg"
grep -q "use .png or .ppm" <<<"$out" || lf_fail "bad extension: $out"
run 2 "$L" grab
run 2 "$L" grab "$T/a.png" "$T/b.png"
run 2 "$L"
run 2 "$L" frobnicate
grep -q "unknown command 'frobnicate'" <<<"$out" || lf_fail "unknown command: $out"
run 2 "$L" --timeout abc info
run 2 "$L" --timeout -1 info
run 2 "$L" watch --frames 0
run 2 "$L" watch --frames x
run 2 "$L" info --bogus
run 2 "$L" info extra
run 2 "$L" report-import-failure XR24
run 2 "$L" report-import-failure XR24 notanumber
run 2 "$L" help frobnicate

# --- help and version ---------------------------------------------------------
run 0 "$L" --help
for c in grab info watch stats; do
	grep -q "^  $c " <<<"$out" || lf_fail "--help does not list $c"
done
run 0 "$L" --version
grep -Eq '^lastframe [0-9]+\.[0-9]+' <<<"$out" || lf_fail "--version: $out"
for c in grab info watch stats report-import-failure; do
	run 0 "$L" help "$c"
	grep -q "^Usage: lastframe .*$c" <<<"$out" || lf_fail "help $c: $out"
	a=$out
	run 0 "$L" "$c" --help
	[ "$a" = "$out" ] || lf_fail "'help $c' and '$c --help' differ"
	grep -q "Exit status" <<<"$out" || lf_fail "$c --help lacks exit status"
done

# lastframed --list-formats says whether the import probe runs; switched off
# it never does, on any machine. Here (no GPU in CI) the default is the same.
D=$LF_BUILD/lastframed
run 0 "$D" --no-config --no-import-probe --list-formats
grep -q '^import probe: not active (' <<<"$out" || lf_fail "--no-import-probe --list-formats: $out"
run 0 "$D" --no-config --list-formats
grep -Eq '^import probe: (active \(on .+\)|not active \(.+\))$' <<<"$out" ||
	lf_fail "--list-formats does not say whether the import probe is active: $out"
if grep -q '^modifier source: defaults' <<<"$out"; then
	grep -q '^import probe: not active (no GPU modifiers from EGL)$' <<<"$out" ||
		lf_fail "import probe active without a GPU: $out"
fi
printf 'import-probe = false\n' >"$T/probe.conf"
run 0 "$D" --config "$T/probe.conf" --list-formats
grep -q '^import probe: not active (' <<<"$out" || lf_fail "import-probe = false: $out"
run 2 "$D" --no-config --no-import-probe=yes --list-formats
lf_log "ok"
