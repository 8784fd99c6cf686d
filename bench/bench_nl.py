"""Time to answer a question in words, as an application sees it: over HTTP from `hybridq serve`
(another process), and in-process as a breakdown.

    .venv/bin/python bench/bench_nl.py
    .venv/bin/python bench/bench_nl.py --rounds 1

Uses the acme catalog on a small acme store and two question sets: tests/nl/questions_acme.yaml
and the externally written tests/nl/questions_acme_external.yaml (which includes questions that must
be refused and ambiguous ones), so answers, refusals and clarifications are all timed. Targets: ask
p50 <= 30 ms and p99 <= 150 ms including refusals, after a one-time warm-up. The baseline measured in
the same run is the gold SQL of the same questions sent to `/v1/sql` of the same server: the ratio
is what understanding words costs over running SQL.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import hybridq  # noqa: E402
from common import command_line, load_average, machine, percentile, today, write_section  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
PORT = 8479


def questions() -> list[dict]:
    out = []
    for name in ("questions_acme.yaml", "questions_acme_external.yaml"):
        for q in yaml.safe_load((ROOT / "tests" / "nl" / name).read_text()):
            out.append({"question": q["question"], "sql": q.get("sql")})
    return out


def build() -> Path:
    from conftest import make_acme

    root = CACHE / "nl_acme"
    catalog = root / "catalogs" / "acme.yaml"
    if not (root / "built").exists():
        make_acme(root, scale=0.05)
        with hybridq.connect(catalog) as hq:
            hq.refresh()
        (root / "built").write_text("ok")
    # the catalog under test is the repository's (its vocabulary changes); the data stays
    catalog.write_text((ROOT / "catalogs" / "acme.yaml").read_text())
    with hybridq.connect(catalog) as hq:
        hq.refresh()
    return catalog


def summary(ms: list[float]) -> str:
    return f"p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms (n={len(ms)})"


def in_process(catalog: Path, qs: list[dict], rounds: int) -> dict[str, list[float]]:
    by_kind: dict[str, list[float]] = {"answer": [], "refusal": [], "clarification": []}
    with hybridq.connect(catalog) as hq:
        for q in qs:  # warm-up: lexicon, model, stored phrase vectors
            hq.ask(q["question"], llm=False)
        for _ in range(rounds):
            for q in qs:
                t0 = time.perf_counter()
                answer = hq.ask(q["question"], llm=False)
                by_kind[answer.kind].append((time.perf_counter() - t0) * 1000)
    return by_kind


def over_http(catalog: Path, qs: list[dict], rounds: int) -> tuple[dict[str, list[float]], list[float]]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    server = subprocess.Popen([sys.executable, "-m", "hybridq.cli", "serve", str(catalog), "--port", str(PORT)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        conn = wait_for_server(server)

        def post(route: str, body: dict) -> tuple[float, dict]:
            t0 = time.perf_counter()
            conn.request("POST", f"/v1/{route}", body=json.dumps(body), headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
            ms = (time.perf_counter() - t0) * 1000
            if response.status != 200:
                raise RuntimeError(f"{route} answered {response.status}: {data[:300]!r}")
            return ms, json.loads(data)

        for q in qs:  # warm-up
            post("ask", {"question": q["question"], "llm": False})
        by_kind: dict[str, list[float]] = {"answer": [], "refusal": [], "clarification": []}
        gold: list[float] = []
        for _ in range(rounds):
            for q in qs:
                ms, payload = post("ask", {"question": q["question"], "llm": False})
                by_kind[payload["kind"]].append(ms)
                if q["sql"]:
                    gold.append(post("sql", {"sql": q["sql"]})[0])
        return by_kind, gold
    finally:
        server.terminate()
        server.wait(timeout=60)


def wait_for_server(server: subprocess.Popen) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"hybridq serve exited: {server.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
            conn.request("GET", "/v1/health")
            conn.getresponse().read()
            return conn
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("hybridq serve did not start within 300 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="times each question is asked after the warm-up")
    args = parser.parse_args()
    catalog = build()
    qs = questions()
    local = in_process(catalog, qs, args.rounds)
    http_kinds, gold = over_http(catalog, qs, args.rounds)
    every = [ms for v in http_kinds.values() for ms in v]
    lines = [
        f"Command: `{command_line()}`", "",
        f"Measured {today()} on {machine()}; load average {load_average()}.", "",
        f"{len(qs)} acme questions (our set and the externally written one) x {args.rounds}, after one warm-up round; "
        "llm off.", "",
        f"- **over HTTP** (`POST /v1/ask` to `hybridq serve`, another process, one keep-alive connection): "
        f"{summary(every)}; targets p50 <= 30 ms, p99 <= 150 ms",
        *[f"  - {kind}s: {summary(ms)}" for kind, ms in http_kinds.items() if ms],
        f"- baseline, the gold SQL of the same questions through `POST /v1/sql` of the same server: {summary(gold)}; "
        f"ratio of ask to SQL at p50 {statistics.median(every) / statistics.median(gold):.1f}x",
        "- breakdown, in-process `Session.ask`:",
        *[f"  - {kind}s: {summary(ms)}" for kind, ms in local.items() if ms],
    ]
    print("\n".join(lines))
    write_section("Natural language to SQL: time to answer", "\n".join(lines))


if __name__ == "__main__":
    main()
