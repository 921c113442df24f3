# SPDX-License-Identifier: MIT
"""Against a scripted fake daemon: every kind of garbage raises
lastframe.Error (never hangs, never crashes), fds are never leaked, and the
conversions equal the C CLI's (`lastframe grab x.ppm` on the same frame)."""
import os
import random
import struct
import subprocess

import numpy as np
import pytest

import lastframe
from conftest import BUILD, fd_count
from fakedaemon import (XR24, Conn, FakeDaemon, add_buffer, error, fmt, fourcc, frame, hdr,
                        memfd, welcome)

W, H = 64, 32
STRIDE = W * 4


def picture(stride: int = STRIDE, rows: int = H) -> bytes:
    return bytes(random.Random(1).getrandbits(8) for _ in range(stride * rows))


def serve_frame(c: Conn, width=W, height=H, drm=XR24, planes=None, data=None, size=None,
                buffer_type=1, seq=1, crop=(0, 0, 0, 0)) -> None:
    """HELLO → WELCOME, FORMAT, ADD_BUFFER (one memfd per plane), FRAME."""
    c.hello()
    c.send(welcome())
    planes = planes or [(0, width * 4, width * 4 * height)]
    c.send(fmt(width, height, drm, n_planes=len(planes), buffer_type=buffer_type))
    datas = data if isinstance(data, list) else [data or picture(planes[0][1], height)] * len(planes)
    fds = [memfd(d, size) for d in datas]
    c.send(add_buffer(planes, buffer_type=buffer_type), fds)
    c.send(frame(seq, crop=crop))


def run_case(tmp_path, script, expect=lastframe.Error, timeout=2.0, conns=1, call=None):
    """Connects (and grabs) against the script; checks the error and that
    every fd the client opened is closed again."""
    before = fd_count()
    d = FakeDaemon(tmp_path, script, conns)
    with pytest.raises(expect) as ei:
        if call:
            call(d.path)
        else:
            with lastframe.connect(d.path, timeout=timeout) as c:
                c.grab(timeout=timeout)
    d.join()
    assert fd_count() == before, "fds leaked"
    return ei.value


def then_wait(c: Conn) -> None:
    c.drain_until_closed()


@pytest.mark.parametrize("name,packet", [
    ("short header", b"\x02\x00\x40"),
    ("length mismatch", hdr(2, 60) + b"\0" * 56),
    ("truncated WELCOME", welcome()[:40]),
    ("WELCOME without NUL", hdr(2, 64) + struct.pack("=IIIIII", 1, 0, 1, 1000, 1, 0) + b"x" * 32),
    ("unknown mandatory type", hdr(77, 8)),
    ("client-only type", hdr(1, 56) + b"\0" * 48),
    ("FORMAT before WELCOME", fmt(W, H)),
    ("ERROR without NUL", hdr(3, 20) + struct.pack("=II", 5, 0) + b"abcd"),
    ("version 0 WELCOME", hdr(2, 64) + struct.pack("=IIIIII32s", 0, 0, 1, 1000, 1, 0, b"x")),
])
def test_garbage_handshake(tmp_path, name, packet):
    def script(c):
        c.hello()
        c.send(packet)
        then_wait(c)
    e = run_case(tmp_path, script)
    assert isinstance(e, lastframe.ProtocolError), (name, e)
    assert "protocol error" in str(e) and str(tmp_path) in str(e)


def test_fd_count_mismatch(tmp_path):
    """ADD_BUFFER announcing 1 plane with 2 fds, then with 0 fds."""
    for extra in (2, 0):
        def script(c, extra=extra):
            c.hello()
            c.send(welcome())
            c.send(fmt(W, H))
            c.send(add_buffer([(0, STRIDE, STRIDE * H)]),
                   [memfd(picture()) for _ in range(extra)])
            then_wait(c)
        sub = tmp_path / str(extra)
        sub.mkdir()
        e = run_case(sub, script)
        assert isinstance(e, lastframe.ProtocolError)
        assert "file descriptors" in str(e)


def test_too_many_fds(tmp_path):
    def script(c):
        c.hello()
        c.send(welcome())
        c.send(fmt(W, H))
        c.send(add_buffer([(0, STRIDE, STRIDE * H)]), [memfd(b"x") for _ in range(6)])
        then_wait(c)
    e = run_case(tmp_path, script)
    assert "more than 4 file descriptors" in str(e)


def test_frame_with_unexpected_fds(tmp_path):
    def script(c):
        c.hello()
        c.send(welcome())
        c.send(fmt(W, H))
        c.send(add_buffer([(0, STRIDE, STRIDE * H)]), [memfd(picture())])
        c.send(frame(1), [memfd(b"fence")])
        then_wait(c)
    e = run_case(tmp_path, script)
    assert "FRAME came with 1 file descriptors" in str(e)


@pytest.mark.parametrize("name,msgs", [
    ("ADD_BUFFER before FORMAT", lambda: [(add_buffer([(0, STRIDE, STRIDE * H)]), 1)]),
    ("FRAME of unknown buffer", lambda: [(fmt(W, H), 0), (frame(1, buffer_id=9), 0)]),
    ("truncated FRAME", lambda: [(fmt(W, H), 0), (add_buffer([(0, STRIDE, STRIDE * H)]), 1),
                                 (frame(1)[:90], 0)]),
    ("FRAME longer than its fields", lambda: [(fmt(W, H), 0),
                                              (add_buffer([(0, STRIDE, STRIDE * H)]), 1),
                                              (frame(1, extra=b"\0" * 8), 0)]),
    ("FRAME with 17 damage rects", lambda: [(fmt(W, H), 0),
                                            (add_buffer([(0, STRIDE, STRIDE * H)]), 1),
                                            (frame(1, n_damage=17, extra=b"\0" * 16 * 17), 0)]),
    ("ADD_BUFFER of 5 planes", lambda: [(fmt(W, H), 0),
                                        (add_buffer([(0, STRIDE, STRIDE * H)], n_planes=5), 1)]),
    ("ADD_BUFFER of stale generation", lambda: [(fmt(W, H, gen=2), 0),
                                                (add_buffer([(0, STRIDE, STRIDE * H)], gen=1), 1)]),
    ("FORMAT with 9 planes", lambda: [(fmt(W, H, n_planes=9), 0)]),
    ("seq going back", lambda: [(fmt(W, H), 0), (add_buffer([(0, STRIDE, STRIDE * H)]), 1),
                                (frame(5), 0), (frame(4), 0)]),
])
def test_garbage_stream(tmp_path, name, msgs):
    def script(c):
        c.hello()
        c.send(welcome())
        for data, nfd in msgs():
            c.send(data, [memfd(picture()) for _ in range(nfd)])
        then_wait(c)

    def call(path):
        with lastframe.connect(path, timeout=2) as cl:
            cl.grab(timeout=2)  # the stale one: the second frame
            cl.grab(timeout=2)
    e = run_case(tmp_path, script, call=call)
    assert isinstance(e, lastframe.ProtocolError), (name, repr(e))


def test_ignorable_unknown_message_is_skipped(tmp_path):
    def script(c):
        c.hello()
        c.send(welcome())
        c.send(hdr(200, 12, flags=1) + b"abcd", [memfd(b"x")])
        serve_rest(c)
    before = fd_count()
    d = FakeDaemon(tmp_path, script)
    with lastframe.connect(d.path, timeout=2) as c:
        f = c.grab(timeout=2)
        assert f.to_numpy().shape == (H, W, 3)
    d.join()
    assert fd_count() == before


def serve_rest(c: Conn) -> None:
    c.send(fmt(W, H))
    c.send(add_buffer([(0, STRIDE, STRIDE * H)]), [memfd(picture())])
    c.send(frame(1))
    then_wait(c)


def test_daemon_error_is_reported(tmp_path):
    def script(c):
        c.send(error(13, "uid 1234 is not allowed"))
    e = run_case(tmp_path, script)
    assert isinstance(e, lastframe.RefusedError)
    assert "permission denied by lastframed" in str(e) and "uid 1234" in str(e)


def test_closed_socket_during_handshake(tmp_path):
    e = run_case(tmp_path, lambda c: c.hello())
    assert isinstance(e, lastframe.ConnectionLostError)
    assert "lastframed went away" in str(e)


def test_silent_daemon_times_out(tmp_path):
    e = run_case(tmp_path, then_wait, timeout=0.5)
    assert isinstance(e, lastframe.TimeoutError)
    assert "timed out waiting for lastframed" in str(e)


def test_no_frame_times_out_with_reason(tmp_path):
    def script(c):
        c.hello()
        c.send(welcome())
        c.send(fmt(0, 0, drm=0, state=0, n_planes=0))
        then_wait(c)
    e = run_case(tmp_path, script, timeout=0.3)
    assert isinstance(e, lastframe.TimeoutError)
    assert "no frame within 0.3 s: lastframed has no video source" in str(e)


def test_daemon_dies_mid_frame(tmp_path):
    """The daemon closes after ADD_BUFFER, before the FRAME it announced."""
    def script(c):
        c.hello()
        c.send(welcome())
        c.send(fmt(W, H))
        c.send(add_buffer([(0, STRIDE, STRIDE * H)]), [memfd(picture())])
    e = run_case(tmp_path, script)
    assert isinstance(e, lastframe.ConnectionLostError)


@pytest.mark.parametrize("case", ["plane smaller than picture", "fd smaller than plane",
                                  "stride below width"])
def test_buffer_smaller_than_format(tmp_path, case):
    planes = {"plane smaller than picture": [(0, STRIDE, STRIDE * H - 1)],
              "fd smaller than plane": [(0, STRIDE, STRIDE * H)],
              "stride below width": [(0, STRIDE - 4, STRIDE * H)]}[case]
    size = STRIDE * H // 2 if case == "fd smaller than plane" else None

    def script(c):
        serve_frame(c, planes=planes, size=size)
        then_wait(c)
    e = run_case(tmp_path, script)
    assert isinstance(e, lastframe.BadBufferError), repr(e)
    assert "smaller than" in str(e)


def test_fuzz_random_packets(tmp_path):
    """Random bytes after a good start: always lastframe.Error, no fd leak."""
    rng = random.Random(14)
    good = [welcome(), fmt(W, H), add_buffer([(0, STRIDE, STRIDE * H)])]
    for i in range(60):
        pkt = bytearray(rng.choice(good + [frame(1)]))
        for _ in range(rng.randint(1, 4)):
            pkt[rng.randrange(len(pkt))] = rng.randrange(256)
        if rng.random() < 0.3:
            pkt = pkt[:rng.randrange(len(pkt))]
        nfd = rng.choice([0, 0, 1, 2])

        def script(c, pkt=bytes(pkt), nfd=nfd):
            c.hello()
            c.send(welcome())
            c.send(pkt, [memfd(b"z" * 64) for _ in range(nfd)])
            c.send(b"\xff" * 8)  # something certainly wrong afterwards
            then_wait(c)
        sub = tmp_path / f"f{i}"
        sub.mkdir()
        run_case(sub, script, timeout=1.0)


# --- the C CLI's conversion on the same frame -------------------------------
def c_grab(path: str, out) -> np.ndarray:
    r = subprocess.run([str(BUILD / "lastframe"), "--socket", path, "--timeout", "5",
                        "grab", str(out)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    raw = out.read_bytes()
    parts = raw.split(b"\n", 3)
    w, h = map(int, parts[1].split())
    return np.frombuffer(parts[3], np.uint8).reshape(h, w, 3)


CROPS = {"NV12 cropped": (5, 3, 33, 21), "BGRx cropped": (7, 2, 40, 30),
         "BGRx crop out of bounds": (50, 2, 40, 30)}
CASES = {
    "BGRx": (fourcc("XR24"), 4, 1), "BGRA": (fourcc("AR24"), 4, 1),
    "RGBx": (fourcc("XB24"), 4, 1), "RGBA": (fourcc("AB24"), 4, 1),
    "xRGB2101010": (fourcc("XR30"), 4, 1), "xBGR2101010": (fourcc("XB30"), 4, 1),
    "NV12 one plane": (fourcc("NV12"), 1, 1), "NV12 two planes": (fourcc("NV12"), 1, 2),
    "NV12 cropped": (fourcc("NV12"), 1, 2), "BGRx cropped": (fourcc("XR24"), 4, 1),
    "BGRx crop out of bounds": (fourcc("XR24"), 4, 1),
}


@pytest.mark.parametrize("name", list(CASES))
def test_conversion_equals_c_cli(tmp_path, name):
    drm, bpp, n_planes = CASES[name]
    w, h = (62, 38) if bpp == 1 else (61, 37)  # odd sizes, padded strides
    stride = w * bpp + 12
    rng = random.Random(name)
    if bpp == 4:
        data = [bytes(rng.getrandbits(8) for _ in range(stride * h))]
        planes = [(0, stride, stride * h)]
    elif n_planes == 1:
        rows = h + (h + 1) // 2
        data = [bytes(rng.getrandbits(8) for _ in range(stride * rows))]
        planes = [(0, stride, stride * rows)]
    else:
        y = bytes(rng.getrandbits(8) for _ in range(stride * h))
        uv = bytes(rng.getrandbits(8) for _ in range(stride * ((h + 1) // 2)))
        data = [y + uv, y + uv]
        planes = [(0, stride, len(y)), (len(y), stride, len(uv))]

    crop = CROPS.get(name, (0, 0, 0, 0))

    def script(c):
        serve_frame(c, w, h, drm, planes=planes, data=data, crop=crop)
        then_wait(c)
    if crop[0] + crop[2] <= w:
        w, h = crop[2] or w, crop[3] or h  # what both clients return
    before = fd_count()
    d = FakeDaemon(tmp_path, script, conns=2)
    ref = c_grab(d.path, tmp_path / "c.ppm")
    with lastframe.connect(d.path, timeout=5) as c:
        f = c.grab()
    mine = f.to_numpy()
    rgba = f.to_numpy(alpha=True)
    d.join()
    assert fd_count() == before
    assert mine.shape == (h, w, 3) and mine.flags.c_contiguous
    assert np.array_equal(mine, ref), f"{name}: {np.argwhere(mine != ref)[:5]}"
    assert np.array_equal(rgba[:, :, :3], ref)
    assert (f.width, f.height) == (w, h) and f.array.shape[:2] == (h, w)
    if name in ("BGRA", "RGBA"):
        src = np.frombuffer(data[0], np.uint8).reshape(h, stride)[:, :w * 4].reshape(h, w, 4)
        assert np.array_equal(rgba[:, :, 3], src[:, :, 3])
    else:
        assert (rgba[:, :, 3] == 255).all()


def test_ping_answered_and_fences_waited(tmp_path):
    """Clients must answer PING; a FENCE_PENDING frame (not asked for, but
    valid) is read after its fence signals, and the fence fd is closed."""
    got = []

    def script(c):
        c.hello()
        c.send(welcome())
        c.send(fmt(W, H))
        c.send(add_buffer([(0, STRIDE, STRIDE * H)]), [memfd(picture())])
        c.send(hdr(9, 16) + struct.pack("=Q", 42))
        r, w = os.pipe()
        os.write(w, b"signalled")  # a readable fd stands for a signalled fence
        os.close(w)
        c.send(frame(1, flags=1, n_fences=1), [r])
        while True:
            p = c.recv()
            if not p:
                break
            got.append(struct.unpack_from("=HHI", p)[0])
            if got[-1] == 10:
                got.append(struct.unpack_from("=Q", p, 8)[0])
    before = fd_count()
    d = FakeDaemon(tmp_path, script)
    with lastframe.connect(d.path, timeout=2) as c:
        f = c.grab(timeout=2)
    d.join()
    assert fd_count() == before
    ref = np.frombuffer(picture(), np.uint8).reshape(H, W, 4)
    assert np.array_equal(f.to_numpy(), ref[:, :, 2::-1])
    assert 10 in got and got[got.index(10) + 1] == 42, got  # PONG 42
