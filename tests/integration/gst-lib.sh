# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared by test-gst-*.sh (sourced after session.sh and frames.sh; not a test
# by itself): the plugin from the build tree, a private registry, and checks of
# raw RGB output against lastframe-testsrc's pattern.
#   lf_gst_setup                 GST_PLUGIN_PATH=build/gst; skip without GStreamer
#   lf_gst_verify_rgb FILE WxH [first|last]
#                                one frame of a raw RGB file (filesink output) as
#                                PPM through `lastframe-testsrc --verify`; sets LF_VERIFY
#   lf_gst_launch SECS LOG ARGS  gst-launch-1.0 ARGS under a timeout, output in LOG;
#                                returns gst-launch's status (124: it hung)
#   LF_RECIPE_*                  the README's recipes, word for word (checked)

# The README shows these lines; the tests run them (the sink and the length
# may be substituted) and check the README still says the same.
LF_RECIPE_WEBM='timeout --foreground -s INT 10 gst-launch-1.0 -e lastframesrc keepalive-time=100 ! videoconvert ! vp8enc deadline=1 ! webmmux ! filesink location=desktop.webm'
LF_RECIPE_PNG='gst-launch-1.0 lastframesrc num-buffers=1 ! videoconvert ! pngenc ! filesink location=desktop.png'
LF_RECIPE_RTP_RECV='gst-launch-1.0 udpsrc port=5004 caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8" ! rtpvp8depay ! vp8dec ! videoconvert ! autovideosink'
LF_RECIPE_RTP_SEND='gst-launch-1.0 lastframesrc keepalive-time=100 ! videoconvert ! vp8enc deadline=1 ! rtpvp8pay ! udpsink host=127.0.0.1 port=5004'

lf_gst_setup()
{
	command -v gst-launch-1.0 >/dev/null || lf_skip "gst-launch-1.0 not installed (run tools/install-deps)"
	[ -f "$LF_BUILD/gst/libgstlastframe.so" ] || lf_fail "$LF_BUILD/gst/libgstlastframe.so not built"
	export GST_PLUGIN_PATH=$LF_BUILD/gst
	# Private registry: parallel tests never share a half-written one.
	export GST_REGISTRY=$LF_TEST_DIR/gst-registry.bin
	export GST_REGISTRY_FORK=no
	# make SAN=1: gst-launch-1.0 is not instrumented, so the sanitizer
	# runtimes must be loaded first for the plugin to load at all. GLib and
	# GStreamer keep allocations until exit: no leak report from them.
	local rt
	rt=$(ldd "$LF_BUILD/gst/libgstlastframe.so" | awk '/lib(asan|ubsan)\.so/ { printf "%s ", $3 }')
	if [ -n "$rt" ]; then
		export LD_PRELOAD="$rt${LD_PRELOAD:-}"
		# Own exit codes: a report must not pass for gst-launch's status 1
		# (an error the bad-input tests expect).
		export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:exitcode=86}
		export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:exitcode=87}
	fi
	gst-inspect-1.0 lastframesrc >"$LF_TEST_DIR/gst-inspect.log" 2>&1 ||
		lf_fail "gst-inspect-1.0 lastframesrc: $(tail -n 3 "$LF_TEST_DIR/gst-inspect.log")"
}

lf_gst_verify_rgb()
{
	local file=$1 size=$2 which=${3:-last} w h n fsize
	w=${size%x*}
	h=${size#*x}
	n=$((w * h * 3))
	fsize=$(stat -c %s "$file")
	if [ "$fsize" -lt "$n" ] || [ $((fsize % n)) -ne 0 ]; then
		LF_VERIFY="$file: $fsize bytes is not a whole number of ${size} RGB frames"
		return 1
	fi
	{
		printf 'P6\n%d %d\n255\n' "$w" "$h"
		if [ "$which" = first ]; then head -c "$n" "$file"; else tail -c "$n" "$file"; fi
	} >"$file.ppm"
	lf_verify "$file.ppm" "$size"
}

lf_gst_launch()
{
	local secs=$1 log=$2 rc=0
	shift 2
	timeout -k 2 "$secs" gst-launch-1.0 "$@" >"$log" 2>&1 || rc=$?
	return "$rc"
}

# lf_gst_readme_has RECIPE: the README still shows this exact line.
lf_gst_readme_has()
{
	grep -qF -- "$1" "$LF_ROOT/README.md" || lf_fail "README.md lost the recipe: $1"
}
