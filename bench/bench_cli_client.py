"""The command line's client path against an earlier version of it: `hybridq ask` answered by the
same warm owner, the two versions' runs interleaved (a shared, noisy machine slows both alike).

    .venv/bin/python bench/bench_cli_client.py 50a090f          # 15 runs of each
    .venv/bin/python bench/bench_cli_client.py 50a090f --runs 30

Prints, per version, the p50 wall time of the whole command and its p50 CPU time (user + system,
which waiting for the CPU does not add to), next to `python -c pass` and `python -S -c pass`, and
the ratio of this tree to REV. The earlier version's package is exported with `git archive` and put
first on PYTHONPATH; both are compiled first, as an install leaves them. Uses the acme 0.05 project
of bench_serve.py (refresh it first: `hybridq refresh bench/.cache/serve/acme_0.05/catalogs/acme.yaml`).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_serve import owner_log, wait_until_ready  # noqa: E402
from common import load_average  # noqa: E402

CATALOG = ROOT / "bench" / ".cache" / "serve" / "acme_0.05" / "catalogs" / "acme.yaml"
QUESTION = "how many enterprise customers are there"


def timed(args: list[str], env: dict) -> tuple[float, float]:
    """(wall ms, CPU ms) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, timeout=600)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr.decode(errors='replace')}")
    return wall, (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000


def entry_point(rev: str) -> tuple[str, str]:
    """The `hybridq` command's module and function at `rev` (pyproject.toml's [project.scripts])."""
    pyproject = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:pyproject.toml"], capture_output=True,
                               text=True, check=True).stdout
    target = re.search(r'^hybridq\s*=\s*"([\w.]+):(\w+)"', pyproject, re.M)
    if target is None:
        raise SystemExit(f"no hybridq entry point in {rev}:pyproject.toml")
    return target.group(1), target.group(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the earlier commit to compare with")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    hybridq_cli = str(Path(sys.executable).with_name("hybridq"))
    env = {**os.environ, "HYBRIDQ_OWNER": "auto", "HYBRIDQ_OWNER_IDLE": "600"}
    with tempfile.TemporaryDirectory() as earlier:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.rev, "hybridq"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", earlier], input=archive, check=True)
        for package in (Path(earlier) / "hybridq", ROOT / "hybridq"):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
        ask = [hybridq_cli, "ask", str(CATALOG), QUESTION]
        # the earlier version through its own entry point: this tree's script would import this
        # tree's entry module (the editable install supplies the modules the earlier package lacks)
        module, function = entry_point(args.rev)
        earlier_ask = [sys.executable, "-c", f"import sys; from {module} import {function}; sys.exit({function}())",
                       "ask", str(CATALOG), QUESTION]
        variants = {args.rev: (earlier_ask, {**env, "PYTHONPATH": earlier}), "this tree": (ask, env),
                    "python -c pass": ([sys.executable, "-c", "pass"], env),
                    "python -S -c pass": ([sys.executable, "-S", "-c", "pass"], env)}
        load_before = load_average()
        try:
            log = owner_log(CATALOG)
            offset = len(log.read_text()) if log.exists() else 0
            timed(ask, env)  # starts the owner (or finds it)
            if len(log.read_text()) > offset:  # one was started: measured once it has loaded the model
                wait_until_ready(log, offset)
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
            for _ in range(args.runs):
                for name, (command, variant_env) in variants.items():
                    runs[name].append(timed(command, variant_env))
        finally:
            subprocess.run([hybridq_cli, "owner", "stop", str(CATALOG)], env=env, capture_output=True, timeout=120)
    p50 = {name: (statistics.median(w for w, _ in xs), statistics.median(c for _, c in xs)) for name, xs in runs.items()}
    print(f"{args.runs} interleaved runs each; 1-minute load average {load_before} before, {load_average()} after")
    for name, (wall, cpu) in p50.items():
        print(f"{name:>18}: wall p50 {wall:6.0f} ms, CPU p50 {cpu:6.0f} ms")
    (old_wall, old_cpu), (new_wall, new_cpu) = p50[args.rev], p50["this tree"]
    print(f"ratio this tree / {args.rev}: wall {new_wall / old_wall:.2f}, CPU {new_cpu / old_cpu:.2f}")


if __name__ == "__main__":
    main()
