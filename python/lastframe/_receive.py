# SPDX-License-Identifier: MIT
"""Sending and receiving for Client: one packet at a time with its fds
(SCM_RIGHTS), validated (docs/protocol.md §6), and what each message changes
(buffers, the frame queue, leases)."""
import array
import errno
import os
import socket
import time
from socket import socket as _Socket
from typing import Any, Deque, Dict, List, Optional, Set, Tuple

from . import _proto as P
from ._frame import Buffer, Frame
from .errors import ConnectionLostError, Error, ProtocolError, error_from_daemon, strerror

# Plain ints: the socket module's IntFlag members cost a call per operation.
_MSG_TRUNC, _MSG_CTRUNC = int(socket.MSG_TRUNC), int(socket.MSG_CTRUNC)
_RECV_FLAGS = int(socket.MSG_CMSG_CLOEXEC)
_SEND_FLAGS = int(socket.MSG_NOSIGNAL | socket.MSG_DONTWAIT)
_ANC_SPACE = socket.CMSG_SPACE(P.MAX_FDS * 4)
_SOL_SOCKET, _SCM_RIGHTS = int(socket.SOL_SOCKET), int(socket.SCM_RIGHTS)


class Receiver:
    """The connection state and its message handling; Client adds the API."""
    _sock: Optional[_Socket]
    _reading: bool
    _epoch: int
    _dead: Optional[Error]
    _welcome: Optional[P.Welcome]
    _format: Optional[P.Format]
    _buffers: Dict[Tuple[int, int], Buffer]
    _queue: Deque[Frame]
    _held: Set[Frame]
    _stats: Optional[Dict[str, int]]
    _cookie: int
    _pong: int
    _last_seq: int
    format_changes: int

    def _send(self, data: bytes) -> None:
        if self._dead is not None:
            raise self._dead
        if self._sock is None:
            raise Error("the client is closed", errno.EBADF)
        try:
            n = self._sock.send(data, _SEND_FLAGS)
            if n == len(data):
                return
            err = ConnectionLostError("short send to lastframed", errno.EIO)
        except BlockingIOError:
            # The socket buffer is far larger than what a client queues:
            # the daemon stopped reading.
            err = ConnectionLostError("lastframed stopped reading", errno.EIO)
        except OSError:
            err = ConnectionLostError(strerror(errno.ECONNRESET), errno.ECONNRESET)
        # The daemon's last words (an ERROR saying why it closed) are still
        # queued for us: they explain the failure better than EPIPE.
        if not self._reading:
            self._pump()
        if self._dead is None:
            self._dead = err
        raise self._dead

    def _fail_protocol(self, detail: str) -> None:
        try:
            self._send(P.pack_error(errno.EPROTO, "client: bad message"))
        except Error:
            pass
        self._dead = ProtocolError(f"{strerror(errno.EPROTO)}: {detail}", errno.EPROTO)

    def _read_one(self) -> bool:
        """Reads one packet without blocking; False when nothing is left
        (or the connection is dead)."""
        if self._dead is not None or self._sock is None or self._reading:
            return False
        self._reading = True
        try:
            return self._read_one_locked()
        finally:
            self._reading = False

    def _read_one_locked(self) -> bool:
        assert self._sock is not None
        reset = False
        while True:
            try:
                data, anc, flags, _ = self._sock.recvmsg(P.MAX_MSG, _ANC_SPACE, _RECV_FLAGS)
                break
            except InterruptedError:
                continue
            except BlockingIOError:
                if not reset:
                    return False
                self._dead = ConnectionLostError(strerror(errno.ECONNRESET), errno.ECONNRESET)
                return False
            except ConnectionResetError:
                # Closing with our packets unread leaves ECONNRESET pending
                # ahead of the daemon's last messages (an ERROR saying why).
                if reset:
                    self._dead = ConnectionLostError(strerror(errno.ECONNRESET),
                                                     errno.ECONNRESET)
                    return False
                reset = True
            except OSError as e:
                self._dead = ConnectionLostError(f"{strerror(errno.ECONNRESET)}: {e}",
                                                 e.errno or errno.EIO)
                return False
        now = time.monotonic_ns()
        fds: List[int] = []
        for level, kind, cdata in anc:
            if level == _SOL_SOCKET and kind == _SCM_RIGHTS:
                a = array.array("i")
                a.frombytes(cdata[:len(cdata) - len(cdata) % a.itemsize])
                fds.extend(a)
        try:
            if not data:
                self._dead = ConnectionLostError(strerror(errno.ECONNRESET), errno.ECONNRESET)
                return False
            if flags & _MSG_CTRUNC or len(fds) > P.MAX_FDS:
                self._fail_protocol(f"a message came with more than {P.MAX_FDS} file descriptors")
                return False
            if flags & _MSG_TRUNC:
                self._fail_protocol(f"a message larger than {P.MAX_MSG} bytes")
                return False
            try:
                kind, body = P.parse(data, len(fds))
                self._handle(kind, body, fds, now)
            except P.Malformed as e:
                self._fail_protocol(str(e))
                return False
            return True
        finally:
            for fd in fds:  # whatever no handler took
                if fd >= 0:
                    os.close(fd)

    def _handle(self, kind: int, body: Any, fds: List[int], now: int) -> None:
        if body is None:
            return  # unknown but ignorable
        if self._welcome is None and kind not in (P.WELCOME, P.ERROR):
            raise P.Malformed(f"{P.NAMES[kind]} before WELCOME")
        if kind == P.WELCOME:
            w: P.Welcome = body
            if self._welcome is not None:
                raise P.Malformed("a second WELCOME")
            if not 1 <= w.version <= P.VERSION or w.max_held > 3:
                raise P.Malformed(f"WELCOME with version {w.version}, max_held {w.max_held}")
            self._welcome = w
        elif kind == P.ERROR:
            code, text = body
            code = code if 0 < code < 4096 else errno.EPROTO
            self._dead = error_from_daemon(code, text)
        elif kind == P.FORMAT:
            self._on_format(body)
        elif kind == P.ADD_BUFFER:
            m: P.AddBuffer = body
            fmt = self._format
            if fmt is None or m.generation != fmt.generation:
                raise P.Malformed(f"ADD_BUFFER for generation {m.generation}, current is "
                                  f"{fmt.generation if fmt else 'none'}")
            key = (m.generation, m.buffer_id)
            if key in self._buffers:
                raise P.Malformed(f"ADD_BUFFER of buffer {m.buffer_id} twice")
            taken = fds[:len(m.planes)]
            del fds[:len(m.planes)]
            self._buffers[key] = Buffer(m, taken, fmt)
        elif kind == P.REMOVE_BUFFER:
            b = self._buffers.pop(body, None)  # gone with its generation: harmless
            if b is not None:
                b.unref()
        elif kind == P.FRAME:
            fm: P.FrameMsg = body
            b = self._buffers.get((fm.generation, fm.buffer_id))
            if b is None:
                raise P.Malformed(f"FRAME of unknown buffer {fm.buffer_id} "
                                  f"(generation {fm.generation})")
            if fm.seq <= self._last_seq:
                raise P.Malformed(f"FRAME seq {fm.seq} after {self._last_seq}")
            fences = fds[:fm.n_fences]
            del fds[:fm.n_fences]
            self._last_seq = fm.seq
            self._queue.append(Frame(self, self._epoch, fm, b.ref(), fences, now))
        elif kind == P.PING:
            try:
                self._send(P.pack_ping(P.PONG, body))
            except Error:
                pass
        elif kind == P.PONG:
            if body == self._cookie:
                self._pong = body
        elif kind == P.BYE:
            self._dead = ConnectionLostError(
                "lastframed closed the connection" +
                (" (it is shutting down)" if body == P.BYE_SHUTDOWN else ""), errno.EPIPE)
        elif kind == P.STATS:
            self._stats = body

    def _on_format(self, f: P.Format) -> None:
        new_gen = self._format is None or f.generation != self._format.generation
        if self._format is not None and f.generation < self._format.generation:
            raise P.Malformed(f"FORMAT generation went back from {self._format.generation} "
                              f"to {f.generation}")
        self._format = f
        if not new_gen:
            return
        self.format_changes += 1
        for b in self._buffers.values():
            b.unref()
        self._buffers.clear()
        # Queued frames of an older generation show a picture of the wrong
        # size: hand them back at once rather than to the application.
        stale = [q for q in self._queue if q.generation != f.generation]
        for q in stale:
            self._queue.remove(q)
            self._held.add(q)
            q.release()

    def _pump(self) -> None:
        while self._read_one():
            pass

    def dispatch(self) -> int:
        """Reads what the daemon sent, without blocking; returns the number
        of frames waiting. Raises when the connection has died."""
        self._pump()
        if self._dead is not None and not self._queue:
            raise self._dead
        return len(self._queue)

    def _release(self, f: Frame) -> None:
        try:
            f._drop()
        finally:
            self._held.discard(f)
            if f._epoch == self._epoch and self._dead is None and self._sock is not None:
                # Sent for an older generation too: the daemon needs every one
                # to give the credit back.
                try:
                    self._send(P.pack_release(f.generation, f.buffer_id, f.seq))
                except Error:
                    pass
