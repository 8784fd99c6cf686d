"""Scoring answers to questions against gold SQL: each answer is right, wrong, refused or clarified.

Verdicts
    clarified  the answer lists several readings (`answer.options`) instead of answering;
    refused    the answer declines (`answer.refused`);
    right      the answer's rows match the gold's (rules below);
    wrong      anything else: rows that differ, an answer without a result, `ask()` raising, or a
               refusal whose composed SQL fails to run (a failed composition is not an honest refusal).
    Questions that must be refused (`expect: refuse`): refused or clarified is right, answered is wrong.
    Ambiguous questions (`ambiguous: true`): matching the gold or any of its `alternatives` is right
    (an alternative whose value column has another name: its only column besides the key).

How rows are compared (values: see compare.py; numbers within a relative 1e-6)
    keyed    (question sets with `key_column`): only the asked columns count. The key column is
             found in the answer by its name (or the catalog column it projects), the value column by
             its name, else as the answer's only other column, its only aggregate column or its only
             numeric column (besides the key); never the first column by default. Rows compare as a multiset of
             (key[, value]), or as a sequence when `order_matters`.
    scalar   (one gold value and no key): the answer has one row, and the value is in the column of
             the gold's name, its only column, its only aggregate column or its only numeric column.
    columns  (defog, and keyless gold with several values): the answer has as many rows as the gold,
             and every gold column is held by a distinct answer column, rows aligned. Extra answer
             columns are allowed (defog's own convention). Rows count in order when the gold's
             outermost query has ORDER BY.
    Ordered comparisons accept any order among rows the gold's ORDER BY ties, and a row cut by the
    gold's LIMIT in place of a kept row it ties with.

Splits
    `split_of` puts a question in `tuning` or `heldout` by the low bit of the SHA-256 of its identity
    (defog: database and question; other sets: id). Held-out questions are for reporting only.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import sqlglot
import yaml
from sqlglot import exp

from compare import (NUMBER, Expected, column_kind, compare_rows, harmonize, match_columns, multiset_minus,
                     read_as, rows_equal, same_multiset, values_equal)

RIGHT, WRONG, REFUSED, CLARIFIED = "right", "wrong", "refused", "clarified"
VERDICTS = (RIGHT, WRONG, REFUSED, CLARIFIED)
INVALID = "invalid"  # the entry itself is broken (gold fails to run): counted apart, never scored
TUNING, HELDOUT, UNSPLIT = "tuning", "heldout", "-"

ORDER_KEY = "_order_key_{}"


class EntryError(ValueError):
    """A question entry the scorer cannot use (its gold fails to run, or lacks the asked column)."""


@dataclass
class Entry:
    set: str
    id: str
    question: str
    golds: list[str]                    # gold SQL; matching any one is right; empty when it must be refused
    split: str = UNSPLIT
    compare: str = "keyed"              # keyed | columns
    order_matters: bool | None = None   # None: ordered when the gold's outermost query has ORDER BY
    key_column: str | None = None
    value_column: str | None = None
    expect_refusal: bool = False
    ambiguous: bool = False
    reason: str = ""
    db: str | None = None


@dataclass
class Reply:
    """What the scorer reads from an answer, whether it came from `ask()` or from the CLI's JSON."""

    sql: str | None = None
    columns: list[str] | None = None
    rows: list[tuple] | None = None
    refused: bool = False
    reason: str = ""
    options: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Outcome:
    set: str
    id: str
    question: str
    split: str
    verdict: str
    why: str = ""
    sql: str | None = None
    gold: str | None = None
    latency_ms: float | None = None
    db: str | None = None


def reply_from_answer(answer) -> Reply:
    options = getattr(answer, "options", None) or []
    result = getattr(answer, "result", None)
    return Reply(
        sql=getattr(answer, "sql", None),
        columns=list(result.columns) if result is not None else None,
        rows=list(result.rows) if result is not None else None,
        refused=bool(getattr(answer, "refused", False)),
        reason=getattr(answer, "reason", None) or "",
        options=[describe_option(o) for o in options],
    )


def describe_option(option) -> str:
    """One reading of a clarification, in words (its description, else its SQL)."""
    if isinstance(option, dict):
        return str(option.get("description") or option.get("sql") or option)
    return str(getattr(option, "description", None) or getattr(option, "sql", None) or option)


# -- splits ------------------------------------------------------------------------------------


def split_of(*identity: str) -> str:
    """`tuning` or `heldout`, fixed by the low bit of the SHA-256 of the question's identity."""
    digest = hashlib.sha256("\x1f".join(identity).encode("utf-8")).digest()
    return HELDOUT if digest[-1] & 1 else TUNING


# -- question sets -----------------------------------------------------------------------------


def load_questions(path: Path, set_name: str | None = None, split: bool = False) -> list[Entry]:
    """A YAML question set (tests/nl/questions_*.yaml format); `split` assigns tuning/held-out by id."""
    path = Path(path)
    name = set_name or path.stem.removeprefix("questions_")
    entries = []
    for raw in yaml.safe_load(path.read_text(encoding="utf-8")):
        refuse = raw.get("expect") == "refuse"
        golds = [] if refuse else [raw["sql"], *(raw.get("alternatives") or [])]
        entries.append(Entry(
            set=name, id=str(raw["id"]), question=raw["question"], golds=golds,
            split=split_of(str(raw["id"])) if split else UNSPLIT,
            order_matters=bool(raw.get("order_matters", False)),
            key_column=raw.get("key_column"), value_column=raw.get("value_column"),
            expect_refusal=refuse, ambiguous=bool(raw.get("ambiguous", False)),
            reason=raw.get("reason") or "", db=raw.get("db")))
    return entries


# -- gold results ------------------------------------------------------------------------------

Run = Callable[[str], tuple[list[str], list[tuple]]]


@dataclass
class OrderProbes:
    keyed: str            # the gold with its ORDER BY keys appended as the last columns
    unlimited: str | None  # the same without LIMIT (None when the gold has no LIMIT, or an OFFSET)
    n_keys: int


def order_probes(sql: str, dialect: str = "duckdb") -> OrderProbes | None:
    """Queries revealing the gold's ORDER BY keys and the rows its LIMIT cut; None without ORDER BY."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except sqlglot.errors.ParseError:
        return None
    if not isinstance(tree, exp.Select) or not tree.args.get("order"):
        return None
    projections = tree.expressions
    by_alias = {p.alias.lower(): p.this for p in projections if isinstance(p, exp.Alias)}
    keyed = tree.copy()
    for i, ordered in enumerate(tree.args["order"].expressions):
        key = ordered.this
        if isinstance(key, exp.Literal) and key.is_int and 1 <= int(key.this) <= len(projections):
            key = projections[int(key.this) - 1].unalias()
        elif isinstance(key, exp.Column) and not key.table and key.name.lower() in by_alias:
            key = by_alias[key.name.lower()]
        keyed.select(exp.alias_(key.copy(), ORDER_KEY.format(i)), copy=False)
    unlimited = None
    if tree.args.get("limit") and not tree.args.get("offset"):
        unlimited = keyed.copy()
        unlimited.set("limit", None)
        unlimited = unlimited.sql(dialect=dialect)
    return OrderProbes(keyed.sql(dialect=dialect), unlimited, len(tree.args["order"].expressions))


def has_outer_order(sql: str, dialect: str = "duckdb") -> bool:
    """Whether the outermost query orders its rows."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except sqlglot.errors.ParseError:
        return False
    return isinstance(tree, exp.Query) and bool(tree.args.get("order"))


def expected_result(sql: str, run: Run, dialect: str = "duckdb") -> Expected:
    """The gold's rows, with its ORDER BY keys and the tied rows its LIMIT cut (compare.Expected)."""
    probes = order_probes(sql, dialect)
    if probes is not None:
        try:
            columns, rows = run(probes.keyed)
        except Exception:  # noqa: BLE001 - the probe is a refinement; the plain gold decides below
            probes = None
    if probes is None:
        columns, rows = run(sql)
        return Expected(list(columns), [tuple(r) for r in rows])
    n = probes.n_keys
    keys = [tuple(r[-n:]) for r in rows]
    kept = [tuple(r[:-n]) for r in rows]
    spare: list[tuple] = []
    if probes.unlimited and kept:
        try:
            _, every = run(probes.unlimited)
        except Exception:  # noqa: BLE001 - without it, no row cut by LIMIT may stand in for a kept one
            every = []
        tied = [tuple(r[:-n]) for r in every if rows_equal(tuple(r[-n:]), keys[-1])]
        kept_tied = [r for r, k in zip(kept, keys) if rows_equal(k, keys[-1])]
        spare = multiset_minus(tied, kept_tied) or []
    return Expected(list(columns[:-n]), kept, keys, spare)


class GoldBook:
    """Gold results computed once per (database, SQL)."""

    def __init__(self, run: Callable[[str | None, str], tuple[list[str], list[tuple]]]):
        self._run = run
        self._cache: dict[tuple[str | None, str], Expected] = {}

    def expected(self, db: str | None, sql: str) -> Expected:
        key = (db, sql)
        if key not in self._cache:
            try:
                self._cache[key] = expected_result(sql, lambda q: self._run(db, q))
            except Exception as exc:  # noqa: BLE001 - any failure of a gold makes its entry unusable
                raise EntryError(f"gold SQL fails to run: {exc}") from exc
        return self._cache[key]


# -- answer columns ----------------------------------------------------------------------------


@dataclass
class Projection:
    source: str | None  # the catalog column it projects unchanged, if any
    aggregate: bool


def answer_projections(sql: str | None, n_columns: int) -> list[Projection] | None:
    """What each output column of the answer's SQL is, when its outermost SELECT lists them."""
    if not sql:
        return None
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return None
    if not isinstance(tree, exp.Select) or len(tree.expressions) != n_columns:
        return None
    out = []
    for p in tree.expressions:
        inner = p.unalias()
        if isinstance(inner, exp.Star) or (isinstance(inner, exp.Column) and isinstance(inner.this, exp.Star)):
            return None
        source = inner.name if isinstance(inner, exp.Column) else None
        out.append(Projection(source, inner.find(exp.AggFunc) is not None))
    return out


def _named(name: str, columns: list[str], projections: list[Projection] | None) -> int | None:
    lowered = [c.lower() for c in columns]
    if name.lower() in lowered:
        return lowered.index(name.lower())
    sources = [i for i, p in enumerate(projections or []) if p.source and p.source.lower() == name.lower()]
    return sources[0] if len(sources) == 1 else None


def value_column(name: str, reply: Reply, projections: list[Projection] | None,
                 exclude: set[int]) -> tuple[int | None, str]:
    """The answer column holding the asked value (see the module doc), or None and why not."""
    found = _named(name, reply.columns, projections)
    if found is not None and found not in exclude:
        return found, ""
    remaining = [i for i in range(len(reply.columns)) if i not in exclude]
    if len(remaining) == 1:
        return remaining[0], ""
    aggregates = [i for i in remaining if projections and projections[i].aggregate]
    if len(aggregates) == 1:
        return aggregates[0], ""
    if len(aggregates) > 1:
        return None, f"cannot tell which of the aggregate columns {[reply.columns[i] for i in aggregates]} " \
                     f"holds {name}"
    numeric = [i for i in remaining if column_kind(harmonize(reply.rows, i, NUMBER)) == NUMBER]
    if len(numeric) == 1:
        return numeric[0], ""
    return None, f"cannot tell which answer column holds {name} (columns {reply.columns})"


def gold_columns(entry: Entry, expected: Expected) -> list[int]:
    """Indexes of the asked columns in a gold result: the key, then the value. An alternative reading
    of an ambiguous question may name its value otherwise: then its only column besides the key."""
    lowered = [c.lower() for c in expected.columns]
    if entry.key_column.lower() not in lowered:
        raise EntryError(f"{entry.id}: the gold has no column {entry.key_column} (it has {expected.columns})")
    key = lowered.index(entry.key_column.lower())
    if not entry.value_column:
        return [key]
    if entry.value_column.lower() in lowered:
        return [key, lowered.index(entry.value_column.lower())]
    others = [i for i in range(len(lowered)) if i != key]
    if len(others) != 1:
        raise EntryError(f"{entry.id}: the gold has no column {entry.value_column} (it has {expected.columns})")
    return [key, others[0]]


# -- comparing one answer with one gold --------------------------------------------------------


def compare_answer(entry: Entry, gold_sql: str, expected: Expected, reply: Reply) -> tuple[bool, str]:
    ordered = entry.order_matters if entry.order_matters is not None else has_outer_order(gold_sql)
    if entry.compare == "columns":
        return match_columns(expected, reply.columns, reply.rows, ordered)
    if entry.key_column:
        return _compare_keyed(entry, gold_sql, expected, reply, ordered)
    if len(expected.columns) == 1 and len(expected.rows) == 1:
        return _compare_scalar(expected, reply, gold_sql)
    return match_columns(expected, reply.columns, reply.rows, ordered)


def _compare_keyed(entry: Entry, gold_sql: str, expected: Expected, reply: Reply,
                   ordered: bool) -> tuple[bool, str]:
    projections = answer_projections(reply.sql, len(reply.columns))
    gold_indexes = gold_columns(entry, expected)
    key = _named(entry.key_column, reply.columns, projections)
    gold_projections = answer_projections(gold_sql, len(expected.columns))
    if key is None and gold_projections and gold_projections[gold_indexes[0]].source is None:
        key = _key_by_values(expected, gold_indexes[0], reply)
    if key is None:
        return False, f"the answer has no column {entry.key_column} (it has {reply.columns})"
    answer_indexes = [key]
    if len(gold_indexes) == 2:
        value, why = value_column(expected.columns[gold_indexes[1]], reply, projections, exclude={key})
        if value is None:
            return False, why
        answer_indexes.append(value)
    wanted = expected.project(gold_indexes)
    kinds = [column_kind([r[i] for r in wanted.rows]) for i in range(len(gold_indexes))]
    got = [tuple(read_as(row[a], k) for a, k in zip(answer_indexes, kinds)) for row in reply.rows]
    return compare_rows(wanted, got, ordered)


def _key_by_values(expected: Expected, gold_key: int, reply: Reply) -> int | None:
    """A computed key ('date_trunc(...) AS month') may be named otherwise in an answer ('signup_month'):
    the one answer column holding exactly the gold key's values, or None."""
    want = [(r[gold_key],) for r in expected.rows]
    kind = column_kind([w[0] for w in want])
    found = [i for i in range(len(reply.columns))
             if same_multiset([(read_as(r[i], kind),) for r in reply.rows], want)]
    return found[0] if len(found) == 1 else None


def _extreme_of(gold_sql: str) -> str | None:
    """The column a one-value gold takes the smallest or largest of ('SELECT min(cost) ...'): an answer
    giving the row with that smallest or largest value holds it in that column."""
    try:
        tree = sqlglot.parse_one(gold_sql, read="postgres")
    except sqlglot.errors.ParseError:
        return None
    if not isinstance(tree, exp.Select) or len(tree.expressions) != 1:
        return None
    inner = tree.expressions[0].unalias()
    if isinstance(inner, (exp.Min, exp.Max)) and isinstance(inner.this, exp.Column):
        return inner.this.name
    return None


def _compare_scalar(expected: Expected, reply: Reply, gold_sql: str = "") -> tuple[bool, str]:
    if len(reply.rows) != 1:
        return False, f"{len(reply.rows)} rows for a single value"
    projections = answer_projections(reply.sql, len(reply.columns))
    index, why = value_column(expected.columns[0], reply, projections, exclude=set())
    extreme = _extreme_of(gold_sql) if index is None else None
    if extreme is not None:
        index = _named(extreme, reply.columns, projections)
    if index is None:
        return False, why
    want = expected.rows[0][0]
    got = read_as(reply.rows[0][index], column_kind([want]))
    return values_equal(got, want), f"{reply.columns[index]} = {got!r}, expected {want!r}"


def judge(entry: Entry, reply: Reply, gold: Callable[[str], Expected],
          rerun: Callable[[str], object] | None = None) -> tuple[str, str]:
    """(verdict, why) of one answer; `gold(sql)` gives a gold result, `rerun(sql)` runs the answer's SQL."""
    if reply.error is not None:
        return WRONG, f"ask failed: {reply.error}"
    if reply.options:
        if entry.expect_refusal:
            return RIGHT, f"clarified ({len(reply.options)} readings) a question that must be refused"
        return CLARIFIED, f"{len(reply.options)} readings: " + " | ".join(reply.options)
    if reply.refused:
        if entry.expect_refusal:
            return RIGHT, reply.reason
        if reply.sql and rerun is not None:
            try:
                rerun(reply.sql)
            except Exception as exc:  # noqa: BLE001 - any failure of the composed SQL
                return WRONG, f"composed SQL fails to run: {exc}"
        return REFUSED, reply.reason
    if entry.expect_refusal:
        return WRONG, "answered a question that must be refused" + (f" ({entry.reason})" if entry.reason else "")
    if reply.rows is None or reply.columns is None:
        return WRONG, "answered without a result"
    first_why = ""
    for sql in entry.golds:
        ok, why = compare_answer(entry, sql, gold(sql), reply)
        if ok:
            return RIGHT, ""
        first_why = first_why or why
    return WRONG, first_why


def score(entries: list[Entry], ask: Callable[[str], Reply], golds: GoldBook,
          rerun: Callable[[str], object] | None = None,
          on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Ask every question, time it, and judge the answer."""
    outcomes = []
    for entry in entries:
        t0 = time.perf_counter()
        reply = ask(entry.question)
        latency = (time.perf_counter() - t0) * 1000.0
        try:
            verdict, why = judge(entry, reply, lambda sql: golds.expected(entry.db, sql), rerun)
        except EntryError as exc:
            verdict, why = INVALID, str(exc)
        outcome = Outcome(entry.set, entry.id, entry.question, entry.split, verdict, why, reply.sql,
                          entry.golds[0] if entry.golds else None, latency, entry.db)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return outcomes


def session_asker(session) -> Callable[[str], Reply]:
    """`ask` for `score`: the session's own parser (no language model), errors kept as replies."""

    def ask(question: str) -> Reply:
        try:
            return reply_from_answer(session.ask(question, llm=False))
        except Exception as exc:  # noqa: BLE001 - an exception is a wrong answer, not a crash of the run
            return Reply(error=f"{type(exc).__name__}: {exc}")

    return ask


def hybridq_command() -> list[str]:
    script = Path(sys.executable).parent / "hybridq"
    return [str(script)] if script.exists() else [sys.executable, "-m", "hybridq.cli"]


def reply_from_cli(proc: subprocess.CompletedProcess) -> Reply:
    """A Reply from `hybridq ask --format json`: the answer's JSON, or a refusal (exit 2, words on stderr)."""
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        data = None
    if isinstance(data, dict):
        rows = data.get("rows")
        return Reply(sql=data.get("sql"), columns=data.get("columns"),
                     rows=[tuple(r) for r in rows] if rows is not None else None,
                     refused=bool(data.get("refused")), reason=data.get("reason") or "",
                     options=[describe_option(o) for o in data.get("options") or []])
    if proc.returncode == 2:
        return Reply(refused=True, reason=" ".join(proc.stderr.split()))
    return Reply(error=f"hybridq ask exited with {proc.returncode}: {proc.stderr.strip()[-400:]}")


def cli_asker(catalog: Path) -> Callable[[str], Reply]:
    """`ask` for `score` through the public command: one `hybridq ask --format json` process per question."""

    def ask(question: str) -> Reply:
        proc = subprocess.run([*hybridq_command(), "ask", str(catalog), question, "--format", "json", "--no-llm"],
                              capture_output=True, text=True, timeout=600)
        return reply_from_cli(proc)

    return ask


WARM_UP = "warm up"


def score_on_sessions(entries: list[Entry], sessions: dict, golds: GoldBook,
                      on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Score entries on the session of their database (`sessions[entry.db]`), each session first asked
    one warm-up question, so that latencies are those of a store in use."""
    outcomes = []
    for db, session in sessions.items():
        mine = [e for e in entries if e.db == db]
        if mine:
            session.ask(WARM_UP, llm=False)
            outcomes += score(mine, session_asker(session), golds, rerun=session.sql, on_outcome=on_outcome)
    return outcomes


def session_golds(session) -> GoldBook:
    """Gold run through the session's own SQL (semantic functions included)."""

    def run(_db, sql):
        result = session.sql(sql)
        return result.columns, result.rows

    return GoldBook(run)


def evaluate(session, entries: list[Entry]) -> list[Outcome]:
    """Score `entries` on one session: gold and answers run on the same store."""
    return score(entries, session_asker(session), session_golds(session), rerun=session.sql)


def summary(outcomes: list[Outcome]) -> dict[str, float | int]:
    """Fractions of each verdict among the scored outcomes, with `n` and `invalid` counts."""
    scored = [o for o in outcomes if o.verdict != INVALID]
    counts = Counter(o.verdict for o in scored)
    n = len(scored)
    figures: dict[str, float | int] = {v: (counts.get(v, 0) / n if n else 0.0) for v in VERDICTS}
    figures["n"] = n
    figures["invalid"] = len(outcomes) - n
    return figures


def summary_line(name: str, outcomes: list[Outcome]) -> str:
    """`name: N questions: right x%, wrong y%, refused z%, clarified w%`."""
    figures = summary(outcomes)
    return f"{name}: {figures['n']} questions: " + ", ".join(f"{v} {figures[v]:.1%}" for v in VERDICTS)
