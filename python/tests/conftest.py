# SPDX-License-Identifier: MIT
"""Fixtures: a real session (harness.sh on tests/lib/session.sh: dbus,
pipewire, wireplumber, lastframed, lastframe-testsrc) and fd counting."""
import os
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("LF_BUILD", ROOT / "build"))
HARNESS = Path(__file__).resolve().parent / "harness.sh"


def fd_count() -> int:
    """Open fds of this process, after collecting garbage (a mapping that an
    unreachable array still pins holds a dup of its fd)."""
    import gc
    gc.collect()
    return len(os.listdir("/proc/self/fd"))


class Session:
    """One private desktop session; producers and daemons are added by name."""

    def __init__(self) -> None:
        for b in ("lastframed", "lastframe-testsrc", "lastframe"):
            if not (BUILD / b).exists():
                pytest.fail(f"{BUILD / b} is not built (run make)")
        env = dict(os.environ, LF_BUILD=str(BUILD))
        for k in ("LASTFRAME_SOCKET", "XDG_RUNTIME_DIR"):
            env.pop(k, None)
        self.proc = subprocess.Popen([str(HARNESS)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        line = self._line()
        if not line.startswith("ready "):
            self.close()
            pytest.fail(f"the session did not start: {line!r}")
        self.runtime_dir = line.split(" ", 1)[1]
        self.daemons: Dict[str, int] = {}

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def cmd(self, *words: str) -> List[str]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(" ".join(words) + "\n")
        self.proc.stdin.flush()
        reply = self._line()
        if not reply.startswith("ok"):
            pytest.fail(f"harness: {' '.join(words)}: {reply!r}")
        return reply.split()[1:]

    def testsrc(self, name: str, *args: str) -> int:
        return int(self.cmd("testsrc", name, *args)[0])

    def daemon(self, sock: str, *args: str) -> str:
        pid, path = self.cmd("daemon", sock, "--no-config", "--no-import-probe", *args)
        self.daemons[path] = int(pid)
        return path

    def stop(self, pid: int, sig: str = "TERM") -> None:
        self.cmd("stop", str(pid), sig)

    def env(self) -> Dict[str, str]:
        return {"XDG_RUNTIME_DIR": self.runtime_dir, "LF_BUILD": str(BUILD)}

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="session")
def session():
    s = Session()
    yield s
    s.close()


_SRC_N = [0]


@pytest.fixture
def source(session):
    """source(fmt, size, *args) → (socket path, testsrc pid, daemon pid): a
    producer and a lastframed of its own in the shared session."""
    started: List[int] = []

    def make(fmt: str = "BGRx", size: str = "320x240", *args: str, rate: str = "30",
             daemon_args: Sequence[str] = (), sock: Optional[str] = None):
        _SRC_N[0] += 1
        name = f"src{_SRC_N[0]}"
        spid = session.testsrc(name, "--format", fmt, "--size", size, "--rate", rate, *args)
        started.append(spid)
        path = session.daemon(sock or f"{name}.sock", "--target", name, *daemon_args)
        dpid = session.daemons[path]
        started.append(dpid)
        return path, spid, dpid

    yield make
    for pid in reversed(started):
        session.stop(pid)


def wait_for(pred, timeout: float = 10.0, what: str = "condition"):
    end = time.monotonic() + timeout
    while True:
        r = pred()
        if r:
            return r
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def verify_rgb(rgb, tmp_path: Path, size: Optional[str] = None) -> dict:
    """Checks an RGB array with `lastframe-testsrc --verify` (the pattern)."""
    import json
    h, w, _ = rgb.shape
    p = tmp_path / f"v{time.monotonic_ns()}.ppm"
    p.write_bytes(b"P6\n%d %d\n255\n" % (w, h) + rgb[:, :, :3].tobytes())
    args = [str(BUILD / "lastframe-testsrc"), "--verify", str(p)]
    if size:
        args += ["--expect-size", size]
    r = subprocess.run(args, capture_output=True, text=True)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["rc"] = r.returncode
    return out


def tag_counter(rgb) -> int:
    """The frame counter in the pattern's tag (8x8 blocks, white = 1, bits
    0..31 row-major from the top left), read from any (h, w, >=3) array."""
    w = rgb.shape[1]
    per_row = w // 8
    v = 0
    for i in range(32):
        y, x = (i // per_row) * 8 + 4, (i % per_row) * 8 + 4
        if int(rgb[y, x, 1]) > 127:
            v |= 1 << i
    return v
