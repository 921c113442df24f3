#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench/run's Python measurements (the package from python/, Debian's numpy).

  python-bench.py grab N C_LASTFRAME OUT_DIR
      N times, interleaved: the C `lastframe grab x.ppm` (wall, process
      start included, as bench/run's grab section times it) and Python
      lastframe.grab() -> to_numpy() in this already started process.
  python-bench.py frames SECONDS
      frames() with zero-copy to_numpy() views: this process's CPU
      (user+sys, all threads) over SECONDS after a 1 s warm-up.
Prints one JSON object."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import lastframe  # noqa: E402


def bench_grab(n: int, c_bin: str, out_dir: str) -> dict:
    py, c = [], []
    lastframe.grab().to_numpy()  # warm: imports, first mapping paths
    for _ in range(n):
        t0 = time.perf_counter()
        r = subprocess.run([c_bin, "grab", os.path.join(out_dir, "c.ppm")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t1 = time.perf_counter()
        if r.returncode == 0:
            c.append((t1 - t0) * 1e3)
        t0 = time.perf_counter()
        a = lastframe.grab().to_numpy()
        t1 = time.perf_counter()
        assert a.shape[2] == 3
        py.append((t1 - t0) * 1e3)
        time.sleep(0.02)
    return {"kind": "grab", "py_ms": [round(x, 3) for x in py],
            "c_ms": [round(x, 3) for x in c], "size": f"{a.shape[1]}x{a.shape[0]}"}


def bench_frames(seconds: float) -> dict:
    with lastframe.connect() as c:
        it = c.frames(timeout=5)
        t_end = time.monotonic() + 1.0
        for f in it:  # warm-up
            f.to_numpy()
            if time.monotonic() >= t_end:
                break
        n = skipped = 0
        w0, c0 = time.monotonic(), time.process_time()
        first = last = None
        for f in it:
            v = f.to_numpy()  # zero-copy view while held
            assert not v.flags.owndata
            n += 1
            skipped += f.skipped
            first = first or f.seq
            last = f.seq
            if time.monotonic() - w0 >= seconds:
                break
        w1, c1 = time.monotonic(), time.process_time()
        it.close()
        return {"kind": "frames", "size": f"{f.width}x{f.height}", "frames": n,
                "skipped": skipped, "seq_span": last - first + 1, "wall_s": round(w1 - w0, 4),
                "cpu_s": round(c1 - c0, 4),
                "cpu_pct": round(100 * (c1 - c0) / (w1 - w0), 3)}


def main() -> int:
    if sys.argv[1] == "grab":
        r = bench_grab(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        r = bench_frames(float(sys.argv[2]))
    print(json.dumps(dict(r, section="python")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
