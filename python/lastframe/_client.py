# SPDX-License-Identifier: MIT
"""The connection: handshake, receiving (with fds), leases, waiting.

The logic is written once as generators that yield what they wait for
(("cond", predicate, what) or ("sleep", seconds, what)); Client drives them
with poll(), lastframe.aio with the event loop's add_reader()."""
import errno
import os
import select
import socket
from socket import socket as _Socket
import sys
import time
from collections import deque
from typing import (Any, Callable, Deque, Dict, Generator, Iterator, NamedTuple, Optional, Set,
                    Tuple)

from . import _convert as conv
from . import _proto as P
from ._frame import Buffer, Frame
from ._receive import Receiver
from .errors import (ConnectionLostError, Error, FormatChangedError, LeaseExpiredError,
                     TimeoutError, connect_error, strerror)

Step = Tuple[str, Any, str]
Gen = Generator[Step, None, Any]

_STATES = {0: "none", 1: "paused", 2: "streaming"}
_BUFFER_TYPES = {0: "none", 1: "memfd", 2: "dmabuf", 3: "memptr"}


class StreamInfo(NamedTuple):
    """What the daemon streams now (its latest FORMAT)."""
    width: int
    height: int
    format: Optional[str]      # "BGRx", ..., None when there is no format
    drm_format: int            # DRM fourcc, 0 when none
    modifier: Optional[int]    # None when no modifier was negotiated
    buffer_type: str           # how frames reach clients: memfd, dmabuf, none
    source_type: str           # what the producer sends: memfd, dmabuf, memptr, none
    fps: Optional[float]       # nominal rate, None when variable or unknown
    state: str                 # none, paused, streaming
    generation: int
    n_planes: int
    daemon_version: str


def socket_path(path: Optional[str] = None) -> str:
    """The socket liblastframe would use: ``path``, else $LASTFRAME_SOCKET,
    else $XDG_RUNTIME_DIR/lastframe/socket, else /run/user/UID/lastframe/socket."""
    if path:
        return os.fspath(path)
    env = os.environ.get("LASTFRAME_SOCKET")
    if env:
        return env
    rt = os.environ.get("XDG_RUNTIME_DIR")
    if rt:
        return f"{rt}/lastframe/socket"
    return f"/run/user/{os.getuid()}/lastframe/socket"


def _default_name() -> str:
    return os.path.basename(sys.argv[0] if sys.argv and sys.argv[0] else "") or "python"


class Client(Receiver):
    """A connection to lastframed. Use :func:`lastframe.connect`.

    Not thread-safe: use it from one thread at a time. A context manager;
    :meth:`close` says BYE and frees everything (held frames included)."""

    def __init__(self, socket: Optional[str] = None, *, name: Optional[str] = None,
                 max_held: int = 2) -> None:
        if not 1 <= max_held <= 3:
            raise ValueError("max_held must be 1..3")
        self.socket_path = socket_path(socket)
        self.name = name or _default_name()
        self.max_held_wanted = max_held
        self._sock: Optional[_Socket] = None
        self._reading = False
        self._poll: Optional[Tuple[int, Any]] = None
        self._epoch = 0
        self._reset()

    # --- state -------------------------------------------------------------
    def _reset(self) -> None:
        self._dead: Optional[Error] = None
        self._welcome: Optional[P.Welcome] = None
        self._format: Optional[P.Format] = None
        self._buffers: Dict[Tuple[int, int], Buffer] = {}
        self._queue: Deque[Frame] = deque()
        self._held: Set[Frame] = set()
        self._stats: Optional[Dict[str, int]] = None
        self._cookie = 0
        self._pong = 0
        self._frames_taken = 0
        self._last_seq = 0
        self._last_copy: Optional[Frame] = None
        self.format_changes = 0

    @property
    def daemon_version(self) -> str:
        return self._welcome.daemon_version if self._welcome else ""

    @property
    def lease_timeout_ms(self) -> int:
        return self._welcome.lease_timeout_ms if self._welcome else 0

    @property
    def max_held(self) -> int:
        return self._welcome.max_held if self._welcome else 0

    @property
    def client_id(self) -> int:
        return self._welcome.client_id if self._welcome else 0

    def fileno(self) -> int:
        """The socket: poll it for reading, then call :meth:`dispatch`."""
        if self._sock is None:
            raise Error("the client is closed", errno.EBADF)
        return self._sock.fileno()

    # --- connecting --------------------------------------------------------
    def _connect_gen(self) -> Gen:
        self._epoch += 1
        self._reset()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
        s.setblocking(False)
        self._sock = s
        # A full listen backlog makes a non-blocking AF_UNIX connect fail with
        # EAGAIN rather than wait: retry briefly (as liblastframe does).
        for tries in range(101):
            try:
                s.connect(self.socket_path)
                break
            except InterruptedError:
                continue
            except BlockingIOError:
                if tries == 100:
                    raise connect_error(self.socket_path, errno.EAGAIN) from None
                yield ("sleep", 0.01, "connect")
            except OSError as e:
                self._close_socket()
                raise connect_error(self.socket_path, e.errno or errno.EIO) from None
        try:
            self._send(P.pack_hello(self.name, 0, self.max_held_wanted))
        except Error:
            # A daemon refusing us (EACCES, EBUSY) sends ERROR and closes
            # before reading HELLO: _send() has read its reason (not EPIPE)
            # into _dead, which the wait below reports.
            pass
        try:
            yield ("cond", lambda: self._welcome is not None, "welcome")
        except TimeoutError:
            raise
        except Error as e:
            raise connect_error(self.socket_path, e.errno, e) from None

    def _close_socket(self) -> None:
        s, self._sock = self._sock, None
        if s is not None:
            s.close()

    def _drop_all(self) -> None:
        """Frees every buffer and frame of this connection (no messages)."""
        for f in list(self._queue) + list(self._held):
            f._client = None
            f._drop()
        self._queue.clear()
        self._held.clear()
        for b in self._buffers.values():
            b.unref()
        self._buffers.clear()

    def close(self) -> None:
        """Says BYE and closes; frames still held are released (their views die)."""
        if self._sock is not None and self._dead is None and self._welcome is not None:
            try:
                self._send(P.pack_bye(P.BYE_CLIENT))
            except Error:
                pass
        self._drop_all()
        self._close_socket()
        if self._dead is None:
            self._dead = ConnectionLostError("the client is closed", errno.EBADF)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if self._sock is not None:
                self._drop_all()
                self._close_socket()
        except Exception:
            pass

    # --- waiting -----------------------------------------------------------
    def _ready(self, cond: Callable[[], bool]) -> bool:
        """cond() after reading what arrived; raises once the connection is
        dead and cond() can no longer become true."""
        # One packet at a time, so a frame wait costs one recvmsg per wake-up
        # rather than a drain that always ends in EAGAIN.
        while not cond():
            if not self._read_one():
                if self._dead is not None:
                    raise self._dead
                return False
        return True

    def _timeout_error(self, what: str, timeout: Optional[float]) -> Error:
        t = f"{timeout:g}"
        if what == "welcome":
            return TimeoutError(f"cannot talk to lastframed at {self.socket_path}: "
                                f"{strerror(errno.ETIMEDOUT)}", errno.ETIMEDOUT)
        if what == "frame":
            fmt = self._format
            if fmt is None or fmt.state == 0:
                why = "lastframed has no video source (is a screencast running?)"
            elif fmt.state == 1:
                why = "the video source is paused"
            else:
                why = "the source is streaming but no frame has arrived yet"
            return TimeoutError(f"no frame within {t} s: {why}", errno.ETIMEDOUT)
        return TimeoutError(f"{strerror(errno.ETIMEDOUT)} ({what} within {t} s)",
                            errno.ETIMEDOUT)

    def _run(self, gen: Gen, timeout: Optional[float]) -> Any:
        """Drives a generator with poll(); timeout None waits for ever."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            step = next(gen)
            while True:
                kind, arg, what = step
                try:
                    if kind == "sleep":
                        time.sleep(arg)
                    else:
                        while not self._ready(arg):
                            left = None if deadline is None else deadline - time.monotonic()
                            if left is not None and left <= 0:
                                raise self._timeout_error(what, timeout)
                            self._poller().poll(
                                None if left is None else max(1, int(left * 1000 + 0.999)))
                except Error as e:
                    # Into the generator: it may word the error for its context.
                    step = gen.throw(e)
                    continue
                step = gen.send(None)
        except StopIteration as e:
            return e.value

    def _poller(self) -> "select.poll":
        fd = self.fileno()
        if self._poll is None or self._poll[0] != fd:
            p = select.poll()
            p.register(fd, select.POLLIN)
            self._poll = (fd, p)
        return self._poll[1]

    # --- frames --------------------------------------------------------------
    def _take(self, newest: bool) -> Frame:
        """Hands out the oldest (or newest) queued frame; with newest, the
        older ones go back to the daemon."""
        if newest:
            while len(self._queue) > 1:
                f = self._queue.popleft()
                self._held.add(f)
                f.release()
        f = self._queue.popleft()
        self._held.add(f)
        self._frames_taken += 1
        return f

    def _ping_gen(self) -> Gen:
        self._cookie += 1
        cookie = self._cookie
        self._send(P.pack_ping(P.PING, cookie))
        yield ("cond", lambda: self._pong == cookie, "pong")

    def _stale(self) -> bool:
        """Frames queued long ago hold leases the daemon is about to revoke."""
        if not self._queue or not self._welcome:
            return False
        age_ms = (time.monotonic_ns() - self._queue[0].client_recv_ns) / 1e6
        return age_ms >= self._welcome.lease_timeout_ms / 2

    def _grab_gen(self) -> Gen:
        self._pump()
        # A client left idle keeps unseen frames (leases) in its queue: the
        # daemon drops it after the lease timeout. Nobody saw those frames,
        # so reconnect (the daemon then sends its newest frame at once).
        if not self._held and (isinstance(self._dead, LeaseExpiredError) or self._stale()):
            self._drop_all()
            self._close_socket()
            yield from self._connect_gen()
        elif self._dead is not None:
            # Frames queued before the daemon left may be stale by now: grab()
            # promises the newest, so it reports the loss instead.
            raise self._dead
        if self._frames_taken > 0 or self._queue:
            if self._frames_taken > 0:
                # Keep the newest queued frame, free a credit, then a round
                # trip: a FRAME before the PONG is newer; none means the one
                # kept (or the last one taken) is the newest.
                while len(self._queue) > 1:
                    q = self._queue.popleft()
                    self._held.add(q)
                    q.release()
                yield from self._ping_gen()
            if self._queue:
                return self._copy_newest()
            last = self._last_copy
            if last is not None and last.seq == self._last_seq:
                return last
        yield ("cond", lambda: bool(self._queue), "frame")
        return self._copy_newest()

    def _copy_newest(self) -> Frame:
        f = self._take(newest=True)
        try:
            f._copy_out()
        finally:
            f.release()
        self._last_copy = f
        return f

    def _next_gen(self) -> Gen:
        yield ("cond", self._has_frame, "frame")
        return self._take(newest=False)

    def _info_gen(self) -> Gen:
        yield ("cond", lambda: self._format is not None, "stream format")
        return self._info()

    def _info(self) -> StreamInfo:
        f = self._format
        assert f is not None
        has_fmt = f.drm_format != 0
        return StreamInfo(
            width=f.width, height=f.height,
            format=conv.format_name(f.drm_format) if has_fmt else None,
            drm_format=f.drm_format,
            modifier=f.modifier if f.flags & P.FORMAT_FLAG_MODIFIER else None,
            buffer_type=_BUFFER_TYPES.get(f.buffer_type, "none"),
            source_type=_BUFFER_TYPES.get(f.source_type, "none"),
            fps=f.fps_num / f.fps_den if f.fps_num and f.fps_den else None,
            state=_STATES.get(f.state, "none"), generation=f.generation,
            n_planes=f.n_planes, daemon_version=self.daemon_version)

    def _stats_gen(self) -> Gen:
        self._stats = None
        self._send(P.pack_stats_request())
        yield ("cond", lambda: self._stats is not None, "stats")
        return dict(self._stats or {})

    # --- public, blocking ----------------------------------------------------
    def _connect(self, timeout: Optional[float]) -> "Client":
        try:
            self._run(self._connect_gen(), timeout)
        except BaseException:
            self.close()
            raise
        return self

    def reconnect(self, timeout: Optional[float] = 5.0) -> None:
        """Closes the connection and opens a new one (e.g. after the daemon
        restarted). Frames still held stay readable; releasing them later
        is a no-op."""
        self._sock_close_for_reconnect()
        self._connect(timeout)

    def _sock_close_for_reconnect(self) -> None:
        for f in list(self._queue):
            f._client = None
            f._drop()
        self._queue.clear()
        for f in list(self._held):
            f._client = None  # their leases died with the old connection
        self._held.clear()
        for b in self._buffers.values():
            b.unref()
        self._buffers.clear()
        self._close_socket()

    def info(self, timeout: Optional[float] = 5.0) -> StreamInfo:
        """The stream's format: width, height, format, drm_format, modifier,
        buffer_type, fps, state..."""
        self._pump()
        if self._format is not None:
            return self._info()
        return self._run(self._info_gen(), timeout)

    def grab(self, timeout: Optional[float] = 5.0) -> Frame:
        """The newest frame, copied out: valid after its lease is gone.
        Waits up to ``timeout`` seconds when no frame exists yet."""
        return self._run(self._grab_gen(), timeout)

    def _has_frame(self) -> bool:
        return bool(self._queue)

    def next_frame(self, timeout: Optional[float] = 5.0) -> Frame:
        """The next frame, held (a lease): call ``release()`` on it within
        the lease timeout (``lease_timeout_ms``, 1 s by default)."""
        # _run(_next_gen()) without the generator: this is the per-frame
        # path of frames(), where every microsecond is CPU at 60 fps.
        # poll() first: it answers at once when a packet waits, and saves the
        # recvmsg that would end in EAGAIN on every frame.
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._queue:
            if self._dead is not None or self._sock is None:
                if self._ready(self._has_frame):  # raises the reason
                    break
                raise Error("the client is closed", errno.EBADF)
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                if self._ready(self._has_frame):
                    break
                raise self._timeout_error("frame", timeout)
            if self._poller().poll(None if left is None else max(1, int(left * 1000 + 0.999))):
                self._ready(self._has_frame)
        return self._take(newest=False)

    def frames(self, max_frames: Optional[int] = None, timeout: Optional[float] = 5.0, *,
               stop_on_format_change: bool = False) -> Iterator[Frame]:
        """Iterates over frames as they arrive. Each frame holds its lease
        until the next iteration (or ``release()``), so ``frame.array`` and
        ``frame.to_numpy()`` may be zero-copy views while it is held; hold
        it no longer than the lease timeout. A FORMAT change lets frames of
        the new size follow, or raises FormatChangedError with
        ``stop_on_format_change=True``. ``timeout`` bounds each wait."""
        n = 0
        prev: Optional[Frame] = None
        last: Optional[Tuple[int, str]] = None  # generation, description
        try:
            while max_frames is None or n < max_frames:
                if prev is not None:
                    prev.release()
                    prev = None
                f = self.next_frame(timeout)
                now = (f.generation, f"{f.width}x{f.height} {f.format}")
                if stop_on_format_change and last is not None and now[0] != last[0]:
                    f.release()
                    raise FormatChangedError(
                        f"the stream format changed from {last[1]} to {now[1]} "
                        f"(generation {last[0]} -> {now[0]})")
                last = now
                prev = f
                n += 1
                yield f
        finally:
            if prev is not None:
                prev.release()

    def stats(self, timeout: Optional[float] = 5.0) -> Dict[str, int]:
        """The daemon's counters (STATS), as a dict."""
        return self._run(self._stats_gen(), timeout)

    def ping(self, timeout: Optional[float] = 5.0) -> float:
        """Round trip to the daemon, in seconds."""
        t0 = time.monotonic()
        self._run(self._ping_gen(), timeout)
        return time.monotonic() - t0


def connect(socket: Optional[str] = None, timeout: Optional[float] = 5.0, *,
            name: Optional[str] = None, max_held: int = 2) -> Client:
    """Connects to lastframed and does the handshake. ``socket``: the path,
    else $LASTFRAME_SOCKET, else $XDG_RUNTIME_DIR/lastframe/socket.
    ``max_held``: frames held at once (1..3). Raises NoDaemonError,
    RefusedError, TimeoutError..."""
    return Client(socket, name=name, max_held=max_held)._connect(timeout)


def grab(socket: Optional[str] = None, timeout: Optional[float] = 5.0) -> Frame:
    """The newest frame, in one call (connect, grab, close)."""
    with Client(socket, max_held=1)._connect(timeout) as c:
        return c.grab(timeout)
