#!/usr/bin/env bash
# Issue 15: `make install` puts the plugin in GStreamer's plugin directory
# (below PREFIX when one is given), `make install-user` in
# ~/.local/share/gstreamer-1.0/plugins, and the installed copy works on its
# own (liblastframe is linked in: nothing from the build tree is needed).
set -euo pipefail
LF_ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$LF_ROOT/tests/lib/session.sh"
source "$LF_ROOT/tests/lib/frames.sh"
source "$LF_ROOT/tests/integration/gst-lib.sh"

lf_session_start
lf_gst_setup
san_make=SAN=
grep -q fsanitize "$LF_BUILD/.flags" 2>/dev/null && san_make=SAN=1
pluginsdir=$(pkg-config --variable=pluginsdir gstreamer-1.0)

install_to() # LOG MAKE-ARGS...
{
	local log=$LF_TEST_DIR/$1
	shift
	make -C "$LF_ROOT" --no-print-directory -s "$san_make" "$@" >"$log" 2>&1 ||
		lf_fail "make $*: $(tail -n 5 "$log")"
}
install_to install-default.log install DESTDIR="$LF_TEST_DIR/d1"
[ -f "$LF_TEST_DIR/d1$pluginsdir/libgstlastframe.so" ] || lf_fail "make install: not in $pluginsdir"
install_to install-prefix.log install DESTDIR="$LF_TEST_DIR/d2" PREFIX=/opt/lf
[ -f "$LF_TEST_DIR/d2/opt/lf/lib/gstreamer-1.0/libgstlastframe.so" ] ||
	lf_fail "make install PREFIX=/opt/lf: not in /opt/lf/lib/gstreamer-1.0"
home=$LF_TEST_DIR/home
mkdir -p "$home"
HOME=$home install_to install-user.log install-user
[ -f "$home/.local/share/gstreamer-1.0/plugins/libgstlastframe.so" ] ||
	lf_fail "make install-user: not in ~/.local/share/gstreamer-1.0/plugins"
! ldd "$home/.local/share/gstreamer-1.0/plugins/libgstlastframe.so" | grep -q liblastframe ||
	lf_fail "the plugin needs liblastframe.so at run time"

lf_testsrc_start src --size 320x240 --rate 30
lf_daemon_start --no-config --target src
for where in user system; do
	if [ $where = user ]; then
		# GStreamer's own per-user directory, as a user's session finds it.
		env=(env -u GST_PLUGIN_PATH -u XDG_DATA_HOME HOME="$home" GST_REGISTRY="$LF_TEST_DIR/reg-user.bin")
		want=$home/.local/share/gstreamer-1.0/plugins/libgstlastframe.so
	else
		env=(env GST_PLUGIN_PATH="$LF_TEST_DIR/d1$pluginsdir" GST_REGISTRY="$LF_TEST_DIR/reg-sys.bin")
		want=$LF_TEST_DIR/d1$pluginsdir/libgstlastframe.so
	fi
	"${env[@]}" gst-inspect-1.0 lastframesrc >"$LF_TEST_DIR/inspect-$where.log" 2>&1 ||
		lf_fail "$where: gst-inspect-1.0 does not find the installed plugin"
	grep -q "Filename  *$want" "$LF_TEST_DIR/inspect-$where.log" ||
		lf_fail "$where: loaded $(grep Filename "$LF_TEST_DIR/inspect-$where.log"), want $want"
	rm -f "$LF_TEST_DIR/$where.png"
	"${env[@]}" timeout -k 2 20 gst-launch-1.0 -q lastframesrc num-buffers=1 ! videoconvert ! pngenc ! \
		filesink location="$LF_TEST_DIR/$where.png" >"$LF_TEST_DIR/gst-$where.log" 2>&1 ||
		lf_fail "$where: $(tail -n 3 "$LF_TEST_DIR/gst-$where.log")"
	lf_verify "$LF_TEST_DIR/$where.png" 320x240 || lf_fail "$where: $LF_VERIFY"
	lf_log "installed plugin ($where): $want, $LF_VERIFY"
done
