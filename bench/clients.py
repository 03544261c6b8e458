"""Concurrent clients as separate PROCESSES, as production runs (several gunicorn workers on one
PostgreSQL): threads in one interpreter would measure its lock, not the app.

`in_processes(clients, seconds, make_work)` forks `clients` processes. Each calls
`make_work(index)` first (untimed: build its own app and engine there, never reuse the parent's
connections), waits for every other client, then calls the returned `work(rng)` in a loop until the
time is up. `work` returns True (done), False (cleanly refused) or raises (an error, which fails the
run). The parent returns (done, refused, wall seconds).

Call `db.engine.dispose()` (or dispose any engine) in the parent before, so no pooled connection is
shared across a fork.
"""

import contextlib
import multiprocessing
import os
import random
import time
import traceback
from collections.abc import Callable

Work = Callable[[random.Random], bool]


def client_counts(default: tuple[int, ...]) -> tuple[int, ...]:
    """How many client processes each run uses: BENCH_CLIENTS ("1,4,16") overrides the default
    (a smoke test runs with "2")."""
    given = os.environ.get("BENCH_CLIENTS", "").strip()
    return tuple(int(n) for n in given.split(",")) if given else default


def _client(index, make_work, start, stop, results) -> None:
    done = refused = 0
    error = None
    try:
        work = make_work(index)
    except BaseException:  # noqa: BLE001 - reported to the parent
        error = traceback.format_exc()
        start.abort()
    else:
        rng = random.Random(index)
        try:
            start.wait(timeout=120)
            while not stop.is_set():
                if work(rng):
                    done += 1
                else:
                    refused += 1
        except BaseException:  # noqa: BLE001 - reported to the parent
            error = traceback.format_exc()
    results.put((index, done, refused, error))


def in_processes(clients: int, seconds: float, make_work: Callable[[int], Work]) -> tuple[int, int, float]:
    """Run `clients` forked client processes for `seconds`; (done, refused, elapsed seconds)."""
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(clients + 1)
    stop = ctx.Event()
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_client, args=(i, make_work, start, stop, results), daemon=True)
        for i in range(clients)
    ]
    for proc in procs:
        proc.start()
    with contextlib.suppress(Exception):  # a client that failed to set up reports below
        start.wait(timeout=180)
    began = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    outcomes = [results.get(timeout=120) for _ in procs]
    elapsed = time.perf_counter() - began
    for proc in procs:
        proc.join(timeout=30)
    errors = [error for *_, error in outcomes if error]
    if errors:
        raise AssertionError(f"{len(errors)} client process(es) failed; first:\n{errors[0]}")
    return sum(o[1] for o in outcomes), sum(o[2] for o in outcomes), elapsed
