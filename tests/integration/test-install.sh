#!/usr/bin/env bash
# make install honours PREFIX and DESTDIR; the installed header, library and
# lastframe.pc build a client (the README's example) that gets a real frame
# from a real daemon.
set -euo pipefail
source "$(dirname "$0")/../lib/session.sh"

lf_session_start
dest=$LF_TEST_DIR/dest
# Install what is built: the same SAN setting, or make would rebuild build/ under the other tests.
san_make=SAN=
grep -q fsanitize "$LF_ROOT/build/.flags" 2>/dev/null && san_make=SAN=1
make -C "$LF_ROOT" --no-print-directory -s "$san_make" install DESTDIR="$dest" PREFIX=/opt/lf >"$LF_TEST_DIR/install.log" 2>&1 \
	|| lf_fail "make install failed: $(tail -5 "$LF_TEST_DIR/install.log")"
for f in bin/lastframed bin/lastframe lib/liblastframe.so.0 include/lastframe.h \
	 lib/pkgconfig/lastframe.pc lib/systemd/user/lastframed.service \
	 lib/systemd/user/lastframed.socket share/man/man1/lastframe.1 share/man/man8/lastframed.8; do
	[ -e "$dest/opt/lf/$f" ] || lf_fail "not installed: $f"
done
grep -q '^ExecStart=/opt/lf/bin/lastframed' "$dest/opt/lf/lib/systemd/user/lastframed.service" \
	|| lf_fail "unit's ExecStart does not name the installed binary"

cat >"$LF_TEST_DIR/example.c" <<'C'
#include <lastframe.h>
#include <stdio.h>
int main(void)
{
	struct lastframe *lf;
	struct lastframe_frame *f;
	const void *px;
	size_t len;
	int r = lastframe_connect(NULL, &lf);
	if (r < 0) { fprintf(stderr, "connect: %s\n", lastframe_strerror(r)); return 1; }
	r = lastframe_next_frame(lf, 5000, &f);
	if (r < 0) { fprintf(stderr, "frame: %s\n", lastframe_strerror(r)); return 1; }
	r = lastframe_frame_map(lf, f, 0, &px, &len);
	if (r < 0) { fprintf(stderr, "map: %s\n", lastframe_strerror(r)); return 1; }
	printf("%ux%u stride %u first byte %u\n", f->width, f->height, f->planes[0].stride,
	       ((const unsigned char *)px)[f->planes[0].offset]);
	lastframe_frame_unmap(lf, f, 0);
	lastframe_frame_release(lf, f);
	lastframe_disconnect(lf);
	return 0;
}
C
# A sanitizer build's library needs the runtime in the program too.
san=()
grep -q fsanitize "$LF_ROOT/build/.flags" 2>/dev/null && san=(-fsanitize=address,undefined)
export PKG_CONFIG_PATH=$dest/opt/lf/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
# shellcheck disable=SC2046
cc -std=gnu17 -Wall -Werror "${san[@]}" -o "$LF_TEST_DIR/example" "$LF_TEST_DIR/example.c" \
	$(pkg-config --cflags --libs lastframe) -Wl,-rpath,"$dest/opt/lf/lib" \
	|| lf_fail "the example does not build against the installed files"

lf_testsrc_start instsrc --size 640x360 --rate 30
lf_daemon_start --target instsrc
out=$("$LF_TEST_DIR/example") || lf_fail "example failed: $out"
lf_log "example: $out"
grep -q '^640x360 stride 2560' <<<"$out" || lf_fail "unexpected frame: $out"
lf_log "ok"
