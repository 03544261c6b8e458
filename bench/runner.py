"""Find the benchmark modules, run them and print their figures as a table or JSON lines."""

import argparse
import importlib
import json
import math
import pkgutil
import sys
import time
import traceback
from types import ModuleType

PREFIX = "bench_"
FIELDS = ("bench", "figure", "value", "unit", "baseline", "ratio")


def discover(package: ModuleType | None = None) -> list[str]:
    """The benchmark names: every module `<package>/bench_<name>.py`, sorted."""
    if package is None:
        import bench as package
    return sorted(
        info.name[len(PREFIX) :]
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith(PREFIX) and not info.ispkg
    )


def load(name: str, package: ModuleType | None = None) -> ModuleType:
    package_name = package.__name__ if package is not None else "bench"
    return importlib.import_module(f"{package_name}.{PREFIX}{name}")


def check_figure(name: str, fig: dict) -> dict:
    """Refuse a figure that does not have the contract's shape, so a typo never reaches a report."""
    if set(fig) != set(FIELDS):
        raise ValueError(f"bench {name}: figure keys {sorted(fig)} are not {sorted(FIELDS)}")
    if fig["bench"] != name:
        raise ValueError(f"bench {name}: figure says bench={fig['bench']!r}")
    for key in ("value", "baseline", "ratio"):
        value = fig[key]
        if key != "value" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"bench {name}: {fig['figure']} has a non-numeric {key}: {value!r}")
    return {key: fig[key] for key in FIELDS}


def _number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"


def print_table(figures: list[dict], out=None) -> None:
    out = out or sys.stdout
    rows = [("bench", "figure", "value", "unit", "baseline", "ratio")]
    for fig in figures:
        ratio = "-" if fig["ratio"] is None else f"{fig['ratio']:.2f}x"
        rows.append(
            (fig["bench"], fig["figure"], _number(fig["value"]), fig["unit"], _number(fig["baseline"]), ratio)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {2, 4, 5}
    for n, row in enumerate(rows):
        cells = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)


def parse_args(argv: list[str] | None, available: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run the benchmarks under bench/ and print their figures. "
        "DATABASE_URL chooses the database (default: a throwaway SQLite file).",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all of {available})"
    )
    parser.add_argument("--scale", type=int, default=1, help="data size and load multiplier (default 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per figure per line")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in available]
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}; there are: {', '.join(available)}")
    if args.scale < 1:
        parser.error("--scale must be at least 1")
    return args


def main(argv: list[str] | None = None, package: ModuleType | None = None) -> int:
    available = discover(package)
    args = parse_args(argv, available)
    if args.list:
        print("\n".join(available))
        return 0
    failed = []
    figures = []
    for name in args.names or available:
        started = time.perf_counter()
        print(f"[bench] {name}: running at scale {args.scale} ...", file=sys.stderr, flush=True)
        try:
            results = [check_figure(name, fig) for fig in load(name, package).run(args.scale)]
        except Exception:
            traceback.print_exc(file=sys.stderr)
            print(f"[bench] {name}: FAILED", file=sys.stderr, flush=True)
            failed.append(name)
            continue
        elapsed = time.perf_counter() - started
        print(f"[bench] {name}: {len(results)} figures in {elapsed:.1f} s", file=sys.stderr, flush=True)
        if args.json:
            for fig in results:
                print(json.dumps(fig), flush=True)
        figures.extend(results)
    if not args.json and figures:
        print_table(figures)
    if failed:
        print(f"[bench] failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
