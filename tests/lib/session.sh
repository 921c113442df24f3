# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# lastframe integration-test harness: a private, throw-away desktop session
# (dbus + pipewire + wireplumber) per test, torn down by PID on exit.
#
#   source "$LF_ROOT/tests/lib/session.sh"
#   lf_session_start
#   lf_testsrc_start src --size 640x480
#   lf_daemon_start --target src
#   "$LF_BUILD/lastframe" grab "$LF_TEST_DIR/a.png"
#
# API (docs: TEAM.md "Shared test harness API"):
#   lf_session_start              private XDG_RUNTIME_DIR + dbus + pipewire + wireplumber
#   lf_bg NAME CMD...             background process, tracked, logs to $LF_TEST_DIR/NAME.log
#                                 (sets LF_BG_PID and LF_BG_LOG)
#   lf_stop PID [SIG]             stop a tracked process now (TERM, KILL after 3 s), reap it
#   lf_testsrc_start NAME [ARGS]  test producer; waits for its node; sets LF_TESTSRC_PID
#                                 and LF_TESTSRC_LOG (its stdout/stderr)
#   lf_daemon_start [ARGS]        lastframed on $LF_SOCKET; waits for the socket; sets LF_DAEMON_PID
#                                 ($LF_DAEMON_ARGS, word-split, go before ARGS: dmabuf-lib.sh
#                                 puts --no-import-probe there)
#                                 ($LF_DAEMON_WRAPPER / $LF_TESTSRC_WRAPPER prefix the commands,
#                                 e.g. "valgrind -q --error-exitcode=9")
#   lf_wait_for TIMEOUT_S CMD...  retry CMD every 50 ms; lf_fail when TIMEOUT_S passes
#   lf_try_for TIMEOUT_S CMD...   the same, but returns 1 instead of failing the test
#   lf_node_exists NAME           a node with node.name NAME is in the graph
#   lf_fd_count PID               number of open fds of PID
#   lf_on_exit CMD...             run CMD at teardown, before the processes stop
#                                 (do not set your own EXIT trap: it replaces ours)
#   lf_fail MSG / lf_skip REASON / lf_log MSG
#
# Works under `set -euo pipefail` and without it. Sessions share nothing, so
# tests may run in parallel. Set LF_KEEP_TEST_DIR=1 to keep the temp dir.

if [ -n "${LF_SESSION_SH_LOADED:-}" ]; then
	return 0
fi
LF_SESSION_SH_LOADED=1

: "${LF_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${LF_BUILD:=$LF_ROOT/build}"
export LF_ROOT LF_BUILD

LF_TEST_NAME=$(basename "${0%.sh}")
LF_TEST_DIR=""
LF_SOCKET=""
LF_BG_PID=""
LF_BG_LOG=""
LF_TESTSRC_PID=""
LF_TESTSRC_LOG=""
LF_DAEMON_PID=""
LF_SKIP_REASON=""
LF_FAIL_MSG=""
LF_EXIT_HOOKS=() # lf_on_exit commands, as strings
LF_PIDS=()       # tracked background PIDs, in start order
LF_PID_NAMES=()  # their log names, same index

lf_log()
{
	local t
	t=$(date +%H:%M:%S.%N)
	printf '[%s %s] %s\n' "${t:0:12}" "$LF_TEST_NAME" "$*" >&2
}

lf_fail()
{
	LF_FAIL_MSG="$*"
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

lf_skip()
{
	LF_SKIP_REASON="$*"
	# run-integration shows the last line of the log as the reason; the EXIT
	# trap prints it again after teardown so it stays last.
	printf '%s\n' "$*"
	exit 77
}

# Keep the killed process's "Terminated" notices out of the logs.
lf__reap()
{
	wait "$1" 2>/dev/null || true
}

lf__alive()
{
	kill -0 "$1" 2>/dev/null
}

lf__name_of()
{
	local i
	for ((i = 0; i < ${#LF_PIDS[@]}; i++)); do
		if [ "${LF_PIDS[i]}" = "$1" ]; then
			echo "${LF_PID_NAMES[i]}"
			return
		fi
	done
	echo "?"
}

# lf_stop PID [SIGNAL]: stop one tracked process, escalate to KILL, reap it.
lf_stop()
{
	local pid=$1 sig=${2:-TERM} i
	lf__alive "$pid" || { lf__reap "$pid"; return 0; }
	kill "-$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 60; i++)); do
		lf__alive "$pid" || break
		# A zombie still answers kill -0: reap it when it is ours.
		if [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = "Z" ]; then
			break
		fi
		sleep 0.05
	done
	if lf__alive "$pid" && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != "Z" ]; then
		lf_log "pid $pid ($(lf__name_of "$pid")) ignored SIG$sig for 3 s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	lf__reap "$pid"
}

lf__teardown()
{
	local rc=$1 i pid f
	trap - EXIT INT TERM
	set +e
	for ((i = ${#LF_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${LF_EXIT_HOOKS[i]}"
	done
	# Reverse start order: clients and producers first, wireplumber,
	# pipewire, dbus last.
	for ((i = ${#LF_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${LF_PIDS[i]}
		[ -n "$pid" ] || continue
		lf_stop "$pid"
	done
	LF_PIDS=()
	# Under a checking wrapper (valgrind), reports in the logs fail the test.
	if [ -n "${LF_DAEMON_WRAPPER:-}${LF_TESTSRC_WRAPPER:-}" ] && [ "$rc" -eq 0 ] &&
	   grep -qE '^==[0-9]+== [^ ]|ERROR: AddressSanitizer' "$LF_TEST_DIR"/lastframed*.log \
		"$LF_TEST_DIR"/testsrc-*.log 2>/dev/null; then
		LF_FAIL_MSG="memory checker reports in $(grep -slE '^==[0-9]+== [^ ]|ERROR: AddressSanitizer' \
			"$LF_TEST_DIR"/lastframed*.log "$LF_TEST_DIR"/testsrc-*.log 2>/dev/null | xargs -n1 basename | tr '\n' ' ')"
		rc=1
	fi
	if [ -n "$LF_TEST_DIR" ] && [ -d "$LF_TEST_DIR" ]; then
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
			# The runner keeps only our stdout/stderr: put the logs there.
			for f in "$LF_TEST_DIR"/*.log; do
				[ -s "$f" ] || continue
				printf '\n----- %s (last 40 lines) -----\n' "$(basename "$f")" >&2
				tail -n 40 "$f" >&2
			done
			printf '\n(test dir kept: %s)\n' "$LF_TEST_DIR" >&2
			[ -z "$LF_FAIL_MSG" ] || printf 'FAIL: %s\n' "$LF_FAIL_MSG" >&2
		elif [ "${LF_KEEP_TEST_DIR:-0}" = 1 ]; then
			printf '(test dir kept: %s)\n' "$LF_TEST_DIR" >&2
		else
			rm -rf "$LF_TEST_DIR"
		fi
	fi
	[ "$rc" -ne 77 ] || [ -z "$LF_SKIP_REASON" ] || printf '%s\n' "$LF_SKIP_REASON"
	exit "$rc"
}

# lf_on_exit CMD...: run at teardown (last registered runs first).
lf_on_exit()
{
	local q
	printf -v q '%q ' "$@"
	LF_EXIT_HOOKS+=("$q")
}

# lf_bg NAME CMD...: start CMD in the background, tracked for teardown.
lf_bg()
{
	local name=$1 log n=1
	shift
	[ -n "$LF_TEST_DIR" ] || lf_fail "lf_bg before lf_session_start"
	log=$LF_TEST_DIR/$name.log
	while [ -e "$log" ]; do
		n=$((n + 1))
		log=$LF_TEST_DIR/$name.$n.log
	done
	# --pdeathsig: even if the test shell is SIGKILLed (runner timeout),
	# its children do not outlive it.
	if [ -n "$LF__PDEATHSIG" ]; then
		setpriv --pdeathsig TERM -- "$@" >"$log" 2>&1 </dev/null &
	else
		"$@" >"$log" 2>&1 </dev/null &
	fi
	LF_BG_PID=$!
	LF_BG_LOG=$log
	LF_PIDS+=("$LF_BG_PID")
	LF_PID_NAMES+=("$name")
}

# lf_try_for TIMEOUT_S CMD...: 0 as soon as CMD succeeds, 1 after TIMEOUT_S.
lf_try_for()
{
	local timeout=$1 deadline now
	shift
	now=${EPOCHREALTIME/./}
	deadline=$((now + ${timeout%.*} * 1000000))
	while :; do
		if "$@"; then
			return 0
		fi
		now=${EPOCHREALTIME/./}
		[ "$now" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

lf_wait_for()
{
	local timeout=$1
	shift
	lf_try_for "$timeout" "$@" || lf_fail "timed out after ${timeout}s waiting for: $*"
}

lf_fd_count()
{
	local fds
	fds=$(ls "/proc/$1/fd" 2>/dev/null) || { echo 0; return 1; }
	printf '%s\n' "$fds" | grep -c .
}

# pw-cli output is captured first: `pw-cli … | grep -q` under pipefail fails
# on a match (grep exits early, pw-cli gets SIGPIPE).
lf__metadata_ready()
{
	local out
	out=$(pw-cli ls Metadata 2>/dev/null) || return 1
	[[ $out == *'metadata.name = "default"'* ]]
}

lf_node_exists()
{
	local out
	out=$(pw-cli ls Node 2>/dev/null) || return 1
	[[ $out == *"node.name = \"$1\""* ]]
}

lf__proc_check()
{
	# lf__proc_check PID WHAT CMD...: CMD succeeds, or fail if PID died.
	local pid=$1 what=$2
	shift 2
	if "$@"; then
		return 0
	fi
	lf__alive "$pid" || lf_fail "$what exited early (see its log)"
	return 1
}

lf_session_start()
{
	local d
	[ -z "$LF_TEST_DIR" ] || lf_fail "lf_session_start called twice"
	for d in pipewire wireplumber dbus-daemon pw-cli; do
		command -v "$d" >/dev/null || lf_skip "$d not installed (run tools/install-deps)"
	done
	LF__PDEATHSIG=""
	if setpriv --pdeathsig TERM -- true 2>/dev/null; then
		LF__PDEATHSIG=1
	fi

	# Short base path: unix socket paths are limited to 108 bytes.
	LF_TEST_DIR=$(mktemp -d "${LF_TMPDIR:-/tmp}/lf-${LF_TEST_NAME:0:20}.XXXXXX") ||
		lf_fail "mktemp failed"
	trap 'lf__teardown $?' EXIT
	trap 'lf__teardown 130' INT
	trap 'lf__teardown 143' TERM

	export XDG_RUNTIME_DIR=$LF_TEST_DIR/run
	export PIPEWIRE_RUNTIME_DIR=$XDG_RUNTIME_DIR
	export XDG_CONFIG_HOME=$LF_TEST_DIR/config
	export XDG_STATE_HOME=$LF_TEST_DIR/state
	export XDG_DATA_HOME=$LF_TEST_DIR/data
	export XDG_CACHE_HOME=$LF_TEST_DIR/cache
	export DBUS_SESSION_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/bus
	export GSETTINGS_BACKEND=memory
	export NO_AT_BRIDGE=1
	export LF_SOCKET=$XDG_RUNTIME_DIR/lastframe/socket
	export LASTFRAME_SOCKET=$LF_SOCKET
	export LF_TEST_DIR
	# Nothing from the caller's desktop may leak in.
	unset PIPEWIRE_REMOTE PIPEWIRE_CORE WAYLAND_DISPLAY DISPLAY JOURNAL_STREAM \
		DBUS_SYSTEM_BUS_ADDRESS NOTIFY_SOCKET LISTEN_FDS LISTEN_PID WATCHDOG_USEC

	mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME" "$XDG_STATE_HOME" "$XDG_DATA_HOME" \
		"$XDG_CACHE_HOME" || lf_fail "cannot create session dirs"
	chmod 0700 "$XDG_RUNTIME_DIR"

	# WirePlumber 0.4 exits at once without logind's directories.
	for d in seats sessions users machines; do
		[ -d "/run/systemd/$d" ] || mkdir -p "/run/systemd/$d" 2>/dev/null || true
	done

	# Headless and quiet: no ALSA/V4L2/libcamera/BlueZ monitors. Sorted
	# after 50-*-config.lua (which sets enabled = true) and before
	# 90-enable-all.lua (which reads it).
	mkdir -p "$XDG_CONFIG_HOME/wireplumber/main.lua.d" \
		"$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d"
	cat >"$XDG_CONFIG_HOME/wireplumber/main.lua.d/60-lastframe-headless.lua" <<-'EOF'
		alsa_monitor.enabled = false
		v4l2_monitor.enabled = false
		libcamera_monitor.enabled = false
	EOF
	cat >"$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d/60-lastframe-headless.lua" <<-'EOF'
		bluez_monitor.enabled = false
	EOF

	lf_bg dbus dbus-daemon --session --address="$DBUS_SESSION_BUS_ADDRESS" --nofork --nopidfile
	LF_DBUS_PID=$LF_BG_PID
	lf_try_for 10 lf__proc_check "$LF_DBUS_PID" dbus-daemon test -S "$XDG_RUNTIME_DIR/bus" ||
		lf_fail "dbus-daemon did not create its socket"

	lf_bg pipewire pipewire
	LF_PIPEWIRE_PID=$LF_BG_PID
	lf_try_for 10 lf__proc_check "$LF_PIPEWIRE_PID" pipewire test -S "$XDG_RUNTIME_DIR/pipewire-0" ||
		lf_fail "pipewire did not create its socket"

	lf_bg wireplumber wireplumber
	LF_WIREPLUMBER_PID=$LF_BG_PID
	lf_try_for 20 lf__proc_check "$LF_WIREPLUMBER_PID" wireplumber lf__metadata_ready ||
		lf_fail "wireplumber did not publish the default metadata"
	export LF_DBUS_PID LF_PIPEWIRE_PID LF_WIREPLUMBER_PID
	lf_log "session up in $LF_TEST_DIR"
}

# lf_testsrc_start NAME [ARGS...]
lf_testsrc_start()
{
	local name=$1
	shift
	[ -x "$LF_BUILD/lastframe-testsrc" ] || lf_fail "$LF_BUILD/lastframe-testsrc not built"
	# shellcheck disable=SC2086
	lf_bg "testsrc-$name" ${LF_TESTSRC_WRAPPER:-} "$LF_BUILD/lastframe-testsrc" --name "$name" "$@"
	LF_TESTSRC_PID=$LF_BG_PID
	LF_TESTSRC_LOG=$LF_BG_LOG
	lf_try_for 10 lf__proc_check "$LF_TESTSRC_PID" "lastframe-testsrc $name" lf_node_exists "$name" ||
		lf_fail "node $name did not appear"
}

# lf_daemon_start [ARGS...]
lf_daemon_start()
{
	[ -x "$LF_BUILD/lastframed" ] || lf_fail "$LF_BUILD/lastframed not built"
	rm -f "$LF_SOCKET"
	# LF_DAEMON_WRAPPER: e.g. "valgrind -q --error-exitcode=9" (word-split on purpose).
	# shellcheck disable=SC2086
	lf_bg lastframed ${LF_DAEMON_WRAPPER:-} "$LF_BUILD/lastframed" --socket "$LF_SOCKET" \
		${LF_DAEMON_ARGS:-} "$@"
	LF_DAEMON_PID=$LF_BG_PID
	lf_try_for "${LF_DAEMON_WRAPPER:+3}10" lf__proc_check "$LF_DAEMON_PID" lastframed test -S "$LF_SOCKET" ||
		lf_fail "lastframed did not create $LF_SOCKET"
}
