"""Scoring generated SQL against gold SQL: run both, compare result sets.

An answer is correct when its result matches the gold result (the identifying column's values for
listings, {group: value} for grouped aggregates, the value for a scalar); wrong when it differs;
refused when the question was not answered. A question marked `expect: refuse` is correct only
when refused, and wrong when answered.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from hybridq.errors import HybridqError


@dataclass
class Outcome:
    id: str
    question: str
    verdict: str  # correct | wrong | refused
    detail: str = ""
    sql: str | None = None


def load_questions(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text())


def _norm(value):
    if isinstance(value, float):
        return round(value, 6)
    if hasattr(value, "is_finite"):  # Decimal
        return round(float(value), 6)
    return value


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    try:
        fa, fb = float(a), float(b)
    except (TypeError, ValueError):
        return a == b
    return math.isclose(fa, fb, rel_tol=1e-6, abs_tol=1e-9)


def _column(result, name: str | None):
    columns = result.columns
    if name and name in columns:
        return [r[columns.index(name)] for r in result.rows]
    return None


def same_answer(entry: dict, gold, got) -> tuple[bool, str]:
    key, value = entry.get("key_column"), entry.get("value_column")
    if value and key:
        want = {g[gold.columns.index(key)]: g[gold.columns.index(value)] for g in gold.rows}
        keys = _column(got, key)
        if keys is None:
            return False, f"no column {key} in the answer ({got.columns})"
        numeric = [i for i, c in enumerate(got.columns) if c != key and all(
            isinstance(r[i], (int, float)) or hasattr(r[i], "is_finite") or r[i] is None for r in got.rows)]
        if not numeric:
            return False, "no numeric column in the answer"
        have = {r[got.columns.index(key)]: r[numeric[-1]] for r in got.rows}
        if set(have) != set(want):
            return False, f"groups differ: {sorted(map(str, set(have) ^ set(want)))[:5]}"
        bad = [k for k in want if not _close(want[k], have[k])]
        return (not bad), (f"values differ for {bad[:3]}" if bad else "")
    if key:
        want = _column(gold, key)
        have = _column(got, key)
        if have is None:
            have = [r[0] for r in got.rows]
        if entry.get("order_matters"):
            return [_norm(v) for v in have] == [_norm(v) for v in want], f"order/values differ: {have[:5]} vs {want[:5]}"
        return Counter(map(_norm, have)) == Counter(map(_norm, want)), \
            f"{len(have)} rows vs {len(want)} expected; e.g. extra {list(set(have) - set(want))[:3]}, " \
            f"missing {list(set(want) - set(have))[:3]}"
    if len(gold.rows) == 1 and len(gold.columns) == 1:
        if len(got.rows) != 1:
            return False, f"{len(got.rows)} rows for a single value"
        wanted = gold.rows[0][0]
        return any(_close(wanted, v) for v in got.rows[0]), f"{got.rows[0]} vs {wanted}"
    gold_rows = Counter(tuple(map(_norm, r)) for r in gold.rows)
    got_rows = Counter(tuple(map(_norm, r)) for r in got.rows)
    return gold_rows == got_rows, "rows differ"


def evaluate(session, entries: list[dict]) -> list[Outcome]:
    out = []
    for entry in entries:
        qid, question = entry["id"], entry["question"]
        try:
            answer = session.ask(question, llm=False)
        except HybridqError as exc:
            out.append(Outcome(qid, question, "wrong", f"error: {exc.message}"))
            continue
        if entry.get("expect") == "refuse":
            verdict = "correct" if answer.refused else "wrong"
            out.append(Outcome(qid, question, verdict, answer.reason or "answered", answer.sql))
            continue
        if answer.refused:
            out.append(Outcome(qid, question, "refused", answer.reason or ""))
            continue
        gold = session.sql(entry["sql"])
        ok, detail = same_answer(entry, gold, answer.result)
        out.append(Outcome(qid, question, "correct" if ok else "wrong", "" if ok else detail, answer.sql))
    return out


def summary(outcomes: list[Outcome]) -> dict[str, float]:
    n = len(outcomes)
    counts = Counter(o.verdict for o in outcomes)
    return {k: counts.get(k, 0) / n for k in ("correct", "wrong", "refused")}
