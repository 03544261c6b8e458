"""Wait until a URL answers 200, printing a progress line; used by scripts/start so that it
prints the app's address only once the app really answers (gunicorn's workers import the app
after "Listening at", which can take seconds). Standard library only: it runs before anything
else is known to work.

    python scripts/wait_until_up.py URL [--pid PID] [--timeout SECONDS]

Exit 0 once URL answers 200; 1 if the process PID ends first or the timeout passes."""

import argparse
import os
import sys
import time
import urllib.error
import urllib.request


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def alive(pid: int | None) -> bool:
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait(url: str, pid: int | None = None, timeout: float = 120.0, out=sys.stdout) -> bool:
    out.write("==> Waiting for the app to answer ")
    out.flush()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(url):
            out.write(" ready\n")
            out.flush()
            return True
        if not alive(pid):
            out.write(" the server stopped before it answered\n")
            out.flush()
            return False
        out.write(".")
        out.flush()
        time.sleep(0.5)
    out.write(f" no answer from {url} after {timeout:.0f} seconds\n")
    out.flush()
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--pid", type=int)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    return 0 if wait(args.url, args.pid, args.timeout) else 1


if __name__ == "__main__":
    sys.exit(main())
