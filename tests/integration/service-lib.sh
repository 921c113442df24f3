# shellcheck shell=bash
# Helpers for tests/integration/test-service-*.sh: a real `systemd --user`
# manager (recipes §3) for a throw-away user, with the session bus, PipeWire,
# WirePlumber (Debian's user units) and optionally mutter --headless inside it,
# and lastframed installed as that user's service. Everything is torn down on
# exit, also on failure. Service tests serialize on a lock: they share the
# /run/systemd/system marker.
#
#   source tests/integration/service-lib.sh
#   svc_start [--mutter]      # manager + dbus + pipewire + wireplumber (+ mutter + a repainting client)
#   svc_install               # binaries + units into the user's home, daemon-reload
#   svc_ctl ARGS...           # systemctl --user ARGS as the user
#   svc_run CMD...            # CMD as the user, in the session's environment
#   svc_grab FILE             # lastframe grab as the user (FILE in the user's home)
#   svc_wait_for SECS CMD...  # retry CMD every 100 ms
#   svc_main_pid UNIT         # MainPID of a user unit
set -u -o pipefail

LF_ROOT=${LF_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LF_BUILD=${LF_BUILD:-$LF_ROOT/build}
SVC_NAME=lfsvc$$
SVC_USER=$SVC_NAME
SVC_CGROUP=/sys/fs/cgroup/unified/$SVC_NAME
SVC_LOCK=/tmp/lastframe-service-tests.lock
SVC_MARKER_CREATED=0
SVC_MANAGER_PID=
SVC_HOME=
SVC_RT=

svc_log() { echo "[$(date +%T.%3N)] $*" >&2; }
svc_fail() { svc_log "FAIL: $*"; svc_dump; exit 1; }
svc_skip() { echo "$*"; exit 77; }

svc_run()
{
	runuser -u "$SVC_USER" -- env -i HOME="$SVC_HOME" USER="$SVC_USER" PATH=/usr/bin:/bin \
		XDG_RUNTIME_DIR="$SVC_RT" DBUS_SESSION_BUS_ADDRESS="unix:path=$SVC_RT/bus" \
		LANG=C.UTF-8 "$@"
}

svc_ctl() { svc_run systemctl --user --no-pager "$@"; }

svc_wait_for()
{
	local secs=$1; shift
	local end=$(( $(date +%s%N) + secs * 1000000000 ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

svc_main_pid() { svc_ctl show -p MainPID --value "$1"; }

svc_dump()
{
	[ -n "$SVC_RT" ] || return 0
	svc_log "--- systemctl --user status (all)"
	svc_ctl status --all 2>&1 | head -120 >&2 || true
	svc_log "--- journal"
	svc_run journalctl --user --no-pager -n 80 2>&1 >&2 || true
	[ -f "$SVC_HOME/manager.log" ] && { svc_log "--- manager log"; tail -n 60 "$SVC_HOME/manager.log" >&2; }
	[ -f "$SVC_HOME/lastframed.log" ] && { svc_log "--- lastframed log"; tail -n 80 "$SVC_HOME/lastframed.log" >&2; }
	return 0
}

svc_teardown()
{
	local rc=$?
	set +e
	trap - EXIT INT TERM
	if [ -n "$SVC_MANAGER_PID" ] && kill -0 "$SVC_MANAGER_PID" 2>/dev/null; then
		svc_ctl exit >/dev/null 2>&1
		for _ in $(seq 50); do kill -0 "$SVC_MANAGER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SVC_MANAGER_PID" 2>/dev/null
	fi
	if [ -d "$SVC_CGROUP" ]; then
		# Whatever is left in the subtree (services of the manager) goes.
		[ -f "$SVC_CGROUP/cgroup.kill" ] && echo 1 > "$SVC_CGROUP/cgroup.kill" 2>/dev/null
		for _ in $(seq 50); do
			[ -z "$(find "$SVC_CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] && break
			sleep 0.1
		done
		find "$SVC_CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null
	fi
	# The user's leftovers (if any escaped the cgroup), then the user.
	for pid in $(pgrep -u "$SVC_USER"); do kill -KILL "$pid" 2>/dev/null; done
	if id "$SVC_USER" >/dev/null 2>&1; then
		for _ in $(seq 20); do userdel -r "$SVC_USER" 2>/dev/null && break; sleep 0.1; done
	fi
	[ -n "$SVC_RT" ] && rm -rf "$SVC_RT"
	[ "$SVC_MARKER_CREATED" = 1 ] && rmdir /run/systemd/system 2>/dev/null
	exit "$rc"
}

# Leftovers of a run that was SIGKILLed (no trap ran): users lfsvcPID whose
# test shell is gone, their cgroups and runtime dirs. Called under the lock.
svc_reap_stale()
{
	local u pid cg d
	for u in $(getent passwd | cut -d: -f1 | grep -E '^lfsvc[0-9]+$'); do
		pid=${u#lfsvc}
		kill -0 "$pid" 2>/dev/null && continue
		svc_log "removing stale test user $u"
		for cg in /sys/fs/cgroup/unified/$u /sys/fs/cgroup/$u; do
			[ -d "$cg" ] || continue
			[ -f "$cg/cgroup.kill" ] && echo 1 > "$cg/cgroup.kill" 2>/dev/null
			sleep 0.2
			find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
		done
		for pid in $(pgrep -u "$u"); do kill -KILL "$pid" 2>/dev/null; done
		userdel -r "$u" 2>/dev/null
	done
	for d in /tmp/lfsvc-rt.*; do
		[ -d "$d" ] && [ "$(stat -c %U "$d")" = UNKNOWN ] && rm -rf "$d"
	done
	return 0
}

svc_start()
{
	local with_mutter=0
	[ "${1:-}" = --mutter ] && with_mutter=1

	[ "$(id -u)" -eq 0 ] || svc_skip "service tests need root (useradd, cgroup delegation)"
	[ -x /lib/systemd/systemd ] || svc_skip "no /lib/systemd/systemd"
	[ -d /sys/fs/cgroup/unified ] || [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] ||
		svc_skip "no cgroup v2 hierarchy to delegate"
	[ -d /sys/fs/cgroup/unified ] || SVC_CGROUP=/sys/fs/cgroup/$SVC_NAME
	[ $with_mutter = 0 ] || command -v mutter >/dev/null || svc_skip "mutter is not installed"

	exec 9>"$SVC_LOCK"
	flock 9
	trap svc_teardown EXIT
	trap 'exit 130' INT TERM

	svc_reap_stale
	if [ ! -d /run/systemd/system ]; then
		mkdir -p /run/systemd/system && SVC_MARKER_CREATED=1
	fi
	useradd -m -s /bin/bash "$SVC_USER" || svc_fail "useradd $SVC_USER"
	SVC_HOME=$(getent passwd "$SVC_USER" | cut -d: -f6)
	SVC_RT=$(mktemp -d /tmp/lfsvc-rt.XXXXXX)
	chown "$SVC_USER:" "$SVC_RT"; chmod 0700 "$SVC_RT"
	mkdir "$SVC_CGROUP" || svc_fail "mkdir $SVC_CGROUP"
	chown -R "$SVC_USER:" "$SVC_CGROUP"

	# WirePlumber, quiet and headless (recipes §1).
	svc_run mkdir -p "$SVC_HOME/.config/wireplumber/main.lua.d" "$SVC_HOME/.config/wireplumber/bluetooth.lua.d"
	svc_run sh -c 'printf "alsa_monitor.enabled = false\nv4l2_monitor.enabled = false\nlibcamera_monitor.enabled = false\n" > ~/.config/wireplumber/main.lua.d/90-headless.lua;
		printf "bluez_monitor.enabled = false\n" > ~/.config/wireplumber/bluetooth.lua.d/90-headless.lua'

	bash -c "echo \$\$ > $SVC_CGROUP/cgroup.procs && exec runuser -u $SVC_USER -- env -i HOME=$SVC_HOME USER=$SVC_USER \
		PATH=/usr/bin:/bin XDG_RUNTIME_DIR=$SVC_RT LANG=C.UTF-8 /lib/systemd/systemd --user" \
		>"$SVC_HOME/manager.log" 2>&1 &
	SVC_MANAGER_PID=$!
	svc_wait_for 20 svc_ctl is-system-running --wait ||
		svc_wait_for 5 svc_ctl status || svc_fail "systemd --user did not come up"
	svc_ctl set-environment "DBUS_SESSION_BUS_ADDRESS=unix:path=$SVC_RT/bus" GSETTINGS_BACKEND=memory NO_AT_BRIDGE=1
	svc_ctl start dbus.socket pipewire.socket pipewire.service wireplumber.service ||
		svc_fail "cannot start dbus/pipewire/wireplumber user units"
	svc_wait_for 20 svc_pw_ready || svc_fail "WirePlumber did not get ready"
	if [ $with_mutter = 1 ]; then
		svc_mutter_start
	fi
}

svc_pw_ready()
{
	local out
	out=$(svc_run pw-cli ls Metadata 2>/dev/null) || return 1
	grep -q 'metadata.name = "default"' <<<"$out"
}

svc_mutter_up() { svc_run busctl --user status org.gnome.Mutter.ScreenCast >/dev/null 2>&1; }

# Mutter and a repainting Wayland client (Mutter only sends frames on change).
svc_mutter_start()
{
	svc_run systemd-run --user --quiet --unit=lf-mutter --collect \
		-E GSETTINGS_BACKEND=memory -E NO_AT_BRIDGE=1 \
		mutter --headless --virtual-monitor 1280x720 --wayland --no-x11 --wayland-display=lf-wayland ||
		svc_fail "cannot start mutter"
	svc_wait_for 20 svc_mutter_up || svc_fail "Mutter's ScreenCast did not appear on the bus"
	svc_run systemd-run --user --quiet --unit=lf-painter --collect -E WAYLAND_DISPLAY=lf-wayland \
		gst-launch-1.0 -q videotestsrc is-live=true pattern=ball \
		! video/x-raw,width=640,height=480,framerate=30/1 ! waylandsink ||
		svc_fail "cannot start the repainting client"
}

svc_mutter_stop() { svc_ctl stop lf-painter.service lf-mutter.service; }

# Binaries into the user's home (it cannot read the build tree), units with
# @BINDIR@ substituted the way `make install` does.
svc_install()
{
	local bin=$SVC_HOME/.local/bin units=$SVC_HOME/.config/systemd/user u
	mkdir -p "$bin" "$units"
	cp "$LF_BUILD/lastframed" "$LF_BUILD/lastframe" "$bin/" || svc_fail "no built binaries in $LF_BUILD"
	cp -P "$LF_BUILD"/liblastframe.so* "$bin/"
	for u in "$LF_ROOT"/systemd/*.service "$LF_ROOT"/systemd/*.socket; do
		sed "s|@BINDIR@|$bin|g" "$u" > "$units/$(basename "$u")"
	done
	# No journald here: the daemon's output goes to a file svc_dump shows.
	mkdir -p "$units/lastframed.service.d"
	printf '[Service]\nStandardOutput=append:%s\nStandardError=inherit\n' \
		"$SVC_HOME/lastframed.log" > "$units/lastframed.service.d/10-test-log.conf"
	# Sanitizer builds: LeakSanitizer stops the world with ptrace, which
	# SystemCallFilter=@system-service forbids (exit 1 at shutdown).
	if grep -q fsanitize "$LF_BUILD/.flags" 2>/dev/null; then
		printf '[Service]\nSystemCallFilter=@debug\n' > "$units/lastframed.service.d/10-test-san.conf"
	fi
	chown -R "$SVC_USER:" "$SVC_HOME/.local" "$SVC_HOME/.config"
	svc_ctl daemon-reload || svc_fail "daemon-reload"
}

# lastframed's config file for the user.
svc_config()
{
	svc_run mkdir -p "$SVC_HOME/.config/lastframe"
	printf '%s\n' "$@" | svc_run tee "$SVC_HOME/.config/lastframe/lastframed.conf" >/dev/null
}

# A drop-in for lastframed.service (e.g. a short WatchdogSec for a test).
svc_dropin()
{
	local name=$1; shift
	svc_run mkdir -p "$SVC_HOME/.config/systemd/user/lastframed.service.d"
	printf '%s\n' "$@" | svc_run tee "$SVC_HOME/.config/systemd/user/lastframed.service.d/$name.conf" >/dev/null
	svc_ctl daemon-reload
}

svc_lastframe() { svc_run "$SVC_HOME/.local/bin/lastframe" "$@"; }

# Grab one frame into the user's home and check it is a PNG of size WxH.
svc_grab_ok()
{
	local want=${1:-} out
	out=$(svc_lastframe --timeout 3 grab "$SVC_HOME/grab.png" --json 2>&1) || return 1
	[ -s "$SVC_HOME/grab.png" ] || return 1
	[ -z "$want" ] || grep -q "\"width\":${want%x*},\"height\":${want#*x}" <<<"$out" ||
		file "$SVC_HOME/grab.png" 2>/dev/null | grep -q "${want%x*} x ${want#*x}"
}
