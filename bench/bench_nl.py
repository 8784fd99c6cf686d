"""Time from a question to its SQL (parsing, linking, composing; not running the SQL).

    .venv/bin/python bench/bench_nl.py

Uses the acme catalog and its question set (tests/nl/questions_acme.yaml) on a small acme store.
Target: p50 <= 50 ms. The baseline measured in the same run is parsing the gold SQL of the same
questions with sqlglot (what any SQL path pays), so the ratio shows the cost of understanding
words over reading SQL.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import sqlglot
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import hybridq  # noqa: E402
from common import command_line, load_average, machine, percentile, today, write_section  # noqa: E402
from hybridq.nl import question_to_sql  # noqa: E402

CACHE = ROOT / "bench" / ".cache"


def main() -> None:
    from conftest import make_acme

    root = CACHE / "nl_acme"
    catalog = root / "catalogs" / "acme.yaml"
    if not (root / "built").exists():
        make_acme(root, scale=0.05)
        with hybridq.connect(catalog) as hq:
            hq.refresh()
        (root / "built").write_text("ok")
    questions = yaml.safe_load((ROOT / "tests" / "nl" / "questions_acme.yaml").read_text())
    with hybridq.connect(catalog) as hq:
        question_to_sql(hq, "warm up: how many customers")  # builds the lexicon once
        ask_ms, gold_ms, refused = [], [], 0
        for _ in range(3):
            for q in questions:
                t0 = time.perf_counter()
                _, answer = question_to_sql(hq, q["question"])
                ask_ms.append((time.perf_counter() - t0) * 1000)
                refused += answer.refused
                if q.get("sql"):
                    t0 = time.perf_counter()
                    sqlglot.parse_one(q["sql"], dialect="duckdb")
                    gold_ms.append((time.perf_counter() - t0) * 1000)
    p50, p95 = statistics.median(ask_ms), percentile(ask_ms, 95)
    base = statistics.median(gold_ms)
    lines = [
        f"Command: `{command_line()}`", "",
        f"Measured {today()} on {machine()}; load average {load_average()}.", "",
        f"- question to SQL over {len(questions)} acme questions x 3: p50 **{p50:.1f} ms** (target <= 50), "
        f"p95 {p95:.1f} ms, max {max(ask_ms):.1f} ms",
        f"- baseline, sqlglot parsing the gold SQL of the same questions: p50 {base:.2f} ms; ratio {p50 / base:.1f}x",
    ]
    print("\n".join(lines))
    write_section("Natural language to SQL", "\n".join(lines))


if __name__ == "__main__":
    main()
