#!/usr/bin/env bash
# The fence waiter (fence/) on the real kernel inside the VM: vgem dumb
# buffers with real write/read fences, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, a real
# pw_loop: wait, supersede, timeout (drop and publish), read fences don't
# block readers, memfd-as-dmabuf turns waiting off, already-signalled frames
# go out at once. The numbers go to the log.
set -u
ROOT=${LF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -e /dev/dri/card0 ] || { echo "no /dev/dri/card0 (not in the VM?)"; exit 77; }
bin=$ROOT/build/vm/bin/fence-kernel-check
[ -x "$bin" ] || { echo "$bin not built (tests/vm/build-helpers)"; exit 77; }
exec "$bin" /dev/dri/card0
