#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn bench/run's raw measurements into bench/results/latest.md and plots.

Input (in --results DIR): raw.jsonl (one JSON object per measurement),
memory.csv, profile/*.txt (perf reports, optional), notes.md (hand-written
findings, optional, copied into the report).
Output: latest.md, cpu.png, latency.png, memory.png (gnuplot, pngcairo).
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

RES_ORDER = ["1280x720", "1920x1080", "3840x2160"]
RES_LABEL = {"1280x720": "720p", "1920x1080": "1080p", "3840x2160": "2160p"}
KIB = 1024


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                print(f"report: bad line in {path}: {e}: {line[:120]}", file=sys.stderr)
    return rows


def us_per_frame(r):
    if not r or not r.get("frames"):
        return None
    return r["cpu_ns"] / 1000.0 / r["frames"]


def pct_core(r):
    if not r or not r.get("wall_s"):
        return None
    return 100.0 * r["cpu_ns"] / 1e9 / r["wall_s"]


def fmt(x, digits=1, unit=""):
    if x is None:
        return "—"
    return f"{x:.{digits}f}{unit}"


def dist(summary, name):
    if not summary:
        return None
    d = summary.get(name)
    if not d or not d.get("n"):
        return None
    return d


def verdict(ok):
    if ok is None:
        return "not measured"
    return "**pass**" if ok else "**MISS**"


class Report:
    def __init__(self, rows, results):
        self.rows = rows
        self.results = results
        self.meta = next((r for r in rows if r.get("section") == "meta"), {})
        self.meta_end = next((r for r in rows if r.get("section") == "meta_end"), {})
        self.cpu = [r for r in rows if r.get("section") == "cpu"]
        self.guard = [r for r in rows if r.get("section") == "guard"]
        gc = next((r for r in rows if r.get("section") == "guard_cost"), None)
        self.guard_cost = gc and gc.get("summary")
        self.fan = [r for r in rows if r.get("section") == "fanout"]
        self.grab = [r for r in rows if r.get("section") == "grab"]
        self.mem = next((r for r in rows if r.get("section") == "memory"), None)
        self.readback = [r for r in rows if r.get("section") == "readback"]
        self.errors = [r for r in rows if r.get("section") == "error"]
        self.gstsrc = {r["consumer"]: r for r in rows if r.get("section") == "gstsrc"}
        sock = next((r for r in rows if r.get("section") == "sock"), None)
        self.sock = dist(sock and sock.get("summary"), "send_to_recv")
        relay = next((r for r in rows if r.get("section") == "relay"), None)
        self.relay = dist(relay and relay.get("summary"), "send_to_recv")

    def cpu_row(self, res, buf, consumer, clients=1):
        for r in self.cpu:
            if (r["res"], r["buffer"], r["consumer"]) == (res, buf, consumer) and \
                    (consumer != "lastframe" or r["clients"] == clients):
                return r
        return None

    def guard_us(self, mode, clients):
        """Daemon µs/frame with --return-guard MODE: every window of that mode summed."""
        rs = [r for r in self.guard if r["guard"] == mode and r["clients"] == clients
              and r.get("frames")]
        if not rs:
            return None
        return sum(r["cpu_ns"] for r in rs) / 1000.0 / sum(r["frames"] for r in rs)

    def guard_ratio(self, clients):
        on, off = self.guard_us("on", clients), self.guard_us("off", clients)
        return on, off, (on / off if on is not None and off else None)

    def fan_summary(self, n):
        """Fan-out summary for n clients at 1080p MemFd: the fanout section, else cpu."""
        for r in self.fan:
            if r["clients"] == n and r.get("summary"):
                return r["summary"]
        r = self.cpu_row("1920x1080", "memfd", "lastframe", n)
        return r.get("summary") if r else None

    def delivery_1client(self):
        r = self.cpu_row("1920x1080", "memfd", "lastframe", 1)
        if r and dist(r.get("summary"), "send_to_recv"):
            return r["summary"]
        return self.fan_summary(1)

    def grab_ms(self, kind):
        for r in self.grab:
            if r["kind"] == kind and r["wall_ms"]:
                return r["wall_ms"]
        return None

    def memory_series(self):
        path = os.path.join(self.results, "memory.csv")
        if not self.mem or not os.path.exists(path):
            return None
        with open(path) as f:
            data = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
        return data or None

    # -- analysis ---------------------------------------------------------
    def memory_analysis(self):
        data = self.memory_series()
        if not data:
            return None
        out = {"seconds": data[-1]["t_s"], "samples": len(data)}
        for key in ("vmrss_kb", "rss_anon_kb", "rss_file_kb", "rss_shmem_kb", "fds"):
            series = [d[key] for d in data]
            out[key] = {"first": series[0], "last": series[-1], "min": min(series),
                        "max": max(series)}
        # Flat: the median of the last fifth is within a small drift of the
        # median of the first fifth (after the first 10 % as warm-up).
        body = data[len(data) // 10:]
        k = max(1, len(body) // 5)
        anon = [d["rss_anon_kb"] for d in body]
        fds = [d["fds"] for d in body]
        out["anon_growth_kb"] = statistics.median(anon[-k:]) - statistics.median(anon[:k])
        out["fd_growth"] = statistics.median(fds[-k:]) - statistics.median(fds[:k])
        out["flat"] = out["anon_growth_kb"] <= 256 and out["fd_growth"] <= 1
        return out

    def targets(self):
        t = []
        g = self.grab_ms("ppm")
        med = statistics.median(g) if g else None
        t.append(("`lastframe grab x.ppm` at 1080p, wall (median)", "≤ 15 ms",
                  fmt(med, 1, " ms"), verdict(None if med is None else med <= 15)))

        lf1 = us_per_frame(self.cpu_row("1920x1080", "memfd", "lastframe", 1))
        gst = us_per_frame(self.cpu_row("1920x1080", "memfd", "gst"))
        ok = None if lf1 is None or gst is None else lf1 <= gst
        t.append(("daemon CPU/frame, 1080p60 MemFd, 1 idle client", "≤ gst pipewiresrc ! fakesink",
                  f"{fmt(lf1, 1, ' µs')} vs gst {fmt(gst, 1, ' µs')}", verdict(ok)))
        lf1p = us_per_frame(self.cpu_row("1920x1080", "memptr", "lastframe", 1))
        gstp = us_per_frame(self.cpu_row("1920x1080", "memptr", "gst"))
        if lf1p is not None or gstp is not None:
            okp = None if lf1p is None or gstp is None else lf1p <= gstp
            t.append(("(same, MemPtr producer: the daemon copies)", "≤ gst pipewiresrc ! fakesink",
                      f"{fmt(lf1p, 1, ' µs')} vs gst {fmt(gstp, 1, ' µs')}", verdict(okp)))

        d = dist(self.delivery_1client(), "send_to_recv")
        b = self.relay

        def floor_txt(p):
            if not d or not b:
                return ""
            return f" (floor: pw_stream relay {b[p]:.1f} µs, {d[p] / b[p]:.2f}×)"
        t.append(("FRAME delivery send→receive p50, 1 client", "≤ 50 µs",
                  fmt(d and d["p50_us"], 1, " µs") + floor_txt("p50_us"),
                  verdict(None if not d else d["p50_us"] <= 50)))
        t.append(("FRAME delivery send→receive p99, 1 client", "≤ 500 µs",
                  fmt(d and d["p99_us"], 1, " µs") + floor_txt("p99_us"),
                  verdict(None if not d else d["p99_us"] <= 500)))

        f = dist(self.fan_summary(64), "fanout_send")
        t.append(("fan-out to 64 clients, first send → last receive (p50; p99)", "≤ 2 ms per frame",
                  f"{fmt(f and f['p50_us'] / 1000, 2, ' ms')}; p99 {fmt(f and f['p99_us'] / 1000, 2, ' ms')}",
                  verdict(None if not f else f["p50_us"] <= 2000)))

        lf8 = us_per_frame(self.cpu_row("1920x1080", "memfd", "lastframe", 8))
        ratio = lf8 / lf1 if lf8 is not None and lf1 else None
        t.append(("daemon CPU/frame 1080p60, 8 clients vs 1", "≤ 2×",
                  f"{fmt(ratio, 2, '×')} ({fmt(lf8, 1, ' µs')} vs {fmt(lf1, 1, ' µs')})",
                  verdict(None if ratio is None else ratio <= 2)))

        for n in (1, 8):
            on, off, ratio = self.guard_ratio(n)
            t.append((f"return guard CPU/frame, 1080p60 MemFd, {n} client{'s' if n > 1 else ''}, "
                      "on vs off", "≤ 1.05×",
                      f"{fmt(ratio, 3, '×')} ({fmt(on, 1, ' µs')} vs {fmt(off, 1, ' µs')})",
                      verdict(None if ratio is None else ratio <= 1.05)))

        gc = self.guard_cost
        if gc:
            parts, oks = [], []
            for n in (1, 8):
                base = us_per_frame(self.cpu_row("1920x1080", "memfd", "lastframe", n)) or \
                    self.guard_us("off", n)
                if base:
                    r = (base + gc["ns_per_frame_on"] / 1000.0) / base
                    parts.append(f"{n}: {r:.4f}×")
                    oks.append(r <= 1.05)
            t.append(("return guard code per frame (microbenchmark, "
                      f"{gc['ns_per_frame_on']:.0f} ns) over daemon CPU/frame, 1 and 8 clients",
                      "≤ 1.05×", ", ".join(parts) or "—",
                      verdict(all(oks) if oks else None)))

        m = self.memory_analysis()
        anon = m["rss_anon_kb"]["max"] / KIB if m else None
        t.append(("daemon RssAnon (pools excluded), max", "≤ 16 MB",
                  fmt(anon, 2, " MiB"), verdict(None if anon is None else anon <= 16)))
        if m:
            span = f"{m['seconds']:.0f} s"
            full = m["seconds"] >= 290
            txt = (f"RssAnon drift {m['anon_growth_kb']:+.0f} kB, fds drift "
                   f"{m['fd_growth']:+.0f} over {span}")
            v = verdict(m["flat"])
            if not full:
                v += f" (only {span}: QUICK)"
            t.append(("daemon RSS and fds flat over 5 min, clients churning", "flat", txt, v))
        else:
            t.append(("daemon RSS and fds flat over 5 min, clients churning", "flat", "—",
                      verdict(None)))
        t.extend(self.python_targets())
        return t

    def python_targets(self):
        """Issue 14: the Python package against the C CLI / C client, same run."""
        t = []
        g = next((r for r in self.rows if r.get("section") == "python" and
                  r.get("kind") == "grab"), None)
        if g and g.get("py_ms") and g.get("c_ms"):
            py, c = statistics.median(g["py_ms"]), statistics.median(g["c_ms"])
            t.append(("Python `grab()` → numpy at 1080p, wall (median; process start excluded)",
                      "≤ 1.5× `lastframe grab x.ppm`",
                      f"{py:.1f} ms vs C {c:.1f} ms: {py / c:.2f}×", verdict(py <= 1.5 * c)))
        f = next((r for r in self.rows if r.get("section") == "python" and
                  r.get("kind") == "frames"), None)
        if f and f.get("wall_s"):
            pct = f["cpu_pct"]
            txt = f"{pct:.2f} % ({f['frames']} frames in {f['wall_s']:.1f} s"
            if f.get("c_cpu_ns") and f.get("c_wall_s"):
                cp = f["c_cpu_ns"] / 1e7 / f["c_wall_s"]
                txt += f"; C lf-client {cp:.2f} %: {pct / cp:.1f}×" if cp else ""
            t.append(("Python `frames()` 1080p60, zero-copy `to_numpy()` views, CPU",
                      "≤ 2 % of a core", txt + ")", verdict(pct <= 2)))
        return t

    # -- markdown ---------------------------------------------------------
    def md(self):
        L = []
        m = self.meta
        L.append("# lastframe benchmark results\n")
        L.append(f"Run: {m.get('date', '?')}, git `{m.get('git', '?')}`, "
                 f"{'QUICK' if m.get('quick') else 'full'} mode, {m.get('nproc', '?')} CPUs, "
                 f"kernel {m.get('kernel', '?')}, producer {m.get('rate', '?')} fps, "
                 f"CPU windows {m.get('window_s', '?')} s after {m.get('warmup_s', '?')} s warm-up. "
                 f"Load average at start {m.get('load_start', '?')}, at end "
                 f"{self.meta_end.get('load_end', '?')}; run took "
                 f"{fmt(self.meta_end.get('elapsed_s'), 0, ' s')}.\n")
        L.append("Every figure is measured in this run; ratios compare figures from the same "
                 "run (the machine is shared and noisy). How to read it: `bench/README.md`.\n")
        if self.errors:
            L.append("**Not measured in this run:** " +
                     "; ".join(e.get("what", "?") for e in self.errors) + "\n")

        L.append("## Targets\n")
        L.append("| target | goal | measured | result |")
        L.append("|---|---|---|---|")
        for row in self.targets():
            L.append("| " + " | ".join(row) + " |")
        L.append("")

        notes = os.path.join(self.results, "notes.md")
        if not os.path.exists(notes):
            # Hand-written findings live with the committed results.
            notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "notes.md")
        if os.path.exists(notes):
            with open(notes) as f:
                L.append(f.read().rstrip() + "\n")

        L.append("## 1. CPU per frame\n")
        L.append("µs of CPU (user+sys, all threads, from /proc/PID/task/*/schedstat) per frame "
                 "the consumer received; in brackets the ratio to the floor (bare pw_stream "
                 "consumer) of the same producer; "
                 "lastframed's figure is the daemon alone (its clients are in lf-client, "
                 "reported separately). gst frames are assumed at the floor's rate.\n")
        ns = sorted({r["clients"] for r in self.cpu if r["consumer"] == "lastframe"})
        hdr = ["producer", "fps", "floor µs/f", "gst µs/f"] + [f"lastframed {n} cl. µs/f" for n in ns]
        hdr2 = ["producer", "floor", "gst"] + [f"lastframed {n} cl." for n in ns] + \
               ["lf-client (1 conn.) µs/f", "producer"]
        L.append("| " + " | ".join(hdr) + " |")
        L.append("|" + "---|" * len(hdr))
        pct = []
        for buf in ("memfd", "memptr"):
            for res in RES_ORDER:
                fl = self.cpu_row(res, buf, "floor")
                if not fl and not self.cpu_row(res, buf, "lastframe", 1):
                    continue
                flu = us_per_frame(fl)

                def cell(r):
                    u = us_per_frame(r)
                    if u is None:
                        return "—"
                    return f"{u:.1f} ({u / flu:.2f}×)" if flu else f"{u:.1f}"
                lfs = [self.cpu_row(res, buf, "lastframe", n) for n in ns]
                gs = self.cpu_row(res, buf, "gst")
                fps = fl["frames"] / fl["wall_s"] if fl and fl.get("wall_s") else None
                lf1 = self.cpu_row(res, buf, "lastframe", 1)
                cl = (lf1["client_cpu_ns"] / 1000 / lf1["frames"]) if lf1 and lf1.get("frames") else None
                prod = (fl["producer_cpu_ns"] / 1e9 / fl["wall_s"] * 100) if fl else None
                name = f"{RES_LABEL.get(res, res)} {buf}"
                row = [name, fmt(fps, 1), fmt(flu, 1), cell(gs)] + [cell(r) for r in lfs]
                L.append("| " + " | ".join(row) + " |")
                pct.append([name, fmt(pct_core(fl), 2), fmt(pct_core(gs), 2)] +
                           [fmt(pct_core(r), 2) for r in lfs] + [fmt(cl, 1), fmt(prod, 1)])
        L.append("\nThe same as % of one core, with the bench client's and the producer's own cost:\n")
        L.append("| " + " | ".join(hdr2) + " |")
        L.append("|" + "---|" * len(hdr2))
        for row in pct:
            L.append("| " + " | ".join(row) + " |")
        L.append("\n![CPU per frame](cpu.png)\n")

        L.append("## 2. Latency: producer pts → client receive\n")
        L.append("pts is stamped by the test producer (CLOCK_MONOTONIC). The floor receives "
                 "from PipeWire directly; the lastframe client gets PipeWire → lastframed → "
                 "socket. FRAME delivery is the daemon's send_ns → client_recv_ns.\n")
        if self.sock or self.relay:
            L.append("Floors for FRAME delivery, measured in this run (a FRAME-sized "
                     "SOCK_SEQPACKET packet to a process sleeping in poll(), at 60 Hz, "
                     "1080p producer and an idle daemon running):\n")
            for name, b in (("`sock-latency` (timer-driven sender, out of step with the graph)", self.sock),
                            ("`floor-consumer --relay` (sent from a bare pw_stream's process "
                             "callback, like lastframed)", self.relay)):
                if b:
                    L.append(f"* {name}: p50/p90/p99 {b['p50_us']:.1f} / {b['p90_us']:.1f} / "
                             f"{b['p99_us']:.1f} µs over {b['n']} messages")
            L.append("")
        L.append("| producer | floor pts→recv p50/p90/p99 µs | lastframe (1 cl.) pts→recv p50/p90/p99 µs | "
                 "daemon recv→client recv p50/p99 µs | FRAME send→recv p50/p90/p99 µs |")
        L.append("|---|---|---|---|---|")
        for buf in ("memfd", "memptr"):
            for res in RES_ORDER:
                fl = self.cpu_row(res, buf, "floor")
                lf = self.cpu_row(res, buf, "lastframe", 1)
                if not fl and not lf:
                    continue
                fd = dist(fl and fl.get("summary"), "pts_to_recv")
                ld = dist(lf and lf.get("summary"), "pts_to_recv")
                dd = dist(lf and lf.get("summary"), "drecv_to_recv")
                sd = dist(lf and lf.get("summary"), "send_to_recv")

                def three(d):
                    return "—" if not d else f"{d['p50_us']:.0f} / {d['p90_us']:.0f} / {d['p99_us']:.0f}"
                dtxt = "—" if not dd else f"{dd['p50_us']:.0f} / {dd['p99_us']:.0f}"
                stxt = "—" if not sd else \
                    f"{sd['p50_us']:.1f} / {sd['p90_us']:.1f} / {sd['p99_us']:.1f}"
                L.append(f"| {RES_LABEL.get(res, res)} {buf} | {three(fd)} | {three(ld)} | "
                         f"{dtxt} | {stxt} |")
        L.append("")

        L.append("## Return guard A/B (1080p60 MemFd)\n")
        L.append("Two daemons on the same producer at once, one with `--return-guard off`, one "
                 "`on` (the PipeWire < 1.4.8 workaround), each with its own lf-client, measured "
                 "over the same windows; then they swap modes (2 or 4 rounds). Each mode's CPU is summed "
                 "over its windows and divided by the frames its clients counted.\n")
        L.append("| clients | off µs/frame | on µs/frame | on / off | windows |")
        L.append("|---|---|---|---|---|")
        for n in (1, 8):
            on, off, ratio = self.guard_ratio(n)
            nw = len([r for r in self.guard if r["clients"] == n])
            L.append(f"| {n} | {fmt(off, 1)} | {fmt(on, 1)} | {fmt(ratio, 3, '×')} | {nw} |")
        if self.guard_cost:
            gc = self.guard_cost
            L.append(f"\nThe guard's own code (`bench/guard-cost`: meta lookups, ring mirror, "
                     f"`pw_stream_get_time_n`, atomics, as per frame in the daemon): "
                     f"{gc['ns_per_frame_on']:.0f} ns per frame on, "
                     f"{gc['ns_per_frame_off']:.0f} ns off (bookkeeping only).")
        L.append("")

        L.append("## 3. Screenshot time (1080p MemFd, wall, ms)\n")
        L.append("| command | median | min | max | runs | frame check |")
        L.append("|---|---|---|---|---|---|")
        names = {"ppm": "`lastframe grab x.ppm`", "png": "`lastframe grab x.png`",
                 "gst": "`gst-launch-1.0 pipewiresrc num-buffers=1 ! videoconvert ! pngenc ! filesink`"}
        for r in self.grab:
            w = r["wall_ms"]
            v = r.get("verify")
            vt = "—" if not v else ("complete" if v.get("complete") else "INCOMPLETE") + \
                f" ({v.get('width')}x{v.get('height')})"
            if not w:
                L.append(f"| {names.get(r['kind'])} | — | — | — | 0 | {vt} |")
                continue
            L.append(f"| {names.get(r['kind'])} | {statistics.median(w):.1f} | {min(w):.1f} | "
                     f"{max(w):.1f} | {len(w)} | {vt} |")
        L.append("")

        L.append("## 4. Fan-out (1080p60 MemFd)\n")
        L.append("All N connections live in one lf-client process (one poll loop), so the last "
                 "receive includes that process handling the earlier connections. "
                 "`first send → last recv`: per frame, the daemon's first send_ns to the last "
                 "connection's receive; only frames that reached every connection count.\n")
        L.append("| clients | send→recv p50 / p99 µs (every client) | first send → last recv p50 / p99 µs | "
                 "daemon recv → last recv p50 / p99 µs | frames complete / incomplete | skipped |")
        L.append("|---|---|---|---|---|---|")
        for n in (1, 2, 4, 8, 16, 32, 64):
            s = self.fan_summary(n)
            if not s:
                continue
            a, b, c = dist(s, "send_to_recv"), dist(s, "fanout_send"), dist(s, "fanout_drecv")

            def two(d):
                return "—" if not d else f"{d['p50_us']:.1f} / {d['p99_us']:.1f}"
            L.append(f"| {n} | {two(a)} | {two(b)} | {two(c)} | {s.get('fanout_complete')} / "
                     f"{s.get('fanout_incomplete')} | {s.get('skipped')} |")
        L.append("\n![latency vs clients](latency.png)\n")

        L.append("## 5. Memory (1080p60 MemFd; 1 steady client + 8 reconnecting every 2 s + a grab every 5 s)\n")
        m = self.memory_analysis()
        if m:
            L.append(f"{m['samples']} samples over {m['seconds']:.0f} s. RssAnon is the daemon's "
                     "private heap (frame pools excluded: pools are shared memory, in RssShmem / "
                     "RssFile).\n")
            L.append("| | first | last | min | max |")
            L.append("|---|---|---|---|---|")
            for key, label in (("vmrss_kb", "VmRSS kB"), ("rss_anon_kb", "RssAnon kB"),
                               ("rss_file_kb", "RssFile kB"), ("rss_shmem_kb", "RssShmem kB"),
                               ("fds", "open fds")):
                v = m[key]
                L.append(f"| {label} | {v['first']:.0f} | {v['last']:.0f} | {v['min']:.0f} | {v['max']:.0f} |")
            L.append(f"\nFlat: {'yes' if m['flat'] else 'NO'} (RssAnon drift "
                     f"{m['anon_growth_kb']:+.0f} kB, fd drift {m['fd_growth']:+.0f}; flat means "
                     "≤ 256 kB and ≤ 1 fd between the medians of the first and last fifth, "
                     "after a 10 % warm-up).\n")
            L.append("![memory](memory.png)\n")
        else:
            L.append("Not measured.\n")

        if self.gstsrc:
            L.append("## GStreamer sources, 1080p60 MemFd\n")
            L.append("µs of CPU per frame of the gst-launch-1.0 process (`SRC ! fakesink`), "
                     "same producer, one run; lastframed's own CPU per frame beside it.\n")
            L.append("| source | frames | gst-launch µs/f | ratio to pipewiresrc | lastframed µs/f |")
            L.append("|---|---|---|---|---|")
            pw = us_per_frame(self.gstsrc.get("pipewiresrc"))
            for name in ("lastframesrc", "pipewiresrc"):
                r = self.gstsrc.get(name)
                if not r:
                    continue
                u = us_per_frame(r)
                d = r["daemon_cpu_ns"] / 1000.0 / r["frames"] if r.get("daemon_cpu_ns") and r.get("frames") else None
                ratio = fmt(u / pw, 2, "×") if u and pw else "—"
                L.append(f"| {name} | {r['frames']} | {fmt(u)} | {ratio} | {fmt(d)} |")
            L.append("")

        if self.readback:
            L.append("## GPU readback (texture-fed, software GL)\n")
            L.append("The readback engine (capture/readback.c) on Mesa's llvmpipe, fed from a "
                     "GL texture (this machine cannot import dmabufs), through the daemon's "
                     "worker thread and eventfd hand-off into a memfd pool slot "
                     "(tests/gpu/readback --software). Baseline: a CPU memcpy of the same frame "
                     "into the same slot, same run. Main loop: the longest hand-off callback "
                     "(what the daemon's loop itself spends) and how late a 1 ms timer on that "
                     "loop fired while readbacks ran (llvmpipe's threads compete for the same "
                     "cores, so this includes CPU contention, not only blocking).\n")
            L.append("| frame | exact | readback p50 / p99 ms | vs memcpy | loop callback max µs "
                     "| 1 ms timer late p99 / max ms |")
            L.append("|---|---|---|---|---|---|")
            for r in self.readback:
                ratio = (r["read_p50_ms"] / r["memcpy_p50_ms"]) if r.get("memcpy_p50_ms") else None
                L.append(f"| {r['format']} {r['width']}x{r['height']} ({r['frames']} frames) | "
                         f"{'yes' if r.get('exact') else 'NO'} | "
                         f"{r['read_p50_ms']:.2f} / {r['read_p99_ms']:.2f} | "
                         f"{fmt(ratio, 1, '×')} | {r['loop_callback_max_us']:.0f} | "
                         f"{r['timer_late_p99_ms']:.2f} / {r['timer_late_max_ms']:.2f} |")
            L.append("")

        pdir = os.path.join(self.results, "profile")
        if os.path.isdir(pdir):
            files = sorted(f for f in os.listdir(pdir) if f.endswith(".txt"))
            if files:
                L.append("## Profiles (perf record -g on lastframed, self time)\n")
                for fn in files:
                    with open(os.path.join(pdir, fn)) as f:
                        txt = f.read().rstrip()
                    L.append(f"### {fn}\n\n```\n{txt}\n```\n")
        return "\n".join(L) + "\n"

    # -- plots ------------------------------------------------------------
    def plots(self):
        gp = shutil.which("gnuplot")
        if not gp:
            print("report: gnuplot not installed, no plots", file=sys.stderr)
            return
        tmp = tempfile.mkdtemp(prefix="lf-bench-plot.")
        try:
            self._plot_cpu(gp, tmp)
            self._plot_latency(gp, tmp)
            self._plot_memory(gp, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _gnuplot(self, gp, script):
        r = subprocess.run([gp], input=script, text=True, capture_output=True)
        if r.returncode != 0:
            print("report: gnuplot failed:\n" + r.stderr, file=sys.stderr)

    def _plot_cpu(self, gp, tmp):
        ns = sorted({r["clients"] for r in self.cpu if r["consumer"] == "lastframe"})
        series = [("floor", "floor (bare pw\\_stream)", 1), ("gst", "gst pipewiresrc ! fakesink", 1)] + \
                 [("lastframe", f"lastframed, {n} client{'s' if n > 1 else ''}", n) for n in ns]
        panels = []
        ymax = 10.0
        for buf in ("memfd", "memptr"):
            plots = []
            for i, (cons, label, n) in enumerate(series):
                pts = []
                for x, res in enumerate(RES_ORDER):
                    u = us_per_frame(self.cpu_row(res, buf, cons, n))
                    if u is not None:
                        pts.append(f"{x} {u:.3f}")
                        ymax = max(ymax, u)
                if not pts:
                    continue
                fn = os.path.join(tmp, f"cpu-{buf}-{cons}-{n}.dat")
                with open(fn, "w") as f:
                    f.write("\n".join(pts) + "\n")
                plots.append(f"'{fn}' using 1:2 with linespoints lw 2 pt 7 ps 1.3 lc {i + 1} "
                             f"title '{label}'")
            if plots:
                name = "MemFd producer (zero-copy)" if buf == "memfd" else "MemPtr producer (daemon copies)"
                panels.append(f"set title '{name}'\nplot {', '.join(plots)}\n")
        if not panels:
            return
        out = os.path.join(self.results, "cpu.png")
        self._gnuplot(gp, f"""set terminal pngcairo size 1100,560 font ',10'
set output '{out}'
set multiplot layout 1,{len(panels)} title 'CPU per frame vs resolution, 60 fps producer (lower is better)'
set ylabel 'µs CPU per frame (log)'
set logscale y
set yrange [10:{ymax * 2:.0f}]
set xrange [-0.3:2.3]
set xtics ('1280x720' 0, '1920x1080' 1, '3840x2160' 2)
set grid
set key below
{''.join(panels)}unset multiplot
""")

    def _plot_latency(self, gp, tmp):
        rows = []
        for n in (1, 2, 4, 8, 16, 32, 64):
            s = self.fan_summary(n)
            a, b = dist(s, "send_to_recv"), dist(s, "fanout_send")
            if not a:
                continue
            rows.append(f"{n} {a['p50_us']:.2f} {a['p99_us']:.2f} "
                        f"{b['p50_us'] if b else float('nan'):.2f} {b['p99_us'] if b else float('nan'):.2f}")
        if not rows:
            return
        fn = os.path.join(tmp, "lat.dat")
        with open(fn, "w") as f:
            f.write("\n".join(rows) + "\n")
        out = os.path.join(self.results, "latency.png")
        floor = ""
        if self.relay or self.sock:
            p = (self.relay or self.sock)["p50_us"]
            floor = (f"set arrow from 1,{p:.2f} to 64,{p:.2f} nohead dt 3 lc rgb 'gray40'\n"
                     f"set label 'floor: bare pw\\_stream relay p50' at 1.1,{p * 0.82:.2f} tc rgb 'gray40'\n")
        self._gnuplot(gp, f"""set terminal pngcairo size 900,560 font ',10'
set output '{out}'
set title 'FRAME delivery vs number of clients (1080p60 MemFd)'
set xlabel 'clients'
set ylabel 'µs (log)'
set logscale xy
set xtics (1, 2, 4, 8, 16, 32, 64)
set grid
set key right bottom
set xrange [0.8:80]
set arrow from 1,2000 to 64,2000 nohead dt 3 lc rgb 'red'
set label 'fan-out target 2 ms' at 1.1,2300 tc rgb 'red'
{floor}plot '{fn}' using 1:2 with linespoints lw 2 pt 7 title 'send→recv p50 (each client)', \\
     '{fn}' using 1:3 with linespoints lw 2 pt 7 dt 2 title 'send→recv p99 (each client)', \\
     '{fn}' using 1:4 with linespoints lw 2 pt 5 title 'first send→last recv p50', \\
     '{fn}' using 1:5 with linespoints lw 2 pt 5 dt 2 title 'first send→last recv p99'
""")

    def _plot_memory(self, gp, tmp):
        data = self.memory_series()
        if not data:
            return
        fn = os.path.join(tmp, "mem.dat")
        with open(fn, "w") as f:
            for d in data:
                f.write(f"{d['t_s']:.2f} {d['rss_anon_kb'] / KIB:.3f} {d['vmrss_kb'] / KIB:.3f} "
                        f"{d['rss_shmem_kb'] / KIB:.3f} {d['fds']:.0f}\n")
        out = os.path.join(self.results, "memory.png")
        self._gnuplot(gp, f"""set terminal pngcairo size 900,640 font ',10'
set output '{out}'
set multiplot layout 2,1 title 'lastframed memory and fds while clients connect and disconnect (1080p60)'
set xlabel 'seconds'
set grid
set key outside right top
set ytics nomirror
set y2tics
set ylabel 'MiB'
set y2label 'open fds'
set yrange [0:*]
set y2range [0:*]
set title 'private heap (RssAnon, target ≤ 16 MB) and fds'
plot '{fn}' using 1:2 with lines lw 2 title 'RssAnon', \\
     '{fn}' using 1:5 axes x1y2 with steps lw 2 title 'fds'
unset y2tics
unset y2label
set ytics mirror
set title 'whole process (frame buffers are shared memory)'
plot '{fn}' using 1:3 with lines lw 2 title 'VmRSS', \\
     '{fn}' using 1:4 with lines lw 2 title 'RssShmem'
unset multiplot
""")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--results", default=os.path.join(os.path.dirname(__file__), "results"))
    ap.add_argument("--no-plots", action="store_true")
    a = ap.parse_args()
    raw = os.path.join(a.results, "raw.jsonl")
    if not os.path.exists(raw):
        print(f"report: {raw} missing (run bench/run first)", file=sys.stderr)
        return 1
    rep = Report(load(raw), a.results)
    with open(os.path.join(a.results, "latest.md"), "w") as f:
        f.write(rep.md())
    if not a.no_plots:
        rep.plots()
    print(f"report: wrote {os.path.join(a.results, 'latest.md')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
