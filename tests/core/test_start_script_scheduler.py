"""`scripts/start`: one command serves the app with one scheduler process beside it, and stopping
the script stops both (run for real: demo load, gunicorn, the scheduler)."""

import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "instance" / "scheduler.lock"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lock_held() -> bool:
    """Whether a scheduler holds the one-scheduler file lock (SQLite) of this checkout."""
    LOCK.parent.mkdir(exist_ok=True)
    with open(LOCK, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_start_serves_the_app_beside_one_scheduler_and_stops_both(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}",
        "PORT": str(port),
        "SKIP_INSTALL": "1",
        "MARKETPLACE_ENV": "development",
        "PYTHON": sys.executable,
    }
    assert not _lock_held()
    with open(tmp_path / "start.log", "w") as log:
        script = subprocess.Popen(
            ["bash", "scripts/start"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 240
            while not (_answers(f"http://127.0.0.1:{port}/healthz") and _lock_held()):
                assert script.poll() is None, (tmp_path / "start.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "start.log").read_text()
                time.sleep(1)
            second = subprocess.run(
                [str(ROOT / ".venv/bin/marketplace"), "scheduler"], cwd=ROOT, env=env, capture_output=True, text=True,
                timeout=120,
            )  # fmt: skip
            assert second.returncode == 1 and "Another scheduler is already running" in second.stderr
            script.send_signal(signal.SIGTERM)
            script.wait(timeout=60)
            assert not _answers(f"http://127.0.0.1:{port}/healthz")
            assert not _lock_held()  # the scheduler has stopped with the server
            output = (tmp_path / "start.log").read_text()
            assert "Starting the scheduler" in output and "Scheduled isf-weekly-drawdown" in output
        finally:
            if script.poll() is None:
                os.killpg(script.pid, signal.SIGKILL)
