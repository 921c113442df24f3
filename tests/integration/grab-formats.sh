# Shared body of test-capture-grab-{memfd,memptr}.sh (sourced; not a test by
# itself): every pixel format through `lastframe grab`, PNG and PPM, from a
# producer sending BUFFER-type buffers. The caller sets BUFFER and sources
# session.sh and frames.sh.
FORMATS=${LF_GRAB_FORMATS:-BGRx BGRA RGBx RGBA xRGB2101010 xBGR2101010 NV12}
SIZE=328x240 # width*4 is not a multiple of 64: the stride is padded

lf_session_start
for fmt in $FORMATS; do
	lf_log "--- $BUFFER $fmt"
	lf_testsrc_start "src-$fmt" --buffer "$BUFFER" --format "$fmt" --size "$SIZE" --rate 30 --verbose
	src=$LF_TESTSRC_PID
	lf_daemon_start --no-config --target "src-$fmt"
	lf_wait_grab 10 "$LF_TEST_DIR/$fmt.png" "$SIZE"
	lf_log "$fmt png: $LF_VERIFY"
	lf_grab_verify "$LF_TEST_DIR/$fmt.ppm" "$SIZE" || lf_fail "$BUFFER $fmt ppm: $LF_VERIFY"
	lf_log "$fmt ppm: $LF_VERIFY"
	[ "$(lf_json_get "$LF_VERIFY" format)" = "$fmt" ] || lf_fail "$fmt: frame says $LF_VERIFY"
	src_type=$(lf_info_field source_type) || lf_fail "lastframe info failed"
	[ "$src_type" = "$BUFFER" ] || lf_fail "$fmt: info says source_type=$src_type, want $BUFFER"
	lf_stop "$LF_DAEMON_PID"
	lf_stop "$src"
done
lf_log "all formats complete ($BUFFER)"
