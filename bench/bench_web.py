"""The web tier under load: the home page and the sign-in POST, next to the bare GET /healthz.

gunicorn serves the real app (wsgi:app) with several workers on a free 127.0.0.1 port, on a
throwaway database holding `make_people(scale)`. Client threads send requests over real HTTP
(one connection per request, as gunicorn's sync workers close each one) for a fixed time per
endpoint. The baseline is /healthz: the same app, the same server, a `SELECT 1` and no template.

The anonymous home page renders a template but asks the database nothing, while /healthz runs
`SELECT 1`: a home ratio below 1.0 is real, not an error.

Sign-in is slow by design: each POST checks a scrypt password hash (tens of milliseconds of CPU
and 32 MiB of memory), which is what makes stolen hashes expensive to crack.
"""

import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from bench.common import (
    REPO_ROOT,
    SECRET_KEY,
    bench_app,
    bench_seconds,
    figure,
    free_port,
    p95,
    progress,
    rate_ratio,
    time_ratio,
)
from bench.data import make_people
from marketplace.core.db import db

NAME = "web"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def workers() -> int:
    return max(2, os.cpu_count() or 2)


def client_threads() -> int:
    return 2 * workers()


# ---- the server --------------------------------------------------------------------------------


class Gunicorn:
    """gunicorn serving wsgi:app on 127.0.0.1:<free port>; stopped (by its pid) on exit."""

    def __init__(self, database_url: str, n_workers: int):
        self.port = free_port()
        self.log = Path(tempfile.mkstemp(prefix="bench-web-gunicorn-", suffix=".log")[1])
        env = dict(
            os.environ, DATABASE_URL=database_url, MARKETPLACE_ENV="development", SECRET_KEY=SECRET_KEY
        )
        command = [sys.executable, "-m", "gunicorn", "--no-control-socket", "--workers", str(n_workers)]
        command += ["--bind", f"127.0.0.1:{self.port}", "--chdir", str(REPO_ROOT), "wsgi:app"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_until_ready(self, timeout: float = 120) -> None:  # workers boot slowly on a busy machine
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if request(self.port, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.unlink(missing_ok=True)

    def __enter__(self) -> "Gunicorn":
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# ---- the client ----------------------------------------------------------------------------------


def request(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None):
    """One request on a fresh connection: (status, headers, body text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        conn.close()


def sign_in_form(port: int) -> tuple[str, str]:
    """GET /sign-in: the session cookie and the CSRF token it carries."""
    status, headers, page = request(port, "GET", "/sign-in")
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    match = CSRF_FIELD.search(page)
    if status != 200 or not cookie or match is None:
        raise RuntimeError(f"GET /sign-in gave {status} without a session cookie and CSRF token")
    return cookie, match.group(1)


def load(
    threads: int, seconds: float, make_call: Callable[[int], Callable[[], None]]
) -> tuple[float, list[float]]:
    """Run `threads` clients for `seconds`, each calling its own `make_call(thread_no)()` in a loop.
    Returns (completed requests per second, every request's latency in seconds)."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    calls = [make_call(n) for n in range(threads)]  # set-up (e.g. fetching a form) is not timed
    start = threading.Barrier(threads + 1)
    deadline = 0.0

    def client(n: int) -> None:
        start.wait()
        try:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                calls[n]()
                latencies[n].append(time.perf_counter() - began)
        except BaseException as err:  # surfaced below: a failing request invalidates the figure
            errors.append(err)

    pool = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    began = time.perf_counter()
    deadline = began + seconds
    start.wait()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed; first: {errors[0]!r}") from errors[0]
    every = [latency for per_thread in latencies for latency in per_thread]
    return len(every) / wall, every


def expect(status: int, wanted: int, what: str) -> None:
    if status != wanted:
        raise RuntimeError(f"{what} answered {status}, expected {wanted}")


def get(port: int, path: str) -> Callable[[int], Callable[[], None]]:
    def make_call(_n: int) -> Callable[[], None]:
        def call() -> None:
            expect(request(port, "GET", path)[0], 200, f"GET {path}")

        return call

    return make_call


def post_sign_in(port: int, emails: list[str], password: str) -> Callable[[int], Callable[[], None]]:
    """Each client signs in as its own user, reusing one form's cookie and CSRF token."""

    def make_call(n: int) -> Callable[[], None]:
        cookie, token = sign_in_form(port)
        body = urlencode({"csrf_token": token, "email": emails[n % len(emails)], "password": password})
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}

        def call() -> None:
            status, response_headers, _ = request(port, "POST", "/sign-in", body, headers)
            expect(status, 302, "POST /sign-in")
            if "/dashboard" not in response_headers.get("Location", ""):
                raise RuntimeError(f"sign-in redirected to {response_headers.get('Location')!r}")

        return call

    return make_call


# ---- the benchmark -------------------------------------------------------------------------------


def run(scale: int) -> list[dict]:
    seconds = bench_seconds()
    threads = client_threads()
    with bench_app("bench_web") as app:
        progress(f"web: generating people at scale {scale} ...")
        people = make_people(db.session, scale)
        db.session.commit()
        db.engine.dispose()  # the workers get their own connections
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        progress(
            f"web: starting gunicorn with {workers()} workers; {threads} client threads, {seconds:g} s each"
        )
        with Gunicorn(url, workers()) as server:
            port = server.port
            endpoints = {
                "healthz": get(port, "/healthz"),
                "home": get(port, "/"),
                "sign-in": post_sign_in(port, people.staff_emails + people.family_emails, people.password),
            }
            load(threads, min(0.5, seconds), endpoints["healthz"])  # warm every worker up
            results = {}
            for label, make_call in endpoints.items():
                progress(f"web: {label} ...")
                results[label] = load(threads, seconds, make_call)
    return figures(results)


def figures(results: dict[str, tuple[float, list[float]]]) -> list[dict]:
    base_rate, base_latencies = results["healthz"]
    base_p95 = p95(base_latencies) * 1000
    out = [
        figure(NAME, "healthz requests/s (baseline)", base_rate, "req/s"),
        figure(NAME, "healthz p95 latency (baseline)", base_p95, "ms"),
    ]
    for label in ("home", "sign-in"):
        rate, latencies = results[label]
        latency = p95(latencies) * 1000
        what = "GET /" if label == "home" else "POST /sign-in (scrypt)"
        out.append(figure(NAME, f"{what} requests/s", rate, "req/s", base_rate, rate_ratio(rate, base_rate)))
        out.append(
            figure(NAME, f"{what} p95 latency", latency, "ms", base_p95, time_ratio(latency, base_p95))
        )
    return out
