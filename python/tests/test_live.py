# SPDX-License-Identifier: MIT
"""Against the real daemon and the test producer (one private session for
the module, a producer + lastframed pair per test)."""
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import lastframe
import lastframe._frame as lf_frame
from conftest import BUILD, fd_count, tag_counter, verify_rgb, wait_for

FORMATS = [
    ("BGRx", "642x362", ()), ("BGRA", "320x240", ()), ("RGBx", "320x240", ()),
    ("RGBA", "320x240", ()), ("xRGB2101010", "320x240", ()), ("xBGR2101010", "320x240", ()),
    ("NV12", "642x362", ()), ("BGRx", "320x240", ("--buffer", "memptr")),
    ("BGRx", "320x240", ("--buffer", "dmabuf", "--dmabuf-mode", "linear")),
    ("NV12", "320x240", ("--buffer", "dmabuf", "--dmabuf-mode", "nv12")),
]


def c_grab_ppm(path: str, out: Path) -> np.ndarray:
    r = subprocess.run([str(BUILD / "lastframe"), "--socket", path, "grab", str(out)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    parts = out.read_bytes().split(b"\n", 3)
    w, h = map(int, parts[1].split())
    return np.frombuffer(parts[3], np.uint8).reshape(h, w, 3)


@pytest.mark.parametrize("fmt,size,args", FORMATS,
                         ids=[f"{f}-{' '.join(a) or 'memfd'}" for f, _, a in FORMATS])
def test_formats_pixels(source, tmp_path, monkeypatch, fmt, size, args):
    """Correct RGB for every format: the pattern verifies, and the pixels
    equal the C CLI's grab of the same (last, static) frame."""
    syncs = []
    real_sync = lf_frame.dmabuf_sync
    monkeypatch.setattr(lf_frame, "dmabuf_sync",
                        lambda fd, flags: (syncs.append(flags), real_sync(fd, flags)))
    path, _, _ = source(fmt, size, "--frames", "3", "--linger", "--wait-consumer", *args)
    before = fd_count()
    # The producer stops after counter 2: from then on every grab is that frame.
    frame = wait_for(lambda: (lambda f: f if tag_counter(f.to_numpy()) == 2 else None)(
        lastframe.grab(path)), what="frame 2")
    rgb = frame.to_numpy()
    w, h = map(int, size.split("x"))
    assert rgb.shape == (h, w, 3) and rgb.dtype == np.uint8 and rgb.flags.c_contiguous
    v = verify_rgb(rgb, tmp_path, size)
    assert v["rc"] == 0 and v["complete"] and v["counter"] == 2, v
    assert frame.format == fmt and (frame.width, frame.height) == (w, h)
    rgba = frame.to_numpy(alpha=True)
    assert rgba.shape == (h, w, 4) and np.array_equal(rgba[:, :, :3], rgb)
    assert np.array_equal(rgb, c_grab_ppm(path, tmp_path / "c.ppm"))
    img = frame.to_pil()
    assert img.mode == ("RGBA" if fmt in ("BGRA", "RGBA") else "RGB") and img.size == (w, h)
    with lastframe.connect(path) as c:
        # A static stream: the second grab is the same frame, at once.
        a = c.grab()
        t0 = time.monotonic()
        assert c.grab(timeout=2).seq == a.seq and time.monotonic() - t0 < 1
        info = c.info()
        assert (info.width, info.height, info.format) == (w, h, fmt)
        assert info.buffer_type == ("dmabuf" if "dmabuf" in args else "memfd")
        assert info.state == "streaming"
    if "dmabuf" in args:
        # Every CPU read of a dmabuf is bracketed: START (READ) ... END (READ).
        assert syncs and syncs.count(lf_frame.DMA_BUF_SYNC_START) == \
            syncs.count(lf_frame.DMA_BUF_SYNC_END) > 0, syncs
        assert syncs[0] == lf_frame.DMA_BUF_SYNC_START
    else:
        assert not syncs
    del frame, rgb, rgba, img, a
    assert fd_count() == before


def test_frames_60fps_zero_copy(source):
    """frames() at 60 fps for 5 s: >= 95 % of the producer's frames, seq
    increasing, zero-copy views, no lease timeout."""
    path, _, _ = source("BGRx", "640x360", rate="60")
    before = fd_count()
    with lastframe.connect(path) as c:
        next(c.frames(max_frames=1))  # streaming
        seqs, counters = [], []
        t0 = time.monotonic()
        for f in c.frames(timeout=2):
            view = f.to_numpy()
            assert np.shares_memory(view, f.array) and not view.flags.writeable
            seqs.append(f.seq)
            counters.append(tag_counter(view))
            if time.monotonic() - t0 >= 5:
                break
        assert not f.held  # the iterator released the last one
        produced = counters[-1] - counters[0] + 1
        assert all(b > a for a, b in zip(seqs, seqs[1:]))
        assert all(b > a for a, b in zip(counters, counters[1:]))
        assert len(seqs) >= 0.95 * produced, (len(seqs), produced)
        assert produced >= 0.8 * 60 * 5, f"producer too slow: {produced} frames in 5 s"
        assert c.stats()["lease_timeouts"] == 0
        del f, view
    assert fd_count() == before


def test_grab_newest_and_idle(source):
    """grab() on a long-lived client: newer each time, also after idling
    past the lease timeout (queued leases expire: it reconnects)."""
    path, _, _ = source("BGRx", "320x240", rate="30", daemon_args=("--lease-timeout-ms", "300"))
    before = fd_count()
    with lastframe.connect(path) as c:
        a = c.grab()
        time.sleep(0.1)
        b = c.grab()
        time.sleep(0.5)
        d = c.grab()
        assert a.seq < b.seq < d.seq
        # Newest: what a fresh connection gets right now is not newer.
        e = c.grab()
        fresh = lastframe.grab(path)
        assert fresh.seq - e.seq <= 2
        assert tag_counter(d.to_numpy()) > tag_counter(a.to_numpy())
    assert fd_count() == before


def test_lease_expired_while_iterating(source):
    path, _, _ = source("BGRx", "320x240", daemon_args=("--lease-timeout-ms", "300"))
    before = fd_count()
    with lastframe.connect(path) as c:
        with pytest.raises(lastframe.LeaseExpiredError, match="lease"):
            for f in c.frames(timeout=2):
                time.sleep(0.6)  # held past the 300 ms lease
    del f
    assert fd_count() == before


def test_asyncio(source, tmp_path):
    path, _, _ = source("RGBx", "320x240")

    async def main():
        async with lastframe.aio.connect(path) as c:
            info = await c.info()
            f = await c.grab()
            seqs = []
            async for fr in c.frames(max_frames=5):
                seqs.append(fr.seq)
                assert fr.to_numpy().shape == (240, 320, 3)
            return info, f, seqs, await lastframe.aio.grab(path)

    before = fd_count()
    info, f, seqs, g = asyncio.run(main())
    assert info.format == "RGBx"
    assert verify_rgb(f.to_numpy(), tmp_path, "320x240")["complete"]
    assert all(b > a for a, b in zip([f.seq] + seqs, seqs))
    assert g.seq >= seqs[-1]
    del f, g
    assert fd_count() == before


def test_daemon_restart(session, source):
    """TERM (BYE) and KILL in the middle: a clean error, then a reconnect works."""
    path, _, dpid = source("BGRx", "320x240")
    target = session.daemons  # path -> pid
    name = Path(path).name[:-len(".sock")]
    before = fd_count()
    with lastframe.connect(path) as c:
        assert c.grab().seq > 0
        session.stop(dpid)
        with pytest.raises(lastframe.ConnectionLostError, match="lastframed"):
            c.grab(timeout=2)
        path2 = session.daemon(Path(path).name, "--target", name)
        assert path2 == path
        c.reconnect()
        f = c.grab()
        assert f.to_numpy().shape == (240, 320, 3)
        # SIGKILL while a frame is held: its pixels stay readable, the next
        # iteration raises.
        it = c.frames(timeout=2)
        held = next(it)
        session.stop(target[path], "KILL")
        assert held.to_numpy().shape == (240, 320, 3)
        with pytest.raises(lastframe.ConnectionLostError, match="went away"):
            next(it)
        it.close()
        del held
    with pytest.raises(lastframe.NoDaemonError, match="is the service running"):
        lastframe.connect(path)
    assert fd_count() == before


def test_format_change_during_iteration(source, tmp_path):
    path, _, _ = source("BGRx", "320x240", "--resize-at", "40:400x300", "--wait-consumer")
    before = fd_count()
    with lastframe.connect(path) as c:
        seen = []
        with pytest.raises(lastframe.FormatChangedError, match="400x300"):
            for f in c.frames(timeout=3, stop_on_format_change=True):
                seen.append((f.width, f.height))
        assert seen and set(seen) == {(320, 240)}
        # By default iteration goes on with frames of the new size.
        it = c.frames(timeout=3)
        f = next(it)
        assert (f.width, f.height) == (400, 300)
        assert verify_rgb(f.to_numpy(copy=True), tmp_path, "400x300")["complete"]
        it.close()
        assert not f.held
        del f
    assert fd_count() == before


def test_socket_lookup(session, source, monkeypatch, tmp_path):
    rt = tmp_path / "run"
    rt.mkdir(mode=0o700)
    monkeypatch.delenv("LASTFRAME_SOCKET", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(rt))
    assert lastframe.socket_path() == f"{rt}/lastframe/socket"
    with pytest.raises(lastframe.NoDaemonError) as ei:
        lastframe.grab(timeout=1)
    assert str(ei.value) == (f"cannot connect to lastframed at {rt}/lastframe/socket: No such "
                             "file or directory (is the service running? systemctl --user "
                             "start lastframed)")
    path, _, _ = source("BGRx", "320x240", sock="lastframe/socket")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(Path(path).parent.parent))
    assert lastframe.grab().width == 320
    monkeypatch.setenv("LASTFRAME_SOCKET", path)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(rt))
    assert lastframe.socket_path() == path and lastframe.grab().width == 320
    # A stale socket file nobody listens on.
    import socket
    stale = str(tmp_path / "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind(stale)
    s.close()
    with pytest.raises(lastframe.NoDaemonError, match="Connection refused"):
        lastframe.connect(stale)


def test_cli(source, tmp_path):
    path, _, _ = source("BGRA", "320x240")
    env = dict(os.environ, LASTFRAME_SOCKET=path)
    r = subprocess.run([sys.executable, "-m", "lastframe", "info", "--json"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert '"format": "BGRA"' in r.stdout and '"width": 320' in r.stdout
    png = tmp_path / "out.png"
    r = subprocess.run([sys.executable, "-m", "lastframe", "grab", str(png)], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    v = subprocess.run([str(BUILD / "lastframe-testsrc"), "--verify", str(png)],
                       capture_output=True, text=True)
    assert v.returncode == 0, v.stdout
    r = subprocess.run([sys.executable, "-m", "lastframe", "--socket", str(tmp_path / "none"),
                        "grab", str(png)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "cannot connect to lastframed at" in r.stderr
    r = subprocess.run([sys.executable, "-m", "lastframe", "grab", "x.jpg"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "use .png or .ppm" in r.stderr


def test_closed_client_raises(source):
    path, _, _ = source("BGRx", "320x240")
    c = lastframe.connect(path)
    c.close()
    with pytest.raises(lastframe.Error):
        c.grab(timeout=1)
    c.close()  # twice is fine
