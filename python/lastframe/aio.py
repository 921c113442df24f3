# SPDX-License-Identifier: MIT
"""asyncio client: the same protocol logic as :class:`lastframe.Client`,
driven by the connection's fd through ``loop.add_reader()`` (no threads)::

    async with lastframe.aio.connect() as client:
        frame = await client.grab()
        async for frame in client.frames(max_frames=10):
            rgb = frame.to_numpy()
"""
import asyncio
import time
from typing import Any, AsyncIterator, Dict, Generator, Optional

from ._client import Client, Gen, StreamInfo
from ._frame import Frame
from .errors import Error

__all__ = ["connect", "AsyncClient"]


class AsyncClient:
    """A connection driven by the running event loop. Not thread-safe."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def _run(self, gen: Gen, timeout: Optional[float]) -> Any:
        c = self.client
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            step = next(gen)
            while True:
                kind, arg, what = step
                try:
                    if kind == "sleep":
                        await asyncio.sleep(arg)
                    else:
                        while not c._ready(arg):
                            left = None if deadline is None else deadline - time.monotonic()
                            if left is not None and left <= 0:
                                raise c._timeout_error(what, timeout)
                            await self._readable(loop, left)
                except Error as e:
                    step = gen.throw(e)
                    continue
                step = gen.send(None)
        except StopIteration as e:
            return e.value

    async def _readable(self, loop: asyncio.AbstractEventLoop, left: Optional[float]) -> None:
        fd = self.client.fileno()
        fut = loop.create_future()

        def ready() -> None:
            if not fut.done():
                fut.set_result(None)
        loop.add_reader(fd, ready)
        try:
            await asyncio.wait_for(fut, left)
        except asyncio.TimeoutError:
            pass  # the caller checks the deadline
        finally:
            loop.remove_reader(fd)

    # The same API as Client, awaited.
    @property
    def daemon_version(self) -> str:
        return self.client.daemon_version

    @property
    def lease_timeout_ms(self) -> int:
        return self.client.lease_timeout_ms

    def fileno(self) -> int:
        return self.client.fileno()

    async def info(self, timeout: Optional[float] = 5.0) -> StreamInfo:
        self.client._pump()
        if self.client._format is not None:
            return self.client._info()
        return await self._run(self.client._info_gen(), timeout)

    async def grab(self, timeout: Optional[float] = 5.0) -> Frame:
        """The newest frame, copied out (see Client.grab)."""
        return await self._run(self.client._grab_gen(), timeout)

    async def next_frame(self, timeout: Optional[float] = 5.0) -> Frame:
        """The next frame, held: release() it within the lease timeout."""
        return await self._run(self.client._next_gen(), timeout)

    async def frames(self, max_frames: Optional[int] = None,
                     timeout: Optional[float] = 5.0) -> AsyncIterator[Frame]:
        """Frames as they arrive; each is held until the next iteration."""
        n = 0
        prev: Optional[Frame] = None
        try:
            while max_frames is None or n < max_frames:
                if prev is not None:
                    prev.release()
                    prev = None
                prev = await self.next_frame(timeout)
                n += 1
                yield prev
        finally:
            if prev is not None:
                prev.release()

    async def stats(self, timeout: Optional[float] = 5.0) -> Dict[str, int]:
        return await self._run(self.client._stats_gen(), timeout)

    async def ping(self, timeout: Optional[float] = 5.0) -> float:
        t0 = time.monotonic()
        await self._run(self.client._ping_gen(), timeout)
        return time.monotonic() - t0

    def close(self) -> None:
        self.client.close()

    async def aclose(self) -> None:
        self.client.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.client.close()


class _Connect:
    """What connect() returns: await it, or use it with ``async with``."""

    def __init__(self, socket: Optional[str], timeout: Optional[float], name: Optional[str],
                 max_held: int) -> None:
        self._args = (socket, timeout, name, max_held)
        self._client: Optional[AsyncClient] = None

    async def _open(self) -> AsyncClient:
        socket, timeout, name, max_held = self._args
        c = Client(socket, name=name, max_held=max_held)
        ac = AsyncClient(c)
        try:
            await ac._run(c._connect_gen(), timeout)
        except BaseException:
            c.close()
            raise
        return ac

    def __await__(self) -> Generator[Any, None, AsyncClient]:
        return self._open().__await__()

    async def __aenter__(self) -> AsyncClient:
        self._client = await self._open()
        return self._client

    async def __aexit__(self, *exc: Any) -> None:
        if self._client is not None:
            self._client.close()


def connect(socket: Optional[str] = None, timeout: Optional[float] = 5.0, *,
            name: Optional[str] = None, max_held: int = 2) -> _Connect:
    """``async with lastframe.aio.connect() as client`` or
    ``client = await lastframe.aio.connect()``."""
    return _Connect(socket, timeout, name, max_held)


async def grab(socket: Optional[str] = None, timeout: Optional[float] = 5.0) -> Frame:
    """The newest frame, in one call."""
    async with connect(socket, timeout, max_held=1) as c:
        return await c.grab(timeout)
