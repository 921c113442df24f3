# SPDX-License-Identifier: MIT
"""Pixel formats and their conversion to 8-bit RGB/RGBA with numpy.

The results equal the C CLI's (client/cli/convert.c) bit for bit: 10-bit
channels drop their two low bits, NV12 is BT.601 limited range in the same
16.16 fixed point. Whole-picture numpy operations, one pass per channel:
strided per-channel copies beat fancy indexing by 4-6x at 1080p."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .errors import BadBufferError, UnsupportedFormatError


def fourcc(a: str) -> int:
    return ord(a[0]) | ord(a[1]) << 8 | ord(a[2]) << 16 | ord(a[3]) << 24


XR24, AR24, XB24, AB24 = fourcc("XR24"), fourcc("AR24"), fourcc("XB24"), fourcc("AB24")
XR30, XB30, NV12 = fourcc("XR30"), fourcc("XB30"), fourcc("NV12")

# Names as `lastframe info` prints them (client/cli/names.c): SPA-style.
NAMES: Dict[int, str] = {XR24: "BGRx", AR24: "BGRA", XB24: "RGBx", AB24: "RGBA",
                         XR30: "xRGB2101010", XB30: "xBGR2101010", NV12: "NV12"}
# (red, green, blue, alpha) byte positions in memory; alpha -1: none.
_PACKED8: Dict[int, Tuple[int, int, int, int]] = {
    XR24: (2, 1, 0, -1), AR24: (2, 1, 0, 3), XB24: (0, 1, 2, -1), AB24: (0, 1, 2, 3)}
# Shift of red and blue in the little-endian 32-bit word.
_PACKED10: Dict[int, Tuple[int, int]] = {XR30: (20, 0), XB30: (0, 20)}

# BT.601 limited range, 16.16 fixed point: the constants of convert.c.
_YC, _RV, _GU, _GV, _BU = 76309, 104597, -25675, -53279, 132201


def fourcc_str(f: int) -> str:
    return "".join(chr(c) if 0x20 <= c < 0x7F else "?"
                   for c in ((f >> (8 * i)) & 0xFF for i in range(4)))


def format_name(f: int) -> str:
    return NAMES.get(f) or fourcc_str(f)


def supported(f: int) -> bool:
    return f in NAMES


def has_alpha(f: int) -> bool:
    return f in (AR24, AB24)


def _too_small(width: int, height: int, f: int) -> BadBufferError:
    return BadBufferError(
        f"cannot convert the {width}x{height} {fourcc_str(f)} frame: "
        "buffer smaller than the picture", 74)  # EBADMSG


def _rows_fit(size: int, stride: int, rows: int, row_bytes: int) -> bool:
    return rows > 0 and (rows - 1) * stride + row_bytes <= size


class PlaneData:
    """One plane: a flat uint8 array of its readable bytes and its stride."""
    __slots__ = ("data", "stride")

    def __init__(self, data: np.ndarray, stride: int) -> None:
        self.data = data
        self.stride = stride


def check(f: int, width: int, height: int, planes: Sequence[Tuple[int, int]]) -> None:
    """Raises unless planes, (readable size, stride) each, hold a whole
    width x height picture of f. Needs no mapping: run it before mapping."""
    if not supported(f):
        raise UnsupportedFormatError(f"cannot convert pixel format {fourcc_str(f)} (0x{f:08x})")
    if width <= 0 or height <= 0 or not planes:
        raise _too_small(width, height, f)
    size, stride = planes[0]
    if f == NV12:
        if len(planes) >= 2:
            uv_size, uv_stride = planes[1]
        else:
            uv_size, uv_stride = size - stride * height, stride
        if (uv_size < 0 or not _rows_fit(size, stride, height, width) or
                not _rows_fit(uv_size, uv_stride, (height + 1) // 2, ((width - 1) & ~1) + 2)):
            raise _too_small(width, height, f)
        return
    if stride < width * 4 or not _rows_fit(size, stride, height, width * 4):
        raise _too_small(width, height, f)


def sizes(planes: Sequence[PlaneData]) -> List[Tuple[int, int]]:
    return [(p.data.size, p.stride) for p in planes]


def _nv12_planes(width: int, height: int, planes: Sequence[PlaneData]):
    y = planes[0]
    if len(planes) >= 2:
        return y, planes[1]
    # One plane: UV follows Y at stride * height (as convert.c reads it).
    start = y.stride * height
    if start > y.data.size:
        return y, None
    return y, PlaneData(y.data[start:], y.stride)


def _strided(p: PlaneData, shape: Tuple[int, ...], strides: Tuple[int, ...]) -> np.ndarray:
    """A read-only view of p; ndarray() itself refuses one that would reach
    past the buffer (and is far cheaper than as_strided, once per frame)."""
    a: np.ndarray = np.ndarray(shape, dtype=np.uint8, buffer=p.data, strides=strides)
    a.flags.writeable = False
    return a


def _view2d(p: PlaneData, rows: int, row_bytes: int) -> np.ndarray:
    return _strided(p, (rows, row_bytes), (p.stride, 1))


def raw_view(f: int, width: int, height: int, planes: Sequence[PlaneData]) -> np.ndarray:
    """Zero-copy view of the pixels as stored: (h, w, 4) uint8 for the packed
    formats, (h, w) luma for NV12. check() must have passed."""
    p = planes[0]
    if f == NV12:
        return _view2d(p, height, width)
    return _strided(p, (height, width, 4), (p.stride, 4, 1))


def rgb_view(f: int, width: int, height: int, planes: Sequence[PlaneData],
             alpha: bool) -> Optional[np.ndarray]:
    """A zero-copy RGB(A) view when the memory layout allows one, else None."""
    if f not in _PACKED8:
        return None
    r, g, b, a = _PACKED8[f]
    raw = raw_view(f, width, height, planes)
    if alpha:
        return raw if (r, g, b, a) == (0, 1, 2, 3) else None
    return raw[:, :, 2::-1] if r == 2 else raw[:, :, :3]


def to_rgb(f: int, width: int, height: int, planes: Sequence[PlaneData],
           alpha: bool = False, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Converts to a new C-contiguous (h, w, 3|4) uint8 array. The whole
    result is computed before it is returned: never a half-converted one."""
    check(f, width, height, sizes(planes))
    ch = 4 if alpha else 3
    if out is None:
        out = np.empty((height, width, ch), dtype=np.uint8)
    if f in _PACKED8:
        src = raw_view(f, width, height, planes)
        r, g, b, a = _PACKED8[f]
        for i, pos in enumerate((r, g, b)):
            out[:, :, i] = src[:, :, pos]
        if alpha:
            if a >= 0:
                out[:, :, 3] = src[:, :, a]
            else:
                out[:, :, 3] = 255
        return out
    if f in _PACKED10:
        rs, bs = _PACKED10[f]
        v = raw_view(f, width, height, planes)
        # Little-endian word from its bytes (works on any alignment and host).
        w = (v[:, :, 0].astype(np.uint32) | v[:, :, 1].astype(np.uint32) << 8 |
             v[:, :, 2].astype(np.uint32) << 16 | v[:, :, 3].astype(np.uint32) << 24)
        out[:, :, 0] = (w >> (rs + 2)) & 0xFF
        out[:, :, 1] = (w >> 12) & 0xFF
        out[:, :, 2] = (w >> (bs + 2)) & 0xFF
        if alpha:
            out[:, :, 3] = 255
        return out
    return _nv12(width, height, planes, out, alpha)


def _nv12(width: int, height: int, planes: Sequence[PlaneData], out: np.ndarray,
          alpha: bool) -> np.ndarray:
    yp, uvp = _nv12_planes(width, height, planes)
    assert uvp is not None
    cw = (width + 1) // 2
    y = _view2d(yp, height, width).astype(np.int32)
    uv = _view2d(uvp, (height + 1) // 2, cw * 2)
    u = uv[:, 0::2].astype(np.int32) - 128
    v = uv[:, 1::2].astype(np.int32) - 128
    rv = _RV * v + 32768
    guv = _GU * u + _GV * v + 32768
    bu = _BU * u + 32768

    def up(c: np.ndarray) -> np.ndarray:  # one chroma sample per 2x2 pixels
        return np.repeat(np.repeat(c, 2, axis=0), 2, axis=1)[:height, :width]

    c = (y - 16) * _YC
    chans: List[np.ndarray] = [c + up(rv), c + up(guv), c + up(bu)]
    for i, x in enumerate(chans):
        np.right_shift(x, 16, out=x)
        np.clip(x, 0, 255, out=x)
        out[:, :, i] = x
    if alpha:
        out[:, :, 3] = 255
    return out
