"""`python -m bench`: discovery, the figure contract, the table and JSON output."""

import json
import os
import subprocess
import sys
import textwrap
from importlib import import_module

import pytest

from bench import runner
from bench.common import figure, median, p95, percentile, rate_ratio, time_ratio
from tests.conftest import PASSWORD

FAKE_ALPHA = """
from bench.common import figure

def run(scale):
    return [
        figure("alpha", "things/s", 100.0 * scale, "1/s", baseline=250.0, ratio=2.5),
        figure("alpha", "setup", 12, "ms"),
    ]
"""
FAKE_BROKEN = """
def run(scale):
    return [{"bench": "broken", "figure": "oops", "value": "fast", "unit": "ms"}]
"""


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    package = tmp_path / "fakebench"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "common.py").write_text("# not a benchmark\n")
    (package / "bench_alpha.py").write_text(textwrap.dedent(FAKE_ALPHA))
    (package / "bench_broken.py").write_text(textwrap.dedent(FAKE_BROKEN))
    monkeypatch.syspath_prepend(str(tmp_path))
    return import_module("fakebench")


def test_discovers_bench_modules_only(fake_package):
    assert runner.discover(fake_package) == ["alpha", "broken"]
    assert "web" in runner.discover()


def test_json_lines_have_the_contract_shape(fake_package, capsys):
    assert runner.main(["alpha", "--json", "--scale", "3"], package=fake_package) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    figures = [json.loads(line) for line in lines]
    assert [list(f) for f in figures] == [["bench", "figure", "value", "unit", "baseline", "ratio"]] * 2
    assert figures[0] == {
        "bench": "alpha",
        "figure": "things/s",
        "value": 300.0,
        "unit": "1/s",
        "baseline": 250.0,
        "ratio": 2.5,
    }
    assert figures[1]["baseline"] is None and figures[1]["ratio"] is None


def test_table_lists_every_figure(fake_package, capsys):
    assert runner.main(["alpha"], package=fake_package) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["bench", "figure", "value", "unit", "baseline", "ratio"]
    assert "things/s" in out and "2.50x" in out


def test_a_malformed_figure_fails_the_run_but_not_the_others(fake_package, capsys):
    assert runner.main(["--json"], package=fake_package) == 1
    captured = capsys.readouterr()
    assert len(captured.out.strip().splitlines()) == 2  # alpha's figures still printed
    assert "broken: FAILED" in captured.err


def test_unknown_name_is_refused(fake_package, capsys):
    with pytest.raises(SystemExit) as exit_:
        runner.main(["nope"], package=fake_package)
    assert exit_.value.code == 2
    assert "no benchmark named nope" in capsys.readouterr().err


def test_statistics_and_ratios():
    values = [float(n) for n in range(1, 101)]
    assert median(values) == 50.5
    assert p95(values) == pytest.approx(95.05)
    assert percentile([3.0], 95) == 3.0
    assert time_ratio(30, 10) == 3
    assert rate_ratio(project_rate=100, baseline_rate=400) == 4
    assert figure("x", "y", 1.23456789, "ms")["value"] == 1.2346


def test_make_people_is_set_based_and_signs_in(session):
    from bench.data import FAMILIES_PER_SCALE, make_people
    from marketplace.accounts.operations import authenticate

    people = make_people(session, 1, prefix="t")
    assert len(people.family_ids) == len(people.child_ids) == FAMILIES_PER_SCALE
    assert authenticate(session, people.staff_emails[0], people.password).organisation is not None
    assert authenticate(session, people.family_emails[-1], PASSWORD) is None


def test_web_benchmark_runs_end_to_end_over_http():
    """The real runner and bench_web (gunicorn on a throwaway database), for a fraction of a second."""
    env = dict(os.environ, BENCH_SECONDS="0.3")
    done = subprocess.run(
        [sys.executable, "-m", "bench", "web", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    figures = [json.loads(line) for line in done.stdout.splitlines()]
    assert {f["figure"] for f in figures} >= {"GET / requests/s", "POST /sign-in (scrypt) p95 latency"}
    assert all(f["value"] > 0 for f in figures)
    assert all(f["ratio"] is not None for f in figures if f["baseline"] is not None)
    assert "web: sign-in" in done.stderr  # progress goes to stderr


def _counting_client(index):
    def work(rng):
        return rng.random() < 0.5

    return work


def _failing_client(index):
    def work(rng):
        if index == 1:
            raise RuntimeError("client one broke")
        return True

    return work


def test_client_processes_count_done_and_refused_and_surface_a_failure():
    from bench.clients import in_processes

    done, refused, elapsed = in_processes(3, 0.2, _counting_client)
    assert done > 0 and refused > 0 and elapsed >= 0.2
    with pytest.raises(AssertionError, match="client one broke"):
        in_processes(2, 0.2, _failing_client)


def test_booking_benchmarks_run_from_client_processes_and_verify_the_books():
    """bench_bookings and bench_bookings_http (gunicorn, bearer tokens) with two client
    processes for a fraction of a second: figures with baselines, and the books checked after."""
    env = dict(os.environ, BENCH_SECONDS="0.3", BENCH_CLIENTS="2", BENCH_WORKERS="2")
    done = subprocess.run(
        [sys.executable, "-m", "bench", "bookings", "bookings_http", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    figures = {f["figure"]: f for f in map(json.loads, done.stdout.splitlines())}
    rates = [f for name, f in figures.items() if "per s" in f["unit"]]
    assert {f["bench"] for f in rates} == {"bookings", "bookings_http"}
    assert all(f["value"] > 0 and f["baseline"] > 0 and f["ratio"] is not None for f in rates), rates
    assert "no slot overbooked, no budget overspent, ledger reconciles" in done.stderr
