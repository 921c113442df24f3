# SPDX-License-Identifier: MIT
"""Wire protocol v1 (docs/protocol.md): layouts, packing and validation.
Pure: no I/O, so the checks can be tested on their own."""
import struct
from typing import Dict, NamedTuple, Optional, Tuple

VERSION = 1
MAX_MSG = 128 * 1024
MAX_FDS = 4
NAME_LEN = 32
MAX_DAMAGE = 16
MAX_CURSOR = 128

HELLO, WELCOME, ERROR, FORMAT, ADD_BUFFER, REMOVE_BUFFER, FRAME, RELEASE = range(1, 9)
PING, PONG, BYE, IMPORT_FAILED, STATS_REQUEST, STATS = range(9, 15)
FLAG_IGNORABLE = 1

CAP_EARLY_FENCES = 1
CAP_CURSOR_BITMAP = 2
CAP_NO_FRAMES = 4

BUFFER_NONE, BUFFER_MEMFD, BUFFER_DMABUF, BUFFER_MEMPTR = 0, 1, 2, 3
FORMAT_FLAG_MODIFIER = 1
FORMAT_FLAG_COPIED = 2
FRAME_F_FENCE_PENDING = 1
FRAME_F_FENCE_TIMEOUT = 2
FRAME_F_CURSOR = 4
FRAME_F_CURSOR_BITMAP = 8
FRAME_F_DAMAGE = 16
FRAME_F_CROP = 32
FRAME_F_COPIED = 64
BYE_SHUTDOWN, BYE_CLIENT = 1, 2
MOD_INVALID = 0x00FFFFFFFFFFFFFF

# '=': host byte order, no padding; the fields below are laid out so that the
# sizes equal sizeof() of the C structs in ipc/proto.h.
HDR = struct.Struct("=HHI")
_HELLO = struct.Struct("=HHIIIII32s")
_WELCOME = struct.Struct("=IIIIII32s")
_ERROR = struct.Struct("=II")
_FORMAT = struct.Struct("=IIIIIIQIIIIII")
_PLANE = struct.Struct("=IIII")
_ADD_BUFFER = struct.Struct("=IIII")
_REMOVE_BUFFER = struct.Struct("=II")
_FRAME = struct.Struct("=IIQQQQIIiiIIiiiiIIII")
_RELEASE = struct.Struct("=HHIIIQ")
_PING = struct.Struct("=HHIQ")
_BYE = struct.Struct("=HHIII")
_STATS = struct.Struct("=II17QII")
_RECT = struct.Struct("=iiII")

SIZES: Dict[int, int] = {
    WELCOME: 64, FORMAT: 64, ADD_BUFFER: 88, REMOVE_BUFFER: 16, FRAME: 104,
    PING: 16, PONG: 16, BYE: 16, STATS: 160, ERROR: 16,
}
NAMES = {HELLO: "HELLO", WELCOME: "WELCOME", ERROR: "ERROR", FORMAT: "FORMAT",
         ADD_BUFFER: "ADD_BUFFER", REMOVE_BUFFER: "REMOVE_BUFFER", FRAME: "FRAME",
         RELEASE: "RELEASE", PING: "PING", PONG: "PONG", BYE: "BYE",
         IMPORT_FAILED: "IMPORT_FAILED", STATS_REQUEST: "STATS_REQUEST", STATS: "STATS"}
assert HDR.size + _WELCOME.size == 64 and HDR.size + _FORMAT.size == 64
assert HDR.size + _ADD_BUFFER.size + 4 * _PLANE.size == 88 and HDR.size + _FRAME.size == 104
assert _RELEASE.size == 24 and _PING.size == 16 and _BYE.size == 16 and HDR.size + _STATS.size == 160


class Malformed(Exception):
    """A received message breaks §6; the text says how."""


class Welcome(NamedTuple):
    version: int
    caps: int
    max_held: int
    lease_timeout_ms: int
    client_id: int
    daemon_version: str


class Format(NamedTuple):
    generation: int
    state: int
    width: int
    height: int
    drm_format: int
    n_planes: int
    modifier: int
    buffer_type: int
    source_type: int
    fps_num: int
    fps_den: int
    flags: int


class Plane(NamedTuple):
    offset: int
    stride: int
    size: int


class AddBuffer(NamedTuple):
    generation: int
    buffer_id: int
    buffer_type: int
    planes: Tuple[Plane, ...]


class Rect(NamedTuple):
    x: int
    y: int
    width: int
    height: int


class FrameMsg(NamedTuple):
    generation: int
    buffer_id: int
    seq: int
    pts_ns: int
    recv_ns: int
    send_ns: int
    skipped: int
    flags: int
    crop: Rect
    cursor: Tuple[int, int, int, int]
    cursor_size: Tuple[int, int]
    damage: Tuple[Rect, ...]
    n_fences: int
    cursor_bitmap: Optional[bytes]


STATS_FIELDS = (
    "state", "clients", "uptime_ns", "frames_in", "frames_published", "frames_sent",
    "frames_dropped", "frames_corrupted", "frames_skipped", "copies", "lease_timeouts",
    "clients_refused", "protocol_errors", "renegotiations", "fence_waited",
    "fence_already_signalled", "fence_timeouts", "fence_wait_p50_ns", "fence_wait_p99_ns",
    "fence_disabled", "fps_milli")


def pack_hello(name: str, caps: int, max_held: int) -> bytes:
    raw = name.encode("utf-8", "replace")[:NAME_LEN - 1]
    return _HELLO.pack(HELLO, 0, _HELLO.size, VERSION, caps, max_held, 0, raw)


def pack_release(generation: int, buffer_id: int, seq: int) -> bytes:
    return _RELEASE.pack(RELEASE, 0, _RELEASE.size, generation, buffer_id, seq)


def pack_ping(kind: int, cookie: int) -> bytes:
    return _PING.pack(kind, 0, _PING.size, cookie)


def pack_bye(reason: int) -> bytes:
    return _BYE.pack(BYE, 0, _BYE.size, reason, 0)


def pack_stats_request() -> bytes:
    return HDR.pack(STATS_REQUEST, 0, HDR.size)


def pack_error(code: int, text: str) -> bytes:
    t = text.encode()[:255] + b"\0"
    return HDR.pack(ERROR, 0, 16 + len(t)) + _ERROR.pack(code, 0) + t


def _cstr(raw: bytes, what: str) -> str:
    end = raw.find(b"\0")
    if end < 0:
        raise Malformed(f"{what} is not NUL-terminated")
    return raw[:end].decode("utf-8", "replace")


def parse(buf: bytes, n_fds: int):
    """Checks one received packet (docs/protocol.md §6) and decodes it.
    Returns (type, body) with body None for an unknown ignorable message;
    raises Malformed otherwise."""
    n = len(buf)
    if n < HDR.size:
        raise Malformed(f"a {n}-byte packet is shorter than the 8-byte header")
    kind, flags, length = HDR.unpack_from(buf)
    if length != n:
        raise Malformed(f"header says {length} bytes, the packet has {n}")
    name = NAMES.get(kind)
    if kind not in SIZES:
        if name is None and flags & FLAG_IGNORABLE:
            return kind, None
        if name is None:
            raise Malformed(f"unknown message type {kind}")
        raise Malformed(f"{name} is a client-to-daemon message")
    want = SIZES[kind]
    if kind == ERROR:
        if n < want + 1 or n > want + 256 or buf[-1] != 0:
            raise Malformed(f"ERROR of {n} bytes (17..272, NUL-terminated)")
    elif kind == FRAME:
        if n < want:
            raise Malformed(f"FRAME of {n} bytes, at least {want} expected")
    elif n != want:
        raise Malformed(f"{name} of {n} bytes, {want} expected")
    if kind not in (ADD_BUFFER, FRAME) and n_fds:
        raise Malformed(f"{name} came with {n_fds} file descriptors, none expected")
    body = buf[HDR.size:]
    if kind == WELCOME:
        version, caps, max_held, lease_ms, client_id, _, raw = _WELCOME.unpack_from(body)
        return kind, Welcome(version, caps, max_held, lease_ms, client_id,
                             _cstr(raw, "WELCOME.daemon_version"))
    if kind == ERROR:
        code, _ = _ERROR.unpack_from(body)
        return kind, (code, _cstr(body[8:], "ERROR.text"))
    if kind == FORMAT:
        f = Format(*_FORMAT.unpack_from(body)[:12])
        if f.n_planes > MAX_FDS:
            raise Malformed(f"FORMAT with {f.n_planes} planes (at most {MAX_FDS})")
        return kind, f
    if kind == ADD_BUFFER:
        gen, bid, btype, n_planes = _ADD_BUFFER.unpack_from(body)
        if not 1 <= n_planes <= MAX_FDS:
            raise Malformed(f"ADD_BUFFER with {n_planes} planes (1..{MAX_FDS})")
        if n_fds != n_planes:
            raise Malformed(f"ADD_BUFFER of {n_planes} planes came with {n_fds} file descriptors")
        if btype not in (BUFFER_MEMFD, BUFFER_DMABUF):
            raise Malformed(f"ADD_BUFFER of unknown buffer type {btype}")
        planes = tuple(Plane(*_PLANE.unpack_from(body, 16 + 16 * i)[:3]) for i in range(n_planes))
        if any(p.size == 0 for p in planes):
            raise Malformed("ADD_BUFFER with an empty plane")
        return kind, AddBuffer(gen, bid, btype, planes)
    if kind == REMOVE_BUFFER:
        gen, bid = _REMOVE_BUFFER.unpack_from(body)
        return kind, (gen, bid)
    if kind == FRAME:
        return kind, _parse_frame(body, n, n_fds)
    if kind in (PING, PONG):
        return kind, struct.unpack_from("=Q", body)[0]
    if kind == BYE:
        return kind, struct.unpack_from("=I", body)[0]
    v = _STATS.unpack_from(body)
    return kind, dict(zip(STATS_FIELDS, v))


def _parse_frame(body: bytes, n: int, n_fds: int) -> FrameMsg:
    v = _FRAME.unpack_from(body)
    (gen, bid, seq, pts, recv, send, skipped, flags, cx, cy, cw, ch,
     kx, ky, hx, hy, kw, kh, n_damage, n_fences) = v
    if n_damage > MAX_DAMAGE:
        raise Malformed(f"FRAME with {n_damage} damage rectangles (at most {MAX_DAMAGE})")
    if n_fences > MAX_FDS:
        raise Malformed(f"FRAME with {n_fences} fences (at most {MAX_FDS})")
    need = 104 + 16 * n_damage
    bitmap_len = 0
    if flags & FRAME_F_CURSOR_BITMAP:
        if kw > MAX_CURSOR or kh > MAX_CURSOR:
            raise Malformed(f"FRAME with a {kw}x{kh} cursor (at most {MAX_CURSOR}x{MAX_CURSOR})")
        bitmap_len = kw * kh * 4
    need += bitmap_len
    if n != need:
        raise Malformed(f"FRAME of {n} bytes, its fields say {need}")
    want_fds = n_fences if flags & FRAME_F_FENCE_PENDING else 0
    if flags & FRAME_F_FENCE_PENDING and n_fences == 0:
        raise Malformed("FRAME with FENCE_PENDING but no fences")
    if n_fds != want_fds:
        raise Malformed(f"FRAME came with {n_fds} file descriptors, {want_fds} expected")
    base = _FRAME.size
    damage = tuple(Rect(*_RECT.unpack_from(body, base + 16 * i)) for i in range(n_damage))
    bitmap = None
    if bitmap_len or flags & FRAME_F_CURSOR_BITMAP:
        off = base + 16 * n_damage
        bitmap = bytes(body[off:off + bitmap_len])
    return FrameMsg(gen, bid, seq, pts, recv, send, skipped, flags, Rect(cx, cy, cw, ch),
                    (kx, ky, hx, hy), (kw, kh), damage, n_fences if want_fds else 0, bitmap)
