# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Helpers shared by the test-dmabuf-*.sh tests (sourced after session.sh).

for _b in lastframed lastframe lastframe-testsrc; do
	[ -x "$LF_BUILD/$_b" ] || lf_skip "$LF_BUILD/$_b not built"
done
unset _b

# The test producer's "dmabufs" are memfds labelled DmaBuf: on a machine with
# a GPU the daemon's import probe would rightly refuse them and renegotiate
# to shared memory, so these tests switch it off (a no-op without a GPU).
LF_DAEMON_ARGS="${LF_DAEMON_ARGS:+$LF_DAEMON_ARGS }--no-import-probe"

# lf_dmabuf_info: `lastframe info --json` into $LF_INFO (empty on error).
lf_dmabuf_info()
{
	LF_INFO=$("$LF_BUILD/lastframe" --timeout 2 info --json 2>/dev/null) || LF_INFO=""
}

# lf_dmabuf_json_get KEY: a scalar from $LF_INFO (string quotes stripped).
lf_dmabuf_json_get()
{
	local v
	v=$(printf '%s\n' "$LF_INFO" | sed -n "s/.*\"$1\":\\(\"[^\"]*\"\\|[^,}]*\\).*/\\1/p")
	v=${v#\"}
	printf '%s\n' "${v%\"}"
}

# True when the daemon streams with the given drm_format, buffer_type and
# modifier ("none" = no modifier negotiated).
lf_dmabuf_is()
{
	local fourcc=$1 btype=$2 mod=$3
	lf_dmabuf_info
	[ "$(lf_dmabuf_json_get state)" = streaming ] || return 1
	[ "$(lf_dmabuf_json_get drm_format)" = "$fourcc" ] || return 1
	[ "$(lf_dmabuf_json_get buffer_type)" = "$btype" ] || return 1
	if [ "$mod" = none ]; then
		[ "$(lf_dmabuf_json_get has_modifier)" = false ] || return 1
	else
		[ "$(lf_dmabuf_json_get has_modifier)" = true ] || return 1
		[ "$(lf_dmabuf_json_get modifier_name)" = "$mod" ] ||
			[ "$(lf_dmabuf_json_get modifier)" = "$mod" ] || return 1
	fi
}

# lf_dmabuf_expect FOURCC BUFTYPE MODIFIER: wait for that negotiation or fail
# showing what was negotiated instead.
lf_dmabuf_expect()
{
	if ! lf_try_for 10 lf_dmabuf_is "$@"; then
		lf_fail "expected $1/$2/modifier $3, daemon reports: ${LF_INFO:-nothing}"
	fi
	lf_log "negotiated $1 $2 modifier $3"
}

# lf_dmabuf_grab_ok NAME [WxH]: grab a frame and check the test pattern is
# complete (right pixels, not a torn or stale buffer).
lf_dmabuf_grab_ok()
{
	local f=$LF_TEST_DIR/$1.ppm out
	shift
	"$LF_BUILD/lastframe" --timeout 5 grab "$f" || lf_fail "grab failed"
	out=$("$LF_BUILD/lastframe-testsrc" --verify "$f" ${1:+--expect-size "$1"}) ||
		lf_fail "grabbed frame is not a complete test pattern: $out"
	lf_log "frame ok: $out"
	LF_COUNTER=$(printf '%s\n' "$out" | sed -n 's/.*"counter":\([0-9]*\).*/\1/p')
}

# lf_dmabuf_stat KEY: one counter of `lastframe stats --json`.
lf_dmabuf_stat()
{
	local s
	s=$("$LF_BUILD/lastframe" --timeout 2 stats --json) || return 1
	printf '%s\n' "$s" | sed -n "s/.*\"$1\":\\([0-9]*\\).*/\\1/p"
}

# lf_dmabuf_frames_flow: frames arrive at a GPU client (for modifiers the
# CPU cannot read: those clients import them on their GPU).
lf_dmabuf_frames_flow()
{
	"$LF_BUILD/lastframe" --timeout 5 watch --gpu --frames 3 --json >"$LF_TEST_DIR/watch.out" ||
		lf_fail "no frames reach clients"
	lf_log "frames flow"
}

# lf_dmabuf_check MODIFIER NAME: correct pixels, newer ones on the next grab.
# INVALID too: without GPU readback (no GPU here) the daemon tells CPU
# readers to map it as linear, which is what these memfds are (Mutter 43).
lf_dmabuf_check()
{
	lf_dmabuf_grab_ok "$2" 320x240
	lf_dmabuf_newer "$2"
}

# lf_dmabuf_newer NAME: a later grab sees a newer frame than $LF_COUNTER.
lf_dmabuf_newer()
{
	local first=$LF_COUNTER
	lf__newer() {
		local f=$LF_TEST_DIR/$1-next.ppm out c
		"$LF_BUILD/lastframe" --timeout 2 grab "$f" 2>/dev/null || return 1
		out=$("$LF_BUILD/lastframe-testsrc" --verify "$f" --expect-size 320x240) || return 1
		c=$(printf '%s\n' "$out" | sed -n 's/.*"counter":\([0-9]*\).*/\1/p')
		[ -n "$c" ] && [ "$c" -gt "$first" ]
	}
	lf_wait_for 5 lf__newer "$1"
}
