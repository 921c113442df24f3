#!/usr/bin/env bash
# lastframed's command line, config file, socket activation checks and
# shutdown, against a real PipeWire session and the real test producer:
# --help/--version, bad flags and config lines → exit 2 with the file:line,
# flags beat the file, a wrong activation socket is refused clearly, SIGTERM
# → clients get BYE, exit 0, socket removed.
set -euo pipefail
source "$LF_ROOT/tests/lib/session.sh" 2>/dev/null || source "$(dirname "$0")/../lib/session.sh"
D=$LF_BUILD/lastframed

lf_session_start

out=$("$D" --help) || lf_fail "--help failed"
grep -q -- '--source SPEC' <<<"$out" || lf_fail "--help does not document --source"
grep -q -- 'mutter:virtual' <<<"$out" || lf_fail "--help does not document mutter sources"
[ "$("$D" --version)" = "lastframed 0.1.0" ] || lf_fail "--version"

expect_usage_error()
{
	local want=$1 rc=0 err
	shift
	err=$("$D" --socket "$LF_TEST_DIR/never.sock" "$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 2 ] || lf_fail "lastframed $* exited $rc, want 2 (stderr: $err)"
	grep -qF -- "$want" <<<"$err" || lf_fail "lastframed $*: stderr lacks '$want': $err"
	[ ! -e "$LF_TEST_DIR/never.sock" ] || lf_fail "lastframed $* created its socket anyway"
}
expect_usage_error "unrecognized option '--frobnicate'" --frobnicate
expect_usage_error "invalid source 'window:1'" --source window:1
expect_usage_error "invalid cursor mode" --cursor sometimes
expect_usage_error "unexpected argument 'extra'" extra

mkdir -p "$XDG_CONFIG_HOME/lastframe"
conf=$XDG_CONFIG_HOME/lastframe/lastframed.conf
printf '# test\nsource = node:x\n\nframe-rate = 60\n' > "$conf"
expect_usage_error "lastframed.conf:4: unknown key 'frame-rate'"
printf 'source = node:x\nshm-only = perhaps\n' > "$conf"
expect_usage_error "lastframed.conf:2: invalid boolean 'perhaps'"
expect_usage_error "cannot open config file $LF_TEST_DIR/nope.conf" --config "$LF_TEST_DIR/nope.conf"

# The file names the source; the flag wins over it.
lf_testsrc_start lf-cli-src --size 320x240 --rate 30
printf 'source = node:lf-no-such-node\n' > "$conf"
lf_daemon_start --source node:lf-cli-src
lf_wait_for 20 "$LF_BUILD/lastframe" --timeout 2 grab "$LF_TEST_DIR/a.png"
"$LF_BUILD/lastframe-testsrc" --verify "$LF_TEST_DIR/a.png" --expect-size 320x240 >/dev/null ||
	lf_fail "the grabbed frame is not the flag's source"

# SIGTERM: the connected client is told BYE, the daemon exits 0 and
# removes its socket.
lf_bg watch "$LF_BUILD/lastframe" watch
watch_pid=$LF_BG_PID
lf_wait_for 10 grep -q . "$LF_BG_LOG"
kill -TERM "$LF_DAEMON_PID"
rc=0; wait "$LF_DAEMON_PID" || rc=$?
[ "$rc" = 0 ] || lf_fail "lastframed exited $rc on SIGTERM"
[ ! -e "$LF_SOCKET" ] || lf_fail "socket left behind after SIGTERM"
lf_wait_for 10 bash -c "! kill -0 $watch_pid 2>/dev/null"
rc=0; wait "$watch_pid" || rc=$?
# liblastframe maps BYE to EPIPE ("closed the connection"); a close without
# BYE would read as ECONNRESET.
grep -q "lastframed closed the connection" "$LF_TEST_DIR/watch.log" ||
	lf_fail "the client was not told BYE: $(tail -n 2 "$LF_TEST_DIR/watch.log")"

# Socket activation with the wrong kind of socket (stream, not seqpacket).
if command -v systemd-socket-activate >/dev/null; then
	rm -f "$conf"
	# systemd-socket-activate passes only the variables it is told to.
	ENV_ARGS="-E XDG_RUNTIME_DIR -E PIPEWIRE_RUNTIME_DIR -E DBUS_SESSION_BUS_ADDRESS -E XDG_CONFIG_HOME"
	lf_bg activate systemd-socket-activate -l "$LF_TEST_DIR/stream.sock" $ENV_ARGS "$D" --source node:lf-cli-src
	lf_wait_for 10 test -S "$LF_TEST_DIR/stream.sock"
	# The first connection makes systemd-socket-activate exec lastframed.
	/usr/bin/python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' \
		"$LF_TEST_DIR/stream.sock" || lf_fail "cannot connect to the stream socket"
	lf_wait_for 10 grep -q "not a listening AF_UNIX SOCK_SEQPACKET socket" "$LF_BG_LOG"
	act_pid=$LF_BG_PID
	lf_wait_for 10 bash -c "! kill -0 $act_pid 2>/dev/null"

	lf_bg activate systemd-socket-activate --seqpacket -l "$LF_TEST_DIR/act.sock" $ENV_ARGS "$D" --source node:lf-cli-src
	lf_wait_for 10 test -S "$LF_TEST_DIR/act.sock"
	lf_wait_for 20 "$LF_BUILD/lastframe" --socket "$LF_TEST_DIR/act.sock" --timeout 2 grab "$LF_TEST_DIR/b.png"
	grep -q "listening on inherited socket" "$LF_BG_LOG" || lf_fail "the daemon did not take the passed socket"
fi
lf_log PASS
