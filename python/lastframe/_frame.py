# SPDX-License-Identifier: MIT
"""Buffers (fds + cached mappings) and Frame, the object applications get."""
import errno
import fcntl
import mmap
import os
import select
import struct
import time
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

import numpy as np

from . import _convert as conv
from . import _proto as P
from .errors import BadBufferError, Error, TimeoutError, UnsupportedFormatError

if TYPE_CHECKING:  # pragma: no cover
    from ._receive import Receiver as Client

_MAP_POPULATE = getattr(mmap, "MAP_POPULATE", 0x8000)
# _IOW('b', 0, struct dma_buf_sync { __u64 flags; }) and its flags.
DMA_BUF_IOCTL_SYNC = 0x40086200
DMA_BUF_SYNC_READ = 1
DMA_BUF_SYNC_START = 0
DMA_BUF_SYNC_END = 4


def dmabuf_sync(fd: int, flags: int) -> None:
    """Brackets CPU reads of a dmabuf (START before, END after) so caches and
    the GPU agree on its content."""
    arg = struct.pack("=Q", flags | DMA_BUF_SYNC_READ)
    while True:
        try:
            fcntl.ioctl(fd, DMA_BUF_IOCTL_SYNC, arg)
            return
        except InterruptedError:
            continue
        except OSError as e:
            if e.errno == errno.EAGAIN:
                continue
            # A memfd behind a "dmabuf" label (SHM fallbacks, tests) has no sync.
            if e.errno in (errno.ENOTTY, errno.EINVAL):
                return
            raise Error(f"DMA_BUF_IOCTL_SYNC failed: {os.strerror(e.errno or 0)}",
                        e.errno or 0) from None


class Buffer:
    """A buffer the daemon announced (ADD_BUFFER). Reference counted: the
    registry of its generation holds one reference and every frame of it one,
    so a buffer removed while a frame is read stays mapped until release."""

    def __init__(self, msg: P.AddBuffer, fds: List[int], fmt: P.Format) -> None:
        self.generation = msg.generation
        self.id = msg.buffer_id
        self.type = msg.buffer_type
        self.planes = msg.planes
        self.fds = fds
        self.maps: List[Optional[mmap.mmap]] = [None] * len(fds)
        self.views: List[Optional[conv.PlaneData]] = [None] * len(fds)
        self.width, self.height, self.drm_format = fmt.width, fmt.height, fmt.drm_format
        self.modifier = fmt.modifier if fmt.flags & P.FORMAT_FLAG_MODIFIER else 0
        self.has_modifier = bool(fmt.flags & P.FORMAT_FLAG_MODIFIER)
        self.refs = 1

    def ref(self) -> "Buffer":
        self.refs += 1
        return self

    def unref(self) -> None:
        self.refs -= 1
        if self.refs > 0:
            return
        self.views = [None] * len(self.fds)
        for i, m in enumerate(self.maps):
            if m is not None:
                try:
                    m.close()
                except BufferError:
                    # The application still holds an array over it: the
                    # mapping goes with the last such array.
                    pass
                self.maps[i] = None
        for fd in self.fds:
            os.close(fd)
        self.fds = []

    def plane(self, i: int) -> conv.PlaneData:
        """The plane's readable bytes, mapped once and cached for later frames."""
        v = self.views[i]
        if v is not None:
            return v
        pl = self.planes[i]
        length = pl.offset + pl.size
        fd = self.fds[i]
        # Touching past the end of a file is SIGBUS: refuse a plane that
        # claims more than the fd holds (dmabufs report their size this way too).
        try:
            end = os.lseek(fd, 0, os.SEEK_END)
        except OSError:
            end = -1
        if 0 <= end < length:
            raise BadBufferError(
                f"lastframed sent a buffer smaller than announced: plane {i} needs "
                f"{length} bytes, its fd has {end}", errno.EBADMSG)
        try:
            m = mmap.mmap(fd, length, flags=mmap.MAP_SHARED | _MAP_POPULATE,
                          prot=mmap.PROT_READ)
        except (OSError, ValueError) as e:
            raise BadBufferError(f"cannot map frame plane {i}: {e}", errno.EBADMSG) from None
        self.maps[i] = m
        v = conv.PlaneData(np.frombuffer(m, dtype=np.uint8, count=pl.size, offset=pl.offset),
                           pl.stride)
        self.views[i] = v
        return v


def _visible(msg: P.FrameMsg, width: int, height: int) -> Tuple[int, int, int, int]:
    """The crop rectangle when the producer gave a sane one, else the whole
    picture (client/cli/grab.c frame_region())."""
    c = msg.crop
    if (msg.flags & P.FRAME_F_CROP and c.x >= 0 and c.y >= 0 and c.width > 0 and
            c.height > 0 and c.x < width and c.y < height and c.width <= width - c.x and
            c.height <= height - c.y):
        return c.x, c.y, c.width, c.height
    return 0, 0, width, height


class Frame:
    """One frame. From :meth:`Client.grab` it is a private copy, valid for
    ever. From :meth:`Client.frames` (or :meth:`Client.next_frame`) it holds
    the daemon's buffer (a lease) until :meth:`release`, the next iteration or
    the lease timeout (1 s by default): then :attr:`array` and
    ``to_numpy(copy=False)`` are zero-copy views of the shared memory.

    Attributes: ``seq`` (daemon sequence, increasing), ``width``, ``height``,
    ``format`` (e.g. ``"BGRx"``), ``drm_format`` (fourcc), ``modifier``,
    ``pts_ns`` (producer timestamp, CLOCK_MONOTONIC, 0 when unknown),
    ``daemon_recv_ns``, ``client_recv_ns``, ``skipped`` (frames missed before
    this one), ``generation``, ``buffer_id``, ``buffer_type``, ``flags``,
    ``crop`` and ``damage`` (:class:`lastframe.Rect`), ``cursor``. With a
    sane crop, ``width``/``height``, ``array`` and ``to_numpy()`` are the
    cropped picture, as `lastframe grab` saves it.
    """

    def __init__(self, client: "Client", epoch: int, msg: P.FrameMsg, buf: Buffer,
                 fences: List[int], now_ns: int) -> None:
        self._client: Optional["Client"] = client
        self._epoch = epoch
        self._buf: Optional[Buffer] = buf
        self._fences = fences
        self._synced = False
        self._planes: Optional[List[conv.PlaneData]] = None
        self._copied = False
        self.seq = msg.seq
        self.generation = msg.generation
        self.buffer_id = msg.buffer_id
        self._full = (buf.width, buf.height)
        self._region = _visible(msg, buf.width, buf.height)
        # The visible part, as the C CLI saves it: the crop when sane, else all.
        self.width, self.height = self._region[2], self._region[3]
        self.drm_format = buf.drm_format
        self.format = conv.format_name(buf.drm_format)
        self.modifier = buf.modifier
        self.buffer_type = "dmabuf" if buf.type == P.BUFFER_DMABUF else "memfd"
        self.pts_ns = msg.pts_ns
        self.daemon_recv_ns = msg.recv_ns
        self.daemon_send_ns = msg.send_ns
        self.client_recv_ns = now_ns
        self.skipped = msg.skipped
        self.flags = msg.flags
        self.crop = msg.crop if msg.flags & P.FRAME_F_CROP else None
        self.damage = msg.damage
        self.cursor: Optional[Tuple[int, int, int, int]] = (
            msg.cursor if msg.flags & P.FRAME_F_CURSOR else None)
        self.cursor_bitmap = msg.cursor_bitmap

    def __repr__(self) -> str:
        state = "copy" if self._copied else ("held" if self._buf else "released")
        return (f"<lastframe.Frame seq={self.seq} {self.width}x{self.height} "
                f"{self.format} {state}>")

    @property
    def held(self) -> bool:
        """True while the frame holds the daemon's buffer (a lease)."""
        return self._buf is not None

    @property
    def fence_timeout(self) -> bool:
        """The producer's GPU fence timed out: the content may be incomplete."""
        return bool(self.flags & P.FRAME_F_FENCE_TIMEOUT)

    # --- reading -----------------------------------------------------------
    def _wait_fences(self, timeout: float) -> None:
        if not self._fences:
            return
        deadline = time.monotonic() + timeout
        for fd in self._fences:
            p = select.poll()
            p.register(fd, select.POLLIN)
            while not p.poll(max(0.0, deadline - time.monotonic()) * 1000):
                if time.monotonic() >= deadline:
                    raise TimeoutError("the frame's GPU fence did not signal in time",
                                       errno.ETIMEDOUT)

    def _map(self) -> List[conv.PlaneData]:
        """The planes, checked against the format, ready for CPU reads."""
        if self._planes is not None:
            return self._planes
        buf = self._buf
        if buf is None:
            raise Error("the frame was released: its pixels are gone (copy them, or use "
                        "Client.grab(), which copies)", errno.EINVAL)
        if not conv.supported(self.drm_format):
            raise UnsupportedFormatError(
                f"cannot convert pixel format {conv.fourcc_str(self.drm_format)} "
                f"(0x{self.drm_format:08x})")
        if buf.type == P.BUFFER_DMABUF and buf.modifier != 0:
            # Tiled/compressed layouts cannot be read linearly from the CPU.
            name = "INVALID" if buf.modifier == P.MOD_INVALID else f"0x{buf.modifier:016x}"
            raise UnsupportedFormatError(f"cannot read frames with modifier {name} from the CPU")
        conv.check(self.drm_format, self._full[0], self._full[1],
                   [(p.size, p.stride) for p in buf.planes])
        self._wait_fences(5.0)
        planes = [buf.plane(i) for i in range(len(buf.fds))]
        if buf.type == P.BUFFER_DMABUF and not self._synced:
            for fd in buf.fds:
                dmabuf_sync(fd, DMA_BUF_SYNC_START)
            self._synced = True
        self._planes = planes
        return planes

    def _end_access(self) -> None:
        if self._synced and self._buf is not None:
            self._synced = False
            for fd in self._buf.fds:
                dmabuf_sync(fd, DMA_BUF_SYNC_END)

    @property
    def planes(self) -> List[np.ndarray]:
        """Each plane's bytes as a (rows, stride) uint8 array (views while held)."""
        out = []
        for p in self._map():
            rows = p.data.size // p.stride if p.stride else 0
            a = p.data[:rows * p.stride].reshape(rows, p.stride)
            a.flags.writeable = False
            out.append(a)
        return out

    @property
    def array(self) -> np.ndarray:
        """The pixels as stored, read-only: (height, width, 4) uint8 for the
        32-bit formats (byte order of the format), (height, width) luma for
        NV12. A zero-copy view while the frame is held."""
        x, y, w, h = self._region
        full = conv.raw_view(self.drm_format, self._full[0], self._full[1], self._map())
        return full[y:y + h, x:x + w]

    def to_numpy(self, alpha: bool = False, copy: Optional[bool] = None) -> np.ndarray:
        """The picture as (height, width, 3) uint8 RGB, or (height, width, 4)
        RGBA with ``alpha=True`` (alpha 255 when the format has none),
        whatever the source format (BGRx, RGBx, BGRA, RGBA, xRGB2101010,
        xBGR2101010, NV12; NV12 is BT.601 limited range, as the C CLI).

        ``copy=None`` (default): a read-only zero-copy view when the frame is
        held and its layout allows one (the 8-bit RGB formats), else a new
        array. ``copy=True``: always a new C-contiguous array. A view is
        valid only while the frame is held."""
        planes = self._map()
        (fw, fh), (x, y, w, h) = self._full, self._region
        if copy is not True and not self._copied:
            v = conv.rgb_view(self.drm_format, fw, fh, planes, alpha)
            if v is not None:
                return v[y:y + h, x:x + w]
        out = conv.to_rgb(self.drm_format, fw, fh, planes, alpha)
        if (w, h) != (fw, fh):
            out = np.ascontiguousarray(out[y:y + h, x:x + w])
        return out

    def to_pil(self) -> Any:
        """A PIL.Image (RGBA when the format has alpha, else RGB). Needs Pillow."""
        try:
            from PIL import Image
        except ImportError:
            raise Error("Frame.to_pil() needs Pillow (pip install Pillow, or "
                        "apt install python3-pil)") from None
        a = conv.has_alpha(self.drm_format)
        return Image.fromarray(self.to_numpy(alpha=a, copy=True), "RGBA" if a else "RGB")

    def save(self, path: str) -> None:
        """Writes a PNG (needs Pillow) or binary PPM (.ppm), chosen by extension."""
        if path.lower().endswith(".ppm"):
            rgb = self.to_numpy(copy=True)
            tmp = f"{path}.tmp{os.getpid()}"
            with open(tmp, "wb") as f:
                f.write(b"P6\n%d %d\n255\n" % (self.width, self.height))
                f.write(rgb.tobytes())
            os.replace(tmp, path)
        else:
            self.to_pil().save(path)

    # --- lifetime ----------------------------------------------------------
    def _copy_out(self) -> None:
        """Turns a held frame into a private copy and gives the lease back."""
        planes = self._map()
        copies = [conv.PlaneData(p.data.copy(), p.stride) for p in planes]
        self.release()
        self._planes = copies
        self._copied = True

    def release(self) -> None:
        """Gives the buffer back to the daemon (idempotent). Views obtained
        from the frame must not be used afterwards."""
        client, self._client = self._client, None
        if client is not None:
            client._release(self)

    def _drop(self) -> None:
        """Local part of release: end CPU access, drop the buffer and fences."""
        try:
            self._end_access()
        finally:
            self._planes = None
            buf, self._buf = self._buf, None
            fences, self._fences = self._fences, []
            for fd in fences:
                os.close(fd)
            if buf is not None:
                buf.unref()

    def __enter__(self) -> "Frame":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

