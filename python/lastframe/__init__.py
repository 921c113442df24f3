# SPDX-License-Identifier: MIT
"""lastframe: the newest frame of a lastframed screencast as a numpy array.

    import lastframe
    rgb = lastframe.grab().to_numpy()          # (h, w, 3) uint8

    with lastframe.connect() as client:
        print(client.info())
        for frame in client.frames(max_frames=100):
            view = frame.to_numpy()            # zero-copy while the frame is held

A pure-Python client of lastframe wire protocol v1 (docs/protocol.md): numpy
is its one dependency, Pillow is optional (Frame.to_pil()). asyncio:
lastframe.aio. Errors: lastframe.Error and its subclasses.
"""
from ._client import Client, StreamInfo, connect, grab, socket_path
from ._frame import Frame
from ._proto import Rect
from .errors import (BadBufferError, ConnectionLostError, Error, FormatChangedError,
                     LeaseExpiredError, NoDaemonError, ProtocolError, RefusedError,
                     TimeoutError, UnsupportedFormatError)

__version__ = "0.1.0"
__all__ = [
    "connect", "grab", "socket_path", "Client", "Frame", "StreamInfo", "Rect",
    "Error", "NoDaemonError", "RefusedError", "TimeoutError", "ProtocolError",
    "BadBufferError", "ConnectionLostError", "LeaseExpiredError", "FormatChangedError",
    "UnsupportedFormatError", "aio",
]


def __getattr__(name: str):  # lastframe.aio without importing asyncio up front
    if name == "aio":
        import importlib
        return importlib.import_module(".aio", __name__)
    raise AttributeError(name)
