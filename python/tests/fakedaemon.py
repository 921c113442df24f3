# SPDX-License-Identifier: MIT
"""A scripted stand-in for lastframed: a SOCK_SEQPACKET server in a thread
that plays one script per accepted connection (valid or garbage messages)."""
import array
import os
import socket
import struct
import threading
from pathlib import Path
from typing import Callable, List, Optional, Sequence

HDR = struct.Struct("=HHI")
XR24 = 0x34325258


def fourcc(s: str) -> int:
    return ord(s[0]) | ord(s[1]) << 8 | ord(s[2]) << 16 | ord(s[3]) << 24


def hdr(kind: int, length: int, flags: int = 0) -> bytes:
    return HDR.pack(kind, flags, length)


def welcome(max_held: int = 1, lease_ms: int = 1000) -> bytes:
    return hdr(2, 64) + struct.pack("=IIIIII32s", 1, 0, max_held, lease_ms, 7, 0, b"fake 1")


def fmt(width: int, height: int, drm: int = XR24, gen: int = 1, n_planes: int = 1,
        buffer_type: int = 1, state: int = 2, modifier: int = 0x00FFFFFFFFFFFFFF,
        flags: int = 0) -> bytes:
    return hdr(4, 64) + struct.pack("=IIIIIIQIIIIII", gen, state, width, height, drm,
                                    n_planes, modifier, buffer_type, 1, 60, 1, flags, 0)


def add_buffer(planes: Sequence[tuple], gen: int = 1, buffer_id: int = 0,
               buffer_type: int = 1, n_planes: Optional[int] = None) -> bytes:
    body = struct.pack("=IIII", gen, buffer_id, buffer_type,
                       len(planes) if n_planes is None else n_planes)
    for i in range(4):
        off, stride, size = planes[i] if i < len(planes) else (0, 0, 0)
        body += struct.pack("=IIII", off, stride, size, 0)
    return hdr(5, 88) + body


def frame(seq: int, gen: int = 1, buffer_id: int = 0, flags: int = 0, n_fences: int = 0,
          n_damage: int = 0, extra: bytes = b"", length: Optional[int] = None,
          crop: Sequence[int] = (0, 0, 0, 0)) -> bytes:
    if any(crop):
        flags |= 32
    body = struct.pack("=IIQQQQIIiiIIiiiiIIII", gen, buffer_id, seq, 0, 1, 2, 0, flags,
                       *crop, 0, 0, 0, 0, 0, 0, n_damage, n_fences) + extra
    return hdr(7, length if length is not None else 8 + len(body)) + body


def error(code: int, text: str) -> bytes:
    t = text.encode() + b"\0"
    return hdr(3, 16 + len(t)) + struct.pack("=II", code, 0) + t


def memfd(data: bytes, size: Optional[int] = None) -> int:
    fd = os.memfd_create("fake-frame", os.MFD_CLOEXEC)
    os.write(fd, data)
    if size is not None:
        os.ftruncate(fd, size)
    return fd


class Conn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def send(self, data: bytes, fds: Sequence[int] = (), close_fds: bool = True) -> None:
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        try:
            self.sock.sendmsg([data], anc)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up: what the script sends no longer matters
        finally:
            if close_fds:
                for fd in fds:
                    os.close(fd)

    def hello(self) -> bytes:
        self.sock.settimeout(10)
        return self.sock.recv(4096)

    def recv(self, timeout: float = 5.0) -> bytes:
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(4096)
        except (socket.timeout, OSError):
            return b""

    def drain_until_closed(self, timeout: float = 10.0) -> None:
        """Reads until the client hangs up (so a script never outlives it)."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(4096):
                pass
        except (socket.timeout, OSError):
            pass


class FakeDaemon:
    """FakeDaemon(tmp_path, script, conns=1): script(Conn) runs for each of
    `conns` connections; join() waits for them and closes the listener."""

    def __init__(self, tmp_path: Path, script: Callable[[Conn], None], conns: int = 1) -> None:
        self.path = str(tmp_path / "fake.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(self.path)
        self.listener.listen(4)
        self.listener.settimeout(20)
        self.errors: List[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(script, conns), daemon=True)
        self.thread.start()

    def _run(self, script: Callable[[Conn], None], conns: int) -> None:
        try:
            for _ in range(conns):
                s, _ = self.listener.accept()
                with s:
                    script(Conn(s))
        except BaseException as e:  # reported by join()
            self.errors.append(e)

    def join(self) -> None:
        self.thread.join(30)
        assert not self.thread.is_alive(), "fake daemon script did not finish"
        self.listener.close()
        if self.errors:
            raise self.errors[0]
