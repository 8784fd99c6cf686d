"""SQL planning overhead on TPC-H: `Session.sql()` against raw DuckDB for the same 22 queries.

    .venv/bin/python bench/bench_sql_overhead.py             # scale factor 1
    .venv/bin/python bench/bench_sql_overhead.py --scale 0.1 --reps 15

Generates TPC-H data with tpchgen-cli (cached under bench/data/tpch/sf<scale>/), builds a hybridq
store from catalogs/tpch.yaml in a temporary project laid out like the repository (the data folder
is linked in), and refreshes it. Then, per query, it rotates through three kinds of run:

* raw: the query text on a cursor of the store's own DuckDB database (`session.store.db.cursor()`),
  fetched to Arrow, exactly what hybridq hands to DuckDB for plain SQL;
* hybridq: `session.sql(query)` with the prepared-statement cache emptied first, so every run pays
  parse + guard (the cost of a query text seen for the first time);
* hybridq, cached text: `session.sql(query)` again, reusing the parse + guard outcome.

It prints the median ratio hybridq / raw per query and overall, and the planning time hybridq
adds: parse + guard, the state the query reads (SQL without semantic calls takes the store's
stamp, reused until a refresh commits; a semantic query opens a snapshot, a DuckDB read transaction
whose stamp is reused the same way; both are timed) and planning (nothing to plan for SQL without
semantic calls), each timed on its own, many times. Targets (for new query text): median ratio
<= 1.05, added planning time p50 <= 3 ms.
The figures are written to bench/RESULTS.md under "SQL planning overhead (TPC-H)" unless
--no-write is given.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    DATA_DIR, ROOT, command_line, geomean, load_average, machine, median, percentile, timed, today, write_section,
)

QUERIES_DIR = ROOT / "tests" / "tpch" / "queries"
HEADING = "SQL planning overhead (TPC-H)"
TARGET_RATIO = 1.05
TARGET_ADDED_MS = 3.0


@dataclass
class QueryFigures:
    name: str
    rows: int = 0
    raw_ms: list[float] = field(default_factory=list)
    hq_ms: list[float] = field(default_factory=list)
    hq_cached_ms: list[float] = field(default_factory=list)
    parse_guard_ms: list[float] = field(default_factory=list)
    state_ms: list[float] = field(default_factory=list)  # what this query pays for the state it reads
    snapshot_ms: list[float] = field(default_factory=list)  # what a semantic query pays: a snapshot
    plan_ms: list[float] = field(default_factory=list)
    cached_ms: list[float] = field(default_factory=list)

    @property
    def raw(self) -> float:
        return median(self.raw_ms)

    @property
    def hq(self) -> float:
        return median(self.hq_ms)

    @property
    def ratio(self) -> float:
        return self.hq / self.raw

    @property
    def ratio_cached(self) -> float:
        return median(self.hq_cached_ms) / self.raw

    @property
    def added(self) -> float:
        """Planning time hybridq adds to a query text it has not seen: parse + guard + state + plan."""
        return median(self.parse_guard_ms) + median(self.state_ms) + median(self.plan_ms)

    @property
    def added_cached(self) -> float:
        """The same for a query text seen before (the parse + guard outcome is cached)."""
        return median(self.cached_ms) + median(self.state_ms) + median(self.plan_ms)


def scale_label(scale: float) -> str:
    return f"sf{scale:g}".replace(".", "_")


def build_project(root: Path, data_dir: Path) -> Path:
    """catalogs/tpch.yaml copied from the repository, examples/tpch/data linked to the generated data."""
    (root / "catalogs").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "catalogs" / "tpch.yaml", root / "catalogs" / "tpch.yaml")
    link = root / "examples" / "tpch" / "data"
    link.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.symlink(data_dir.resolve(), link, target_is_directory=True)
    except OSError:  # no symlinks here: copy instead
        shutil.copytree(data_dir, link)
    return root / "catalogs" / "tpch.yaml"


def clear_prepared(session) -> None:
    session.__dict__.pop("_prepared", None)


def measure_planning(session, sql: str, figures: QueryFigures, reps: int) -> None:
    """Time each stage hybridq adds before DuckDB runs the query, `reps` times each, as
    hybridq.sql.engine.run_query takes them."""
    from hybridq.sql.engine import plain_text, plan_on, prepare

    for _ in range(reps):
        clear_prepared(session)
        ms, prepared = timed(lambda: prepare(session, sql))
        figures.parse_guard_ms.append(ms)
        figures.cached_ms.append(timed(lambda: prepare(session, sql))[0])
        t0 = time.perf_counter()
        with session.store.snapshot() as snap:
            t1 = time.perf_counter()
            if prepared.semantic:
                plan_on(session, snap, sql, prepared)
            t2 = time.perf_counter()
        t3 = time.perf_counter()
        figures.snapshot_ms.append(((t1 - t0) + (t3 - t2)) * 1000)
        if prepared.semantic:
            figures.plan_ms.append((t2 - t1) * 1000)
            figures.state_ms.append(figures.snapshot_ms[-1])
        else:
            ms, _ = timed(lambda: (session.store.stamp, plain_text(session, sql, prepared, None)))
            figures.plan_ms.append(0.0)
            figures.state_ms.append(ms)


def run(args) -> int:
    import hybridq
    from examples.tpch.generate import generate, is_generated

    queries = sorted(QUERIES_DIR.glob("q*.sql"))
    if args.queries:
        wanted = {f"q{int(q):02d}" for q in args.queries.split(",")}
        queries = [q for q in queries if q.stem in wanted]
    if not queries:
        print(f"no queries found in {QUERIES_DIR}", file=sys.stderr)
        return 2

    data_dir = DATA_DIR / "tpch" / scale_label(args.scale)
    cached = is_generated(data_dir, args.scale)
    gen_ms, _ = timed(lambda: generate(data_dir, args.scale))
    print(f"data: TPC-H scale factor {args.scale:g} in {data_dir} "
          f"({'cached' if cached else f'generated in {gen_ms / 1000:.1f} s'})")

    workdir = Path(tempfile.mkdtemp(prefix="hq-bench-tpch-"))
    try:
        catalog = build_project(workdir, data_dir)
        session = hybridq.connect(catalog, query_timeout=None if args.no_timeout else 600.0)
        try:
            refresh_ms, report = timed(session.refresh)
            print(f"store: {session.store.directory}, refreshed in {refresh_ms / 1000:.1f} s "
                  f"({sum(t.inserted for t in report.tables.values()):,} rows)")
            load_before = load_average()
            results = measure(session, queries, args)
            args.load = (load_before, load_average())
        finally:
            session.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    text = report_text(results, args, refresh_ms, gen_ms if not cached else None)
    print()
    print(text)
    if not args.no_write:
        write_section(HEADING, text)
        print(f"\nwritten to {Path('bench') / 'RESULTS.md'} under '## {HEADING}'")
    return 0


def measure(session, queries: list[Path], args) -> list[QueryFigures]:
    from hybridq.sql.guard import duckdb_functions

    duckdb_functions()  # one-time load of DuckDB's function list, not a per-query cost
    raw = session.store.db.cursor()
    results = []
    try:
        for path in queries:
            sql = path.read_text()
            figures = QueryFigures(path.stem)
            # Warm-up: one run of each kind (reads the data into DuckDB's buffer cache).
            rows = raw.sql(sql).to_arrow_table().num_rows
            clear_prepared(session)
            assert len(session.sql(sql)) == rows, f"{path.stem}: hybridq and raw DuckDB disagree on the row count"
            figures.rows = rows
            if "_prepared" not in session.__dict__:
                raise RuntimeError("Session.sql() no longer keeps its parse cache in session._prepared; "
                                   "update clear_prepared() so 'new query text' runs really parse")
            sides = ["raw", "hq", "hq_cached"]
            for rep in range(args.reps):
                # Rotate which side goes first so drift (caches, other load) hits all sides alike.
                for side in sides[rep % 3:] + sides[:rep % 3]:
                    if side == "raw":
                        figures.raw_ms.append(timed(lambda: raw.sql(sql).to_arrow_table())[0])
                    elif side == "hq":
                        clear_prepared(session)
                        figures.hq_ms.append(timed(lambda: session.sql(sql))[0])
                    else:
                        figures.hq_cached_ms.append(timed(lambda: session.sql(sql))[0])
            measure_planning(session, sql, figures, args.planning_reps)
            print(f"  {figures.name}: raw {figures.raw:9.1f} ms  hybridq {figures.hq:9.1f} ms  "
                  f"ratio {figures.ratio:6.3f}  added {figures.added:6.2f} ms", flush=True)
            results.append(figures)
    finally:
        raw.close()
    return results


def report_text(results: list[QueryFigures], args, refresh_ms: float, gen_ms: float | None) -> str:
    ratios = [f.ratio for f in results]
    ratios_cached = [f.ratio_cached for f in results]
    added = [f.added for f in results]
    added_cached = [f.added_cached for f in results]
    parse_guard = [median(f.parse_guard_ms) for f in results]
    state = [median(f.state_ms) for f in results]
    snapshot = [median(f.snapshot_ms) for f in results]
    extra = [f.hq - f.raw for f in results]
    implied = [1 + f.added / f.raw for f in results]
    med_ratio, p50_added = median(ratios), percentile(added, 50)
    lines = [
        f"Command: `{command_line()}`",
        "",
        f"Measured {today()} on {machine()}. TPC-H scale factor {args.scale:g} (tpchgen-cli Parquet"
        + (f", generated in {gen_ms / 1000:.1f} s" if gen_ms is not None else "")
        + f"), loaded by `refresh()` in {refresh_ms / 1000:.1f} s. Per query: one warm-up run of each kind, then "
        f"{args.reps} rotating runs of raw DuckDB (the same SQL on `session.store.db.cursor()`, fetched to Arrow), "
        "`Session.sql()` with its parse cache emptied (a query text seen for the first time) and `Session.sql()` "
        "with the text cached; medians. Added planning time = parse + guard + state + plan, each stage "
        "timed on its own, the way `Session.sql()` takes it: the state is the store's stamp for SQL without "
        "semantic calls (all of TPC-H), a snapshot for semantic SQL; the snapshot column shows what opening "
        f"one costs (a semantic query's share) ({args.planning_reps} runs, medians). 1-minute load average {args.load[0]} before "
        f"and {args.load[1]} after the measurements.",
        "",
        "| query | rows | raw DuckDB ms | hybridq ms | ratio | hybridq ms, cached text | ratio | parse+guard ms "
        "| state ms | snapshot ms | added ms | added ms, cached text |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in results:
        lines.append(
            f"| {f.name} | {f.rows} | {f.raw:.1f} | {f.hq:.1f} | {f.ratio:.3f} | {median(f.hq_cached_ms):.1f} "
            f"| {f.ratio_cached:.3f} | {median(f.parse_guard_ms):.2f} | {median(f.state_ms):.3f} | {median(f.snapshot_ms):.2f} "
            f"| {f.added:.2f} "
            f"| {f.added_cached:.2f} |")
    verdict_ratio = "meets" if med_ratio <= TARGET_RATIO else "misses"
    verdict_added = "meets" if p50_added <= TARGET_ADDED_MS else "misses"
    lines += [
        "",
        f"- median ratio hybridq / raw DuckDB, new query text: **{med_ratio:.3f}** (geometric mean "
        f"{geomean(ratios):.3f}, min {min(ratios):.3f}, max {max(ratios):.3f}); target <= {TARGET_RATIO}: "
        f"{verdict_ratio}",
        f"- median ratio, cached query text: **{median(ratios_cached):.3f}** (geometric mean "
        f"{geomean(ratios_cached):.3f}, min {min(ratios_cached):.3f}, max {max(ratios_cached):.3f})",
        f"- added planning time p50: **{p50_added:.2f} ms** (p95 {percentile(added, 95):.2f} ms, max "
        f"{max(added):.2f} ms; parse+guard p50 {percentile(parse_guard, 50):.2f} ms, state p50 "
        f"{percentile(state, 50):.3f} ms; a snapshot, as a semantic query opens one, p50 "
        f"{percentile(snapshot, 50):.2f} ms); target <= {TARGET_ADDED_MS:g} ms: {verdict_added}; "
        f"cached query text: p50 {percentile(added_cached, 50):.2f} ms",
        f"- end to end, hybridq median minus raw median: p50 {percentile(extra, 50):.2f} ms per query; the ratio "
        f"the added planning time alone implies, 1 + added / raw: median {median(implied):.3f} "
        f"(max {max(implied):.3f})",
    ]
    busy = [x for x in args.load if x != "n/a" and float(x) > (os.cpu_count() or 1)]
    if busy:
        lines.append("- the machine was busy (load average above its CPU count), so the measured ratios carry that "
                     "noise; the added planning time, timed stage by stage, and the ratio it implies are the "
                     "load-independent figures")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Session.sql() vs raw DuckDB on the 22 TPC-H queries.")
    parser.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor (default 1)")
    parser.add_argument("--reps", type=int, default=9, help="timed runs of each kind per query (default 9)")
    parser.add_argument("--planning-reps", type=int, default=50,
                        help="runs of each planning stage per query (default 50)")
    parser.add_argument("--queries", default="", help="comma-separated query numbers, e.g. 1,6,18 (default: all 22)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not update bench/RESULTS.md")
    parser.add_argument("--no-timeout", action="store_true", help="run hybridq queries without a time limit")
    args = parser.parse_args(argv)
    if args.reps < 1 or args.planning_reps < 1:
        parser.error("--reps and --planning-reps must be at least 1")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
