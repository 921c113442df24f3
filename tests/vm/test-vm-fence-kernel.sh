#!/usr/bin/env bash
# The fence waiter (fence/) on the real kernel inside the VM: vgem dumb
# buffers with real write/read fences, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, a real
# pw_loop: wait, supersede, timeout (drop and publish), read fences don't
# block readers, memfd-as-dmabuf turns waiting off, already-signalled frames
# go out at once. Under valgrind when it is installed (leaks, fd misuse).
set -u
ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -e /dev/dri/card0 ] || { echo "no /dev/dri/card0 (not in the VM?)"; exit 77; }
bin=$ROOT/build/vm/bin/fence-kernel-check
[ -x "$bin" ] || { echo "$bin not built (tests/vm/build-helpers)"; exit 77; }
# Not with a sanitizer build (make SAN=1): ASan checks it then.
if command -v valgrind >/dev/null 2>&1 && [ "${LF_VM_VALGRIND:-1}" = 1 ] &&
   ! grep -q -- '-fsanitize=' "$ROOT/build/.flags" 2>/dev/null; then
  exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 \
    "$bin" /dev/dri/card0
fi
exec "$bin" /dev/dri/card0
