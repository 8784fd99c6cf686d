"""Bulk embedding through a refresh: in process (the DuckDB engine) vs a Daft job, native runner
and a local Ray cluster, with 1 and 2 model workers.

    .venv/bin/python bench/bench_bulk_embed.py              # 2,000 short documents
    .venv/bin/python bench/bench_bulk_embed.py --docs 10000

Each run is a full `Session.refresh()` of the same documents into a fresh store (nothing to reuse),
as a user runs it; the figure is its throughput as a ratio to the in-process refresh measured in the
same run, and the time that throughput gives for re-embedding 100,000 chunks. Ray runs in a child
process (one Daft runner per process) on a local cluster it starts and stops.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import hybridq  # noqa: E402
from bench_live import make_project  # noqa: E402
from common import command_line, load_average, machine, today, write_section  # noqa: E402


def refresh_once(project: Path, engine: dict | None, name: str) -> tuple[float, int]:
    """(seconds, chunks embedded) of a full refresh into a fresh store under `project`."""
    catalog = project / f"bulk_{name}.yaml"
    text = (project / "catalog.yaml").read_text().replace("store: .hybridq/live", f"store: .hybridq/bulk_{name}")
    catalog.write_text(text)
    shutil.rmtree(project / ".hybridq" / f"bulk_{name}", ignore_errors=True)
    with hybridq.connect(catalog, engine=engine) as session:
        session.embedder.embed(["warm up"])  # the model is loaded before the clock starts, as in a live owner
        t0 = time.perf_counter()
        report = session.refresh()
        seconds = time.perf_counter() - t0
    shutil.rmtree(project / ".hybridq" / f"bulk_{name}", ignore_errors=True)
    catalog.unlink()
    return seconds, report.embedded


def worker(args) -> None:
    project = make_project(args.docs)
    out = {}
    for workers in (1, 2):
        engine = {"kind": "daft", "runner": "ray", "embed_workers": workers, "bulk_embed_min_chunks": 1}
        out[f"Daft on Ray, {workers} worker(s)"] = refresh_once(project, engine, f"ray{workers}")
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2_000)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    project = make_project(args.docs)
    lines = [f"Command: `{command_line()}`", "",
             f"Measured {today()} on {machine()}; load average {load_average()} at the start. {args.docs:,} short "
             "documents, each refresh into a fresh store, the model loaded before the clock starts.", ""]
    runs = {"in process (DuckDB engine)": refresh_once(project, None, "local")}
    for workers in (1, 2):
        engine = {"kind": "daft", "runner": "native", "embed_workers": workers, "bulk_embed_min_chunks": 1}
        runs[f"Daft native, {workers} worker(s)"] = refresh_once(project, engine, f"native{workers}")
    if not args.no_ray:
        env = dict(os.environ, RAY_AUTH_MODE="disabled", HYBRIDQ_OWNER="off")
        done = subprocess.run([sys.executable, __file__, "--worker", "--docs", str(args.docs)], env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"the Ray worker failed:\n{done.stderr[-3000:]}")
        runs.update({k: tuple(v) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()})
    base_seconds, base_chunks = runs["in process (DuckDB engine)"]
    base_rate = base_chunks / base_seconds
    lines += ["| refresh | chunks | s | chunks/s | ratio | 100k chunks re-embedded in |", "|---|---:|---:|---:|---:|---:|"]
    for name, (seconds, chunks) in runs.items():
        rate = chunks / seconds
        lines.append(f"| {name} | {chunks:,} | {seconds:.1f} | {rate:.0f} | **{rate / base_rate:.2f}** | "
                     f"{100_000 / rate / 60:.0f} min |")
    lines.append(f"\nLoad average {load_average()} at the end. On a machine shared with other work, a job that "
                 "runs its workers in their own processes gets a larger share of the CPUs than one process does, "
                 "so with a load average above the CPU count the ratios measure that share as much as the "
                 "parallelism; on 2 CPUs a second model worker cannot add compute.")
    print("\n".join(lines))
    write_section("Bulk embedding: in process vs Daft jobs", "\n".join(lines))


if __name__ == "__main__":
    main()
