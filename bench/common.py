"""Helpers every benchmark shares: a throwaway database and app, timing, percentiles, figures.

A typical benchmark:

    from bench.common import bench_app, figure, measure, median, rate_ratio, time_ratio
    from bench.data import make_people

    def run(scale):
        with bench_app() as app:             # throwaway database, tables created, app context pushed
            make_people(db.session, scale)
            db.session.commit()
            ours = measure(lambda: ..., seconds=2)
            plain = measure(lambda: ..., seconds=2)   # the same work in raw SQL
            return [figure("name", "what", median(ours) * 1000, "ms",
                           baseline=median(plain) * 1000, ratio=time_ratio(median(ours), median(plain)))]

DATABASE_URL chooses the server, as for the app. On PostgreSQL the benchmark never touches the
named database's data: it creates `<dbname>_bench` beside it (through an AUTOCOMMIT connection)
and drops it afterwards. Without DATABASE_URL it uses a SQLite file in a temporary directory.
"""

import math
import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parent.parent
# One strong key per run: the app refuses weak keys outside development.
SECRET_KEY = secrets.token_urlsafe(48)


# ---- output ----------------------------------------------------------------------------------


def progress(message: str) -> None:
    """Say what a long benchmark is doing, on stderr (stdout carries the figures)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def figure(
    bench: str, what: str, value: float, unit: str, baseline: float | None = None, ratio: float | None = None
) -> dict:
    """One figure in the contract's shape."""
    return {
        "bench": bench,
        "figure": what,
        "value": _round(value),
        "unit": unit,
        "baseline": None if baseline is None else _round(baseline),
        "ratio": None if ratio is None else round(ratio, 3),
    }


def _round(value: float) -> float:
    return value if isinstance(value, int) else round(float(value), 4)


def time_ratio(project_time: float, baseline_time: float) -> float | None:
    """How many times longer the project takes than the baseline."""
    return project_time / baseline_time if baseline_time > 0 else None


def rate_ratio(project_rate: float, baseline_rate: float) -> float | None:
    """How many times slower the project's rate is than the baseline's."""
    return baseline_rate / project_rate if project_rate > 0 else None


# ---- timing ----------------------------------------------------------------------------------


class Timer:
    """`with Timer() as t: ...` then `t.elapsed` (seconds, perf_counter)."""

    def __enter__(self) -> "Timer":
        self.started = time.perf_counter()
        self.elapsed = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.elapsed = time.perf_counter() - self.started


def measure(
    fn: Callable[[], object], *, seconds: float | None = None, repeat: int | None = None
) -> list[float]:
    """Call `fn` repeatedly and return each call's duration in seconds: `repeat` times, or for
    about `seconds` (at least once)."""
    if (seconds is None) == (repeat is None):
        raise ValueError("give either seconds or repeat")
    durations: list[float] = []
    deadline = time.perf_counter() + (seconds or 0)
    while True:
        started = time.perf_counter()
        fn()
        ended = time.perf_counter()
        durations.append(ended - started)
        if repeat is not None and len(durations) >= repeat:
            return durations
        if seconds is not None and ended >= deadline:
            return durations


def bench_seconds(default: float = 3.0) -> float:
    """How long to run each timed phase; BENCH_SECONDS overrides (e.g. 0.5 for a smoke run)."""
    return float(os.environ.get("BENCH_SECONDS", default))


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: list[float]) -> float:
    return percentile(values, 50)


def p95(values: list[float]) -> float:
    return percentile(values, 95)


# ---- databases and apps ------------------------------------------------------------------------


@contextmanager
def throwaway_database(suffix: str = "bench") -> Iterator[str]:
    """A URL to an empty database that is removed afterwards.

    PostgreSQL (DATABASE_URL=postgresql+psycopg://...): `<dbname>_<suffix>` on the same server,
    dropped first if a killed run left it behind. Otherwise a SQLite file in a temporary directory.
    """
    url = os.environ.get("DATABASE_URL", "").strip()
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("postgresql"):
        directory = tempfile.mkdtemp(prefix=f"marketplace-{suffix}-")
        try:
            yield "sqlite:///" + str(Path(directory) / f"{suffix}.db")
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    server = make_url(url)
    name = f"{server.database or 'marketplace'}_{suffix}"
    admin = create_engine(server.set(database=server.database or "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(url: str) -> Flask:
    """The real app on `url`, with every table created (db.create_all)."""
    from marketplace import create_app
    from marketplace.core.db import db

    app = create_app({"ENV": "development", "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        db.create_all()
    return app


@contextmanager
def bench_app(suffix: str = "bench") -> Iterator[Flask]:
    """A throwaway database, the app on it with its tables, and an app context pushed;
    `app.config["SQLALCHEMY_DATABASE_URI"]` is the URL (for subprocesses or raw connections)."""
    from marketplace.core.db import db

    with throwaway_database(suffix) as url:
        app = make_app(url)
        ctx = app.app_context()
        ctx.push()
        try:
            yield app
        finally:
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()
            ctx.pop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing is listening on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
