# shellcheck shell=bash
# A real headless wlroots desktop for the ScreenCast portal tests (recipes §8):
# sway 1.7 (headless backend, pixman renderer), xdg-desktop-portal and
# xdg-desktop-portal-wlr on the private session of tests/lib/session.sh.
# sway refuses to run as root, so as root the test script runs itself again
# as a throw-away user (portal_enter) and removes the user afterwards.
#
# xdg-desktop-portal-wlr (xdpw): Debian 12's 0.7.0 fails Start without a DRM
# device (it insists on a dmabuf format from wlr-screencopy, which pixman-only
# wlroots never offers). Without a render node the harness builds xdpw from
# Debian's own source package with xdpw-shm-only.patch (cached under
# build/xdpw/VERSION, never installed); with one, the stock binary runs.
#
# Both portals are started the way a desktop starts them, by D-Bus activation,
# through service files in $XDG_DATA_HOME/dbus-1/services that win over the
# system's and log to the test dir. xdpw asks a chooser command that records
# each call ($LF_TEST_DIR/chooser.calls) and answers $PORTAL_OUTPUT, or
# nothing (the user cancelled) while $LF_TEST_DIR/chooser.cancel exists, after
# 2 s (a user looking) while $LF_TEST_DIR/chooser.slow exists.
#
#   portal_enter "$@"        first thing in a test (before session.sh)
#   portal_desktop_start     session + sway + portal config (portals start on demand)
#   portal_sway_start / portal_sway_stop [SIG]
#   portal_xdp_pid / portal_xdpw_pid   the running portal's pid ("" when none)
#   portal_chooser_calls     how often the chooser ran
#   portal_stack_restart     everything down (lastframed too) and up again, same dirs
#   portal_check_color FILE.ppm RRGGBB   every sampled pixel has that colour
#   portal_wait_color FILE.ppm RRGGBB    grab until it does (swaybg paints late), 10 s
#   portal_now_ms
#   portal_grab FILE [MIN_GENERATION [TIMEOUT_S]]   a frame of a generation >= MIN into
#                            FILE (.ppm); sets PORTAL_GEN
#   portal_repaint RRGGBB    a new background colour (xdpw sends frames only on damage:
#                            a static screen sends nothing, also not to a new session)
#   portal_streams           how many portal streams lastframed logged (all its logs)
#   portal_frames_again N [TIMEOUT_S]   repaint until lastframed has had N portal
#                            streams and a frame shows the colour just painted

PORTAL_OUTPUT=HEADLESS-1
PORTAL_BG=2a7fd4
PORTAL_VERSION_FILE=
: "${LF_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${LF_BUILD:=$LF_ROOT/build}"

portal_now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# Debian's xdpw source, patched and built once per version.
portal__build_xdpw()
{
	local ver codename cache work apt lock rc=0
	ver=$(dpkg-query -W -f='${Version}' xdg-desktop-portal-wlr 2>/dev/null) ||
		{ echo "xdg-desktop-portal-wlr is not installed (run tools/install-deps)"; return 77; }
	cache=$LF_BUILD/xdpw/$ver
	if [ -x "$cache/xdg-desktop-portal-wlr" ]; then
		echo "$cache/xdg-desktop-portal-wlr"
		return 0
	fi
	for t in meson ninja patch apt-get; do
		command -v $t >/dev/null || { echo "$t missing: cannot build xdpw (run tools/install-deps)"; return 77; }
	done
	mkdir -p "$LF_BUILD/xdpw"
	lock=$LF_BUILD/xdpw/.lock
	exec 9>"$lock"
	flock 9
	if [ -x "$cache/xdg-desktop-portal-wlr" ]; then
		echo "$cache/xdg-desktop-portal-wlr"
		return 0
	fi
	work=$(mktemp -d "$LF_BUILD/xdpw/work.XXXXXX")
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	# A private deb-src list and lists dir: the system's apt config stays as it is.
	mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/src"
	echo "deb-src ${LF_DEBIAN_MIRROR:-http://deb.debian.org/debian} $codename main" >"$work/sources.list"
	apt=(apt-get -q -o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=/nonexistent
	     -o "Dir::State::lists=$work/lists" -o "Dir::Cache=$work/cache" -o Debug::NoLocking=1
	     -o APT::Sandbox::User=root)
	{
		"${apt[@]}" update &&
		(cd "$work/src" && "${apt[@]}" source "xdg-desktop-portal-wlr=$ver")
	} >"$work/fetch.log" 2>&1 || rc=77
	if [ $rc = 0 ]; then
		local srcdir
		srcdir=$(find "$work/src" -maxdepth 1 -mindepth 1 -type d -name 'xdg-desktop-portal-wlr-*' | head -n1)
		{
			(cd "$srcdir" && patch -p1 <"$LF_ROOT/tests/integration/xdpw-shm-only.patch") &&
			meson setup -Dsystemd=disabled -Dman-pages=disabled "$work/build" "$srcdir" &&
			ninja -C "$work/build"
		} >"$work/build.log" 2>&1 || rc=1
	fi
	if [ $rc = 0 ]; then
		mkdir -p "$cache.tmp" && cp "$work/build/xdg-desktop-portal-wlr" "$cache.tmp/" &&
			rm -rf "$cache" && mv "$cache.tmp" "$cache" || rc=1
	fi
	if [ $rc = 0 ]; then
		rm -rf "$work"
		echo "$cache/xdg-desktop-portal-wlr"
		return 0
	fi
	if [ $rc = 77 ]; then
		echo "cannot fetch Debian's xdg-desktop-portal-wlr $ver source (no network?): $(tail -n1 "$work/fetch.log")"
	else
		echo "building the patched xdg-desktop-portal-wlr $ver failed: see $work/build.log"
	fi
	return $rc
}

portal__pick_xdpw()
{
	local out rc=0
	if compgen -G '/dev/dri/renderD*' >/dev/null; then
		PORTAL_XDPW=/usr/libexec/xdg-desktop-portal-wlr
		PORTAL_XDPW_KIND="stock $PORTAL_XDPW (a render node exists)"
		return 0
	fi
	out=$(portal__build_xdpw) || rc=$?
	if [ $rc != 0 ]; then
		echo "$out"
		exit $rc
	fi
	PORTAL_XDPW=$out
	PORTAL_XDPW_KIND="Debian's source with tests/integration/xdpw-shm-only.patch: $out (no render node here)"
}

# As root: run this script again as a throw-away user; as anyone else: go on.
portal_enter()
{
	local u rc=0 child
	for t in sway swaybg /usr/libexec/xdg-desktop-portal /usr/libexec/xdg-desktop-portal-wlr busctl; do
		command -v "$t" >/dev/null || { echo "$t not installed (run tools/install-deps)"; exit 77; }
	done
	if [ -z "${PORTAL_XDPW:-}" ]; then
		portal__pick_xdpw
		export PORTAL_XDPW PORTAL_XDPW_KIND
	fi
	[ "$(id -u)" -eq 0 ] || return 0
	u=lfportal$$
	useradd -M -d /nonexistent -s /usr/sbin/nologin "$u" || { echo "useradd $u failed"; exit 1; }
	# WirePlumber needs logind's dirs; a user cannot make them.
	for d in seats sessions users machines; do mkdir -p "/run/systemd/$d" 2>/dev/null || true; done
	runuser -u "$u" -- env -i PATH="$PATH" LANG=C.UTF-8 LF_ROOT="$LF_ROOT" LF_BUILD="$LF_BUILD" \
		PORTAL_XDPW="$PORTAL_XDPW" PORTAL_XDPW_KIND="$PORTAL_XDPW_KIND" \
		LF_KEEP_TEST_DIR="${LF_KEEP_TEST_DIR:-0}" LASTFRAME_PORTAL_CANCEL_RETRY_MS="${LASTFRAME_PORTAL_CANCEL_RETRY_MS:-}" LF_DAEMON_ARGS="${LF_DAEMON_ARGS:-}" bash "$0" "$@" &
	child=$!
	trap 'kill -TERM $child 2>/dev/null' TERM INT
	wait $child || rc=$?
	# wait returns early on a trapped signal: wait for the child to finish.
	while kill -0 $child 2>/dev/null; do wait $child; rc=$?; done
	for _ in 1 2 3 4 5; do
		userdel "$u" 2>/dev/null && break
		# Something of the throw-away user outlived its session bus.
		for p in $(pgrep -u "$u"); do kill -KILL "$p" 2>/dev/null; done
		sleep 0.2
	done
	exit $rc
}

portal__write_config()
{
	local bin=$LF_TEST_DIR/bin
	mkdir -p "$bin" "$XDG_DATA_HOME/dbus-1/services" "$XDG_CONFIG_HOME/xdg-desktop-portal-wlr" \
		"$LF_TEST_DIR/home"
	export HOME=$LF_TEST_DIR/home
	cat >"$LF_TEST_DIR/sway.conf" <<-EOF
		output $PORTAL_OUTPUT resolution 1280x720 bg #$PORTAL_BG solid_color
		seat * hide_cursor 1
	EOF
	cat >"$bin/chooser" <<-EOF
		#!/bin/sh
		echo called >>"$LF_TEST_DIR/chooser.calls"
		[ ! -e "$LF_TEST_DIR/chooser.slow" ] || sleep 2
		[ -e "$LF_TEST_DIR/chooser.cancel" ] || echo $PORTAL_OUTPUT
	EOF
	cat >"$XDG_CONFIG_HOME/xdg-desktop-portal-wlr/config" <<-EOF
		[screencast]
		max_fps=30
		chooser_type=simple
		chooser_cmd=$bin/chooser
	EOF
	# XDPW_PERSIST_MODE: xdpw 0.7 hands out restore tokens only with it.
	# The ping: xdpw 0.7 can miss the message that bus-activated it (it
	# arrives while sd_bus_request_name() waits, gets queued, and xdpw then
	# sleeps in poll() with it unread: seen here as xdg-desktop-portal
	# hanging 25 s at startup). Any later message wakes it up.
	cat >"$bin/xdpw" <<-EOF
		#!/bin/sh
		export WAYLAND_DISPLAY=\$(cat "$LF_TEST_DIR/wayland-display" 2>/dev/null)
		export XDG_CURRENT_DESKTOP=sway XDPW_PERSIST_MODE=permanent
		"$PORTAL_XDPW" -l INFO -c "$XDG_CONFIG_HOME/xdg-desktop-portal-wlr/config" >>"$LF_TEST_DIR/xdpw.log" 2>&1 &
		pid=\$!
		echo \$pid >"$LF_TEST_DIR/xdpw.pid"
		trap 'kill \$pid' TERM
		for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
			kill -0 \$pid 2>/dev/null || break
			busctl --user --timeout=1 call org.freedesktop.impl.portal.desktop.wlr /org/freedesktop/portal/desktop \\
				org.freedesktop.DBus.Peer Ping >/dev/null 2>&1 && break
			sleep 0.1
		done
		wait \$pid
	EOF
	cat >"$bin/xdp" <<-EOF
		#!/bin/sh
		echo \$\$ >"$LF_TEST_DIR/xdp.pid"
		export WAYLAND_DISPLAY=\$(cat "$LF_TEST_DIR/wayland-display" 2>/dev/null)
		export XDG_CURRENT_DESKTOP=sway
		exec /usr/libexec/xdg-desktop-portal -v >>"$LF_TEST_DIR/xdp.log" 2>&1
	EOF
	chmod +x "$bin/chooser" "$bin/xdpw" "$bin/xdp"
	printf '[D-BUS Service]\nName=org.freedesktop.impl.portal.desktop.wlr\nExec=%s\n' "$bin/xdpw" \
		>"$XDG_DATA_HOME/dbus-1/services/org.freedesktop.impl.portal.desktop.wlr.service"
	printf '[D-BUS Service]\nName=org.freedesktop.portal.Desktop\nExec=%s\n' "$bin/xdp" \
		>"$XDG_DATA_HOME/dbus-1/services/org.freedesktop.portal.Desktop.service"
}

portal_sway_start()
{
	local before sock
	rm -f "$LF_TEST_DIR/wayland-display"
	before=$(cd "$XDG_RUNTIME_DIR" && ls -d wayland-* 2>/dev/null | grep -v lock || true)
	WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman \
		lf_bg sway sway -c "$LF_TEST_DIR/sway.conf"
	PORTAL_SWAY_PID=$LF_BG_PID
	portal__sway_socket() {
		sock=$(cd "$XDG_RUNTIME_DIR" && ls -d wayland-* 2>/dev/null | grep -v lock | head -n1)
		[ -n "$sock" ] && [ -S "$XDG_RUNTIME_DIR/$sock" ]
	}
	lf_try_for 10 lf__proc_check "$PORTAL_SWAY_PID" sway portal__sway_socket ||
		lf_fail "sway did not create its Wayland socket"
	echo "$sock" >"$LF_TEST_DIR/wayland-display"
}

portal_sway_stop()
{
	lf_stop "$PORTAL_SWAY_PID" "${1:-TERM}"
	PORTAL_SWAY_PID=
}

portal__pidfile_pid()
{
	local p
	p=$(cat "$LF_TEST_DIR/$1.pid" 2>/dev/null) || return 0
	kill -0 "$p" 2>/dev/null && echo "$p"
	return 0
}
portal_xdp_pid() { portal__pidfile_pid xdp; }
portal_xdpw_pid() { portal__pidfile_pid xdpw; }

portal_chooser_calls()
{
	if [ -e "$LF_TEST_DIR/chooser.calls" ]; then
		grep -c . "$LF_TEST_DIR/chooser.calls"
	else
		echo 0
	fi
}

# Before the portals, or it sees them go and activates new ones.
portal__stop_daemon()
{
	[ -z "${LF_DAEMON_PID:-}" ] || lf_stop "$LF_DAEMON_PID"
}

# Activated processes are not ours to track with lf_bg: stop them by pid.
portal__stop_activated()
{
	local p
	for p in "$(portal_xdp_pid)" "$(portal_xdpw_pid)"; do
		[ -n "$p" ] || continue
		kill -TERM "$p" 2>/dev/null
		lf_try_for 3 eval "! kill -0 $p 2>/dev/null" || kill -KILL "$p" 2>/dev/null
	done
	return 0
}

portal_desktop_start()
{
	source "$LF_ROOT/tests/lib/session.sh"
	lf_session_start
	lf_on_exit portal__stop_activated
	lf_on_exit portal__stop_daemon
	lf_log "xdg-desktop-portal-wlr: $PORTAL_XDPW_KIND"
	portal__write_config
	# The bus started before our service dirs existed: make it look again.
	busctl --user call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
		ReloadConfig >/dev/null || lf_fail "dbus-daemon ReloadConfig failed"
	portal_sway_start
}

# Everything down, in the order a logout takes it, and up again on the same
# dirs (permission store and restore token stay on disk).
portal_stack_restart()
{
	[ -z "${LF_DAEMON_PID:-}" ] || lf_stop "$LF_DAEMON_PID"
	portal__stop_activated
	portal_sway_stop
	lf_stop "$LF_WIREPLUMBER_PID"
	lf_stop "$LF_PIPEWIRE_PID"
	lf_stop "$LF_DBUS_PID"
	rm -f "$XDG_RUNTIME_DIR/bus" "$XDG_RUNTIME_DIR"/pipewire-0*
	lf_bg dbus dbus-daemon --session --address="$DBUS_SESSION_BUS_ADDRESS" --nofork --nopidfile
	LF_DBUS_PID=$LF_BG_PID
	lf_try_for 10 lf__proc_check "$LF_DBUS_PID" dbus-daemon test -S "$XDG_RUNTIME_DIR/bus" ||
		lf_fail "dbus-daemon did not come back"
	lf_bg pipewire pipewire
	LF_PIPEWIRE_PID=$LF_BG_PID
	lf_try_for 10 lf__proc_check "$LF_PIPEWIRE_PID" pipewire test -S "$XDG_RUNTIME_DIR/pipewire-0" ||
		lf_fail "pipewire did not come back"
	lf_bg wireplumber wireplumber
	LF_WIREPLUMBER_PID=$LF_BG_PID
	lf_try_for 20 lf__proc_check "$LF_WIREPLUMBER_PID" wireplumber lf__metadata_ready ||
		lf_fail "wireplumber did not come back"
	portal_sway_start
}

# Samples a grid of pixels of a binary PPM; all must be RRGGBB.
portal_check_color()
{
	python3 - "$1" "$2" <<-'PY'
		import re, sys
		data = open(sys.argv[1], 'rb').read()
		want = bytes.fromhex(sys.argv[2])
		m = re.match(rb'P6\s+(\d+)\s+(\d+)\s+255\s', data)
		assert m, data[:20]
		w, h = int(m.group(1)), int(m.group(2))
		px = data[m.end():]
		def at(x, y):
		    return px[(y * w + x) * 3:(y * w + x) * 3 + 3]
		bad = [(x, y, at(x, y).hex()) for y in range(0, h, h // 8) for x in range(0, w, w // 8)
		       if at(x, y) != want]
		if bad:
		    sys.exit(f"{w}x{h}: {len(bad)} sampled pixels differ from {sys.argv[2]}, e.g. {bad[:3]}")
		print(f"{w}x{h}, sampled pixels all #{sys.argv[2]}")
	PY
}

portal_grab()
{
	local file=$1 min=${2:-0} timeout=${3:-15} json gen deadline
	deadline=$(( $(portal_now_ms) + timeout * 1000 ))
	while :; do
		if json=$("$LF_BUILD/lastframe" --timeout 1 grab "$file" --json 2>/dev/null); then
			gen=$(jq -r .generation <<<"$json")
			if [ "$gen" -ge "$min" ]; then
				PORTAL_GEN=$gen
				return 0
			fi
		fi
		[ "$(portal_now_ms)" -lt "$deadline" ] || lf_fail "no frame of generation >= $min within ${timeout}s"
		sleep 0.05
	done
}

portal_wait_color()
{
	local out deadline
	deadline=$(( $(portal_now_ms) + 10000 ))
	while :; do
		portal_grab "$1"
		out=$(portal_check_color "$1" "$2" 2>&1) && { echo "$out"; return 0; }
		[ "$(portal_now_ms)" -lt "$deadline" ] || { echo "$out"; return 1; }
		sleep 0.1
	done
}

# Frames again: repaint (a new colour every round, as a live desktop would
# damage the screen) until lastframed's log shows its Nth portal stream and a
# frame has the colour just painted. Sets PORTAL_COLOR, and PORTAL_STREAM_AT
# (ms) when the log first showed that stream (polled: +0.3 s at most).
PORTAL_ROUND=0
portal_streams() { grep -c "portal: streaming" "$LF_TEST_DIR"/lastframed*.log | awk -F: '{n += $NF} END {print n + 0}'; }
portal_frames_again()
{
	local want=$1 timeout=${2:-15} c= painted_at=0 deadline
	deadline=$(( $(portal_now_ms) + timeout * 1000 ))
	PORTAL_STREAM_AT=
	while :; do
		[ -n "$PORTAL_STREAM_AT" ] || [ "$(portal_streams)" -lt "$want" ] || PORTAL_STREAM_AT=$(portal_now_ms)
		# A colour stays 1.5 s before the next: a new one every round
		# outran swaybg on a loaded machine (each grab saw the one before).
		if [ -z "$c" ] || [ $(( $(portal_now_ms) - painted_at )) -gt 1500 ]; then
			PORTAL_ROUND=$((PORTAL_ROUND + 1))
			c=$(printf '%02x%02x%02x' $((PORTAL_ROUND * 37 % 200 + 20)) \
				$((PORTAL_ROUND * 91 % 200 + 20)) $((PORTAL_ROUND * 53 % 200 + 20)))
			[ -z "$PORTAL_SWAY_PID" ] || portal_repaint "$c" 2>/dev/null || true
			painted_at=$(portal_now_ms)
		fi
		if [ "$(portal_streams)" -ge "$want" ] &&
		   "$LF_BUILD/lastframe" --timeout 0.25 grab "$LF_TEST_DIR/again.ppm" >/dev/null 2>&1 &&
		   portal_check_color "$LF_TEST_DIR/again.ppm" "$c" >/dev/null 2>&1; then
			PORTAL_COLOR=$c
			[ -n "$PORTAL_STREAM_AT" ] || PORTAL_STREAM_AT=$(portal_now_ms)
			return 0
		fi
		[ "$(portal_now_ms)" -lt "$deadline" ] ||
			lf_fail "no frame of portal stream $want with the painted colour within ${timeout}s"
		sleep 0.05
	done
}

portal_repaint()
{
	local sock
	sock=$(ls "$XDG_RUNTIME_DIR"/sway-ipc.*."$PORTAL_SWAY_PID".sock 2>/dev/null | head -n1)
	[ -n "$sock" ] || return 1
	SWAYSOCK=$sock swaymsg output '*' bg "#$1" solid_color >/dev/null
}
