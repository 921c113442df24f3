#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A misbehaving lastframed for test-gst-bad-daemon.sh: speaks just enough of
protocol v1 (docs/protocol.md, ipc/proto.h) to reach the point where it
misbehaves, for one client, then exits.

  gst-fake-daemon.py SOCKET MODE

MODE:
  garbage       WELCOME, FORMAT, then packets of random bytes
  close-mid     FORMAT, ADD_BUFFER, two FRAMEs, closes while one is held
  gen-change    ADD_BUFFER of generation 1, then FORMAT of generation 2
                (larger) before any FRAME, then good frames of generation 2
  stale-frame   the same, but a FRAME of the generation-1 buffer comes
                after the new FORMAT (the protocol forbids it)
  small-plane   a plane whose size is smaller than width x stride
  short-memfd   a plane that claims more bytes than its memfd holds
  bad-stride    a stride shorter than one row
  bad-format    a fourcc no GStreamer caps describe
"""
import os
import random
import socket
import struct
import sys
import time

XRGB8888 = 0x34325258  # 'XR24'
MOD_INVALID = 0x00FFFFFFFFFFFFFF


def hdr(mtype, length):
    return struct.pack("=HHI", mtype, 0, length)


def welcome():
    body = struct.pack("=IIIIII32s", 1, 0, 3, 1000, 1, 0, b"fake-daemon 0")
    return hdr(2, 8 + len(body)) + body


def fmt(gen, w, h, fourcc=XRGB8888, state=2):
    body = struct.pack("=IIIIIIQIIIIII", gen, state, w, h, fourcc, 1, MOD_INVALID,
                       1, 1, 30, 1, 0, 0)
    return hdr(4, 8 + len(body)) + body


def add_buffer(gen, bid, stride, size):
    planes = struct.pack("=IIII", 0, stride, size, 0) + bytes(16 * 3)
    body = struct.pack("=IIII", gen, bid, 1, 1) + planes
    return hdr(5, 8 + len(body)) + body


def frame(gen, bid, seq):
    now = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    body = struct.pack("=IIQQQQII", gen, bid, seq, now, now, now, 0, 0)
    body += bytes(16) + struct.pack("=iiiiIIII", 0, 0, 0, 0, 0, 0, 0, 0)
    return hdr(7, 8 + len(body)) + body


def memfd(size, fill=0x80):
    fd = os.memfd_create("fake-frame", os.MFD_CLOEXEC)
    os.write(fd, bytes([fill]) * size)
    return fd


def send(conn, msg, fds=()):
    if fds:
        socket.send_fds(conn, [msg], list(fds))
    else:
        conn.send(msg)


def main():
    path, mode = sys.argv[1], sys.argv[2]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    srv.bind(path)
    srv.listen(4)
    print("listening", flush=True)
    conn, _ = srv.accept()
    conn.recv(4096)  # HELLO
    send(conn, welcome())
    w, h = 64, 48
    stride = w * 4
    if mode == "garbage":
        send(conn, fmt(1, w, h))
        rnd = random.Random(15)
        for _ in range(20):
            try:
                send(conn, bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 200))))
            except OSError:
                break
    elif mode == "close-mid":
        send(conn, fmt(1, w, h))
        send(conn, add_buffer(1, 1, stride, stride * h), [memfd(stride * h)])
        send(conn, add_buffer(1, 2, stride, stride * h), [memfd(stride * h)])
        send(conn, frame(1, 1, 1))
        send(conn, frame(1, 2, 2))
        time.sleep(0.3)
    elif mode in ("gen-change", "stale-frame"):
        send(conn, fmt(1, w, h))
        send(conn, add_buffer(1, 1, stride, stride * h), [memfd(stride * h)])
        w2, h2 = 96, 64
        send(conn, fmt(2, w2, h2))
        if mode == "stale-frame":
            send(conn, frame(1, 1, 1))
        send(conn, add_buffer(2, 1, w2 * 4, w2 * 4 * h2), [memfd(w2 * 4 * h2)])
        send(conn, add_buffer(2, 2, w2 * 4, w2 * 4 * h2), [memfd(w2 * 4 * h2)])
        conn.setblocking(False)
        seq = 2
        end = time.monotonic() + 5
        while time.monotonic() < end:
            for bid in (1, 2):
                try:
                    send(conn, frame(2, bid, seq))
                except BlockingIOError:
                    pass
                except OSError:
                    return
                seq += 1
                time.sleep(0.02)
                try:
                    while conn.recv(4096):
                        pass
                except BlockingIOError:
                    pass
                except OSError:
                    return
    elif mode == "small-plane":
        send(conn, fmt(1, w, h))
        send(conn, add_buffer(1, 1, stride, stride * h - 1), [memfd(stride * h)])
        send(conn, frame(1, 1, 1))
    elif mode == "short-memfd":
        send(conn, fmt(1, w, h))
        send(conn, add_buffer(1, 1, stride, stride * h), [memfd(4096)])
        send(conn, frame(1, 1, 1))
    elif mode == "bad-stride":
        send(conn, fmt(1, w, h))
        send(conn, add_buffer(1, 1, w * 2, stride * h), [memfd(stride * h)])
        send(conn, frame(1, 1, 1))
    elif mode == "bad-format":
        send(conn, fmt(1, w, h, fourcc=0x30303030))
        send(conn, add_buffer(1, 1, stride, stride * h), [memfd(stride * h)])
        send(conn, frame(1, 1, 1))
    else:
        sys.exit("unknown mode " + mode)
    # Linger so the client sees the messages, not an early close (except close-mid).
    if mode != "close-mid":
        time.sleep(3)
    conn.close()


if __name__ == "__main__":
    main()
