# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Frame helpers for integration tests, on top of tests/lib/session.sh:
#   lf_json_get JSON KEY        a scalar field of a flat JSON object ("" if absent)
#   lf_verify FILE [WxH]        lastframe-testsrc --verify; sets LF_VERIFY (the JSON)
#                               and LF_COUNTER; 0 when the frame is complete
#   lf_grab FILE [ARGS...]      lastframe grab FILE (ARGS go to lastframe)
#   lf_grab_verify FILE [WxH]   grab + verify; 0 when complete (and of that size)
#   lf_wait_grab TIMEOUT FILE [WxH]  retry lf_grab_verify until it succeeds or fail
#   lf_testsrc_last N_KIND      last counter the producer logged for a kind
#                               (frame|cursor|corrupt), from $LF_TESTSRC_LOG
#   lf_info_field KEY           a field of `lastframe info --json`
# Needs lastframe-testsrc --verbose for lf_testsrc_last.

LF_VERIFY=""
LF_COUNTER=""

lf_json_get()
{
	local json=$1 key=$2
	if [[ $json =~ \"$key\":\"([^\"]*)\" ]]; then
		printf '%s\n' "${BASH_REMATCH[1]}"
	elif [[ $json =~ \"$key\":([^,\}]*) ]]; then
		printf '%s\n' "${BASH_REMATCH[1]}"
	else
		printf '\n'
	fi
}

lf_verify()
{
	local file=$1 size=${2:-} rc=0
	local args=(--verify "$file")
	[ -z "$size" ] || args+=(--expect-size "$size")
	LF_VERIFY=$("$LF_BUILD/lastframe-testsrc" "${args[@]}" 2>/dev/null) || rc=$?
	LF_COUNTER=$(lf_json_get "$LF_VERIFY" counter)
	return "$rc"
}

lf_grab()
{
	local file=$1
	shift
	rm -f "$file"
	"$LF_BUILD/lastframe" --timeout "${LF_GRAB_TIMEOUT:-5}" "$@" grab "$file"
}

lf_grab_verify()
{
	local file=$1 size=${2:-} err
	if ! err=$(lf_grab "$file" 2>&1 >/dev/null); then
		LF_VERIFY="grab failed: ${err//$'\n'/ }"
		LF_COUNTER=""
		return 1
	fi
	lf_verify "$file" "$size"
}

lf_wait_grab()
{
	local timeout=$1 file=$2 size=${3:-}
	lf_try_for "$timeout" lf_grab_verify "$file" "$size" ||
		lf_fail "no complete ${size:+$size }frame within ${timeout}s: $LF_VERIFY"
}

lf_testsrc_last()
{
	local kind=${1:-frame} log=${LF_TESTSRC_LOG:-} line
	[ -n "$log" ] && [ -f "$log" ] || { echo ""; return 1; }
	line=$(grep "^queued counter=[0-9]* kind=$kind " "$log" | tail -n 1 || true)
	[[ $line =~ counter=([0-9]+) ]] || { echo ""; return 1; }
	echo "${BASH_REMATCH[1]}"
}

lf_info_field()
{
	local json
	json=$("$LF_BUILD/lastframe" --timeout 2 info --json 2>/dev/null) || return 1
	lf_json_get "$json" "$1"
}
