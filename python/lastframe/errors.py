# SPDX-License-Identifier: MIT
"""Exceptions. Every error the package raises is a :class:`lastframe.Error`;
the subclass names the cause and the message says it the way the C CLI does."""
import builtins
import errno as _errno
import os
from typing import Optional

__all__ = [
    "Error", "NoDaemonError", "RefusedError", "TimeoutError", "ProtocolError",
    "BadBufferError", "ConnectionLostError", "LeaseExpiredError",
    "FormatChangedError", "UnsupportedFormatError", "strerror",
]

# The same texts as liblastframe's lastframe_strerror() (client/lib/strerror.c).
_TEXTS = {
    0: "success",
    _errno.ENOENT: "lastframed is not running (no socket)",
    _errno.ECONNREFUSED: "lastframed is not running (connection refused)",
    _errno.EPIPE: "lastframed closed the connection",
    _errno.ECONNRESET: "lastframed went away",
    _errno.EPROTO: "protocol error talking to lastframed",
    _errno.ETIMEDOUT: "timed out waiting for lastframed",
    _errno.EAGAIN: "no frame available yet",
    _errno.ENODATA: "no stream format yet",
    _errno.EUSERS: "lastframed has too many clients",
    _errno.EBUSY: "lastframed has too many clients",
    _errno.ENOBUFS: "lastframed dropped us: replies did not fit the socket",
    _errno.EINVAL: "invalid argument (or a frame this client does not hold)",
    _errno.EACCES: "permission denied by lastframed",
    _errno.EPROTONOSUPPORT: "lastframed speaks an incompatible protocol version",
    _errno.EBADMSG: "lastframed sent a buffer smaller than announced",
    _errno.ENAMETOOLONG: "socket path too long",
}


def strerror(err: int) -> str:
    """What an errno value means when it comes from talking to lastframed."""
    err = abs(err)
    if err in _TEXTS:
        return _TEXTS[err]
    try:
        return os.strerror(err)
    except ValueError:
        return "unknown error"


class Error(Exception):
    """Base class of every lastframe error. ``errno`` is the positive errno
    value behind it (0 when none applies)."""

    def __init__(self, message: str, errno: int = 0) -> None:
        super().__init__(message)
        self.errno = errno


class NoDaemonError(Error):
    """No lastframed listens on the socket (ENOENT, ECONNREFUSED)."""


class RefusedError(Error):
    """lastframed refused the connection (EACCES, EBUSY, EPROTONOSUPPORT)."""


class TimeoutError(Error, builtins.TimeoutError):  # noqa: A001 - lastframe.TimeoutError
    """Nothing arrived within the timeout (no frame, no handshake)."""


class ProtocolError(Error):
    """lastframed sent something malformed; the connection is closed."""


class BadBufferError(ProtocolError):
    """A buffer is smaller than its format says (EBADMSG)."""


class ConnectionLostError(Error):
    """lastframed went away (closed, stopped, restarted) or sent an ERROR."""


class LeaseExpiredError(ConnectionLostError):
    """A frame was held longer than the daemon's lease timeout: it dropped
    the connection (ERROR ETIMEDOUT)."""


class FormatChangedError(Error):
    """The stream format changed while ``frames(stop_on_format_change=True)``
    was iterating."""


class UnsupportedFormatError(Error):
    """The frame's pixel format or modifier cannot be read from the CPU."""


def error_from_daemon(code: int, text: str) -> Error:
    """The exception for an ERROR message the daemon sent."""
    said = f" (lastframed said: {text})" if text else ""
    msg = f"{strerror(code)}{said}"
    if code == _errno.ETIMEDOUT:
        return LeaseExpiredError(
            "lastframed dropped the connection: a frame was held past its lease "
            f"timeout{said}; release frames sooner", code)
    if code in (_errno.EACCES, _errno.EBUSY, _errno.EUSERS, _errno.EPROTONOSUPPORT):
        return RefusedError(msg, code)
    if code in (_errno.EPROTO, _errno.EBADMSG, _errno.EMSGSIZE):
        return ProtocolError(msg, code)
    return ConnectionLostError(msg, code)


def connect_error(path: str, err: int, cause: Optional[Error] = None) -> Error:
    """The error for a failed connect, worded as `lastframe` (the CLI) does."""
    if cause is not None:
        return type(cause)(f"cannot talk to lastframed at {path}: {cause}", err)
    if err in (_errno.ENOENT, _errno.ECONNREFUSED):
        return NoDaemonError(
            f"cannot connect to lastframed at {path}: {os.strerror(err)} "
            "(is the service running? systemctl --user start lastframed)", err)
    if err in (_errno.EACCES, _errno.ENOTSOCK, _errno.ENAMETOOLONG):
        return RefusedError(f"cannot connect to lastframed at {path}: {os.strerror(err)}", err)
    return ConnectionLostError(f"cannot talk to lastframed at {path}: {strerror(err)}", err)
