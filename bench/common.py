"""Helpers shared by the benchmarks: timing statistics, the machine line, and bench/RESULTS.md.

Benchmarks print each figure as a ratio to a baseline measured in the same run; these helpers
keep that bookkeeping out of the benchmark scripts.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"  # gitignored: generated data and cached stores
RESULTS = BENCH_DIR / "RESULTS.md"
RESULTS_HEADER = (
    "# Benchmark results\n\n"
    "Each section is written by the benchmark named in it, with the command that produced it. Figures are\n"
    "ratios to a baseline measured in the same run; absolute times depend on the machine and its load.\n"
)

if str(ROOT) not in sys.path:  # run as `python bench/<name>.py` from anywhere
    sys.path.insert(0, str(ROOT))


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """(milliseconds, return value) of one call."""
    t0 = time.perf_counter()
    value = fn()
    return (time.perf_counter() - t0) * 1000.0, value


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def geomean(values: list[float]) -> float:
    return statistics.geometric_mean(values) if values else float("nan")


def machine() -> str:
    """One line describing where the figures were measured."""
    import duckdb

    cpus = os.cpu_count() or 0
    mem = ""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        mem = f", {pages * size / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    return (f"{platform.system()} {platform.machine()}, {cpus} CPUs{mem}; Python {platform.python_version()}, "
            f"DuckDB {duckdb.__version__}")


def load_average() -> str:
    """The 1-minute load average, to judge how busy the machine was while measuring."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (OSError, AttributeError):
        return "n/a"


def command_line() -> str:
    """The command that is running, as a user would type it from the repository root."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = script.relative_to(ROOT)
    except ValueError:
        shown = script
    return " ".join([".venv/bin/python", str(shown), *map(shlex.quote, sys.argv[1:])])


def write_section(heading: str, body: str, path: Path = RESULTS) -> None:
    """Replace (or append) the `## heading` section of RESULTS.md, leaving other sections as they are."""
    title = f"## {heading}"
    text = path.read_text(encoding="utf-8") if path.exists() else RESULTS_HEADER
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == title), None)
    section = [title, "", *body.strip("\n").splitlines(), ""]
    if start is None:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ["", *section]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = section
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


def today() -> str:
    return dt.date.today().isoformat()
