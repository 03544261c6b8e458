"""Benchmarks: `python -m bench [NAME ...] [--scale N] [--json]`.

Every module `bench/bench_<name>.py` exposes `run(scale: int) -> list[dict]`, returning figures
made with `bench.common.figure(...)`:
  {"bench", "figure", "value", "unit", "baseline", "ratio"}
where `baseline` is the same work done by the plainest means (raw SQL, a bare endpoint) in the
same run and `ratio` says how many times slower the project is (1.0 is the floor).
Shared helpers: `bench.common` (throwaway database and app, timers, percentiles, figures,
progress) and `bench.data` (set-based data generators at a chosen scale).
"""
