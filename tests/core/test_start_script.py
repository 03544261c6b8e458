"""`scripts/start` prints the app's address only once the app answers (issue #17, item 10): it
starts gunicorn, waits for /healthz to answer 200 with a progress line, and only then says
"Serving on …", so the first page a person opens is served at once."""

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import wait_until_up  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_waits_for_a_server_that_comes_up_late_and_says_so():
    port = _free_port()
    server = HTTPServer(("127.0.0.1", port), _Ok)
    threading.Timer(1.2, server.serve_forever).start()  # listening, but answering only later
    out = io.StringIO()
    started = time.monotonic()
    try:
        assert wait_until_up.wait(f"http://127.0.0.1:{port}/", timeout=20, out=out)
    finally:
        server.shutdown()
        server.server_close()
    assert time.monotonic() - started >= 1.0
    assert out.getvalue().startswith("==> Waiting for the app to answer ") and out.getvalue().endswith(
        " ready\n"
    )


def test_gives_up_when_the_server_process_has_ended():
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    out = io.StringIO()
    assert not wait_until_up.wait(f"http://127.0.0.1:{_free_port()}/", pid=ended.pid, timeout=20, out=out)
    assert "stopped before it answered" in out.getvalue()


@pytest.mark.skipif(not (ROOT / ".venv/bin/gunicorn").exists(), reason="needs the app installed in .venv")
def test_start_prints_the_url_only_once_the_app_answers(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "SKIP_INSTALL": "1",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "MARKETPLACE_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}",
    }
    process = subprocess.Popen(
        ["bash", "scripts/start"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    lines = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Serving on" in line:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/offers", timeout=5) as first:
                    assert first.status == 200  # answered at once: the address came after the app was up
                break
        text = "".join(lines)
        assert f"==> Serving on http://127.0.0.1:{port}" in text, text[-2000:]
        assert text.index("Waiting for the app to answer") < text.index("Serving on")
        assert text.count("Serving on") == 1
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
