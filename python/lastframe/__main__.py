# SPDX-License-Identifier: MIT
"""python -m lastframe grab FILE.png|FILE.ppm | info [--json]"""
import argparse
import json
import sys
from typing import List, Optional

from . import connect
from .errors import Error

_EPILOG = """\
commands:
  grab FILE    save the newest frame as PNG (needs Pillow) or PPM (by extension)
  info         print the stream's format (--json: one JSON object)

Exit status: 0 ok, 1 error (no daemon, no frame...), 2 usage error.
The socket is --socket, else $LASTFRAME_SOCKET, else $XDG_RUNTIME_DIR/lastframe/socket."""


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lastframe", epilog=_EPILOG,
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 description="Get frames from lastframed.")
    ap.add_argument("-s", "--socket", help="the daemon's socket")
    ap.add_argument("-t", "--timeout", type=float, default=5.0,
                    help="seconds to wait (default 5)")
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND")
    g = sub.add_parser("grab", help="save the newest frame to FILE.png or FILE.ppm")
    g.add_argument("file")
    i = sub.add_parser("info", help="print the stream's format")
    i.add_argument("-j", "--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.cmd is None:
        ap.print_usage(sys.stderr)
        print("python -m lastframe: missing COMMAND (grab or info)", file=sys.stderr)
        return 2
    if args.cmd == "grab" and not args.file.lower().endswith((".png", ".ppm")):
        print(f"python -m lastframe: cannot tell the image type of '{args.file}': "
              "use .png or .ppm", file=sys.stderr)
        return 2
    try:
        with connect(args.socket, args.timeout, name="python -m lastframe") as c:
            if args.cmd == "info":
                info = c.info(args.timeout)
                if args.json:
                    print(json.dumps(info._asdict()))
                else:
                    for k, v in info._asdict().items():
                        if k == "modifier" and v is not None:
                            v = f"0x{v:x}"
                        print(f"{k}: {v}")
                return 0
            frame = c.grab(args.timeout)
        frame.save(args.file)
        return 0
    except Error as e:
        print(f"lastframe: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"lastframe: cannot write {args.file}: {e.strerror}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
