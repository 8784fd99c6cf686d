"""Comparing an answer's rows with gold rows: values, rows, columns. Pure functions, no store.

Values
    Numbers (int, float, Decimal) compare as numbers with a relative tolerance of 1e-6. Dates and
    timestamps compare as points in time: a date equals the timestamp of its midnight, and aware
    timestamps are compared in UTC. Times of day compare as such; intervals by their length. Text compares as text, except
    that text standing for a number, a date or a timestamp (what JSON output makes of Decimal and
    dates) is read as one when the gold column holds numbers or dates. NULL equals only NULL.

Rows
    A gold result is its rows plus, when its outermost query has ORDER BY, the order key of each row
    and the rows cut by its LIMIT that tie with the last row kept (`Expected`). Rows whose order keys
    are equal may come in any order, and a row cut by LIMIT may stand in for a kept row it ties with:
    both are choices the gold SQL leaves to the engine, so an answer making another choice is right.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import product
from typing import Callable, Sequence

REL_TOL = 1e-6
ABS_TOL = 1e-9
MAX_ASSIGNMENTS = 5000  # column assignments tried when several answer columns hold the same values


@dataclass
class Expected:
    """A gold result: rows, the ORDER BY key of each row (None without ORDER BY), and the rows that
    LIMIT cut although they tie with the last row kept (`spare`)."""

    columns: list[str]
    rows: list[tuple]
    order_keys: list[tuple] | None = None
    spare: list[tuple] = field(default_factory=list)

    def project(self, indexes: Sequence[int]) -> "Expected":
        pick = _picker(indexes)
        return Expected([self.columns[i] for i in indexes], [pick(r) for r in self.rows], self.order_keys,
                        [pick(r) for r in self.spare])


def _picker(indexes: Sequence[int]) -> Callable[[tuple], tuple]:
    return lambda row: tuple(row[i] for i in indexes)


# -- values ------------------------------------------------------------------------------------

NUMBER, TIME, CLOCK, INTERVAL, TEXT, BOOL, OTHER = "number", "time", "clock", "interval", "text", "bool", "other"


def kind(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float, Decimal)):
        return NUMBER
    if isinstance(value, (dt.date, dt.datetime)):
        return TIME
    if isinstance(value, dt.time):
        return CLOCK
    if isinstance(value, dt.timedelta):
        return INTERVAL
    if isinstance(value, str):
        return TEXT
    return OTHER


def column_kind(values) -> str | None:
    """The kind of a column: that of its first non-NULL value."""
    return next((kind(v) for v in values if v is not None), None)


def _as_instant(value: dt.date) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def read_as(value, wanted: str | None):
    """`value` read as the kind `wanted` when it is text standing for one (JSON output); else as is."""
    if not isinstance(value, str) or wanted in (None, TEXT, OTHER):
        return value
    text = value.strip()
    try:
        if wanted == NUMBER:
            return Decimal(text) if text.lower() not in ("nan", "inf", "-inf", "infinity") else float(text)
        if wanted == TIME:
            return dt.datetime.fromisoformat(text)
        if wanted == CLOCK:
            return dt.time.fromisoformat(text)
        if wanted == BOOL and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if wanted == INTERVAL:
            return _parse_interval(text)
    except (ValueError, ArithmeticError):
        pass
    return value


def _parse_interval(text: str) -> dt.timedelta:
    """`str(timedelta)`: '1 day, 2:03:04.5' or '-1 days, 23:00:00' or '2:03:04'."""
    days = 0
    if "day" in text:
        head, _, text = text.partition(",")
        days = int(head.split()[0])
        text = text.strip()
    hours, minutes, seconds = text.split(":")
    return dt.timedelta(days=days, hours=int(hours), minutes=int(minutes), seconds=float(seconds))


def values_equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    ka, kb = kind(a), kind(b)
    if ka != kb:
        return False
    if ka == NUMBER:
        fa, fb = float(a), float(b)
        if math.isnan(fa) or math.isnan(fb):
            return math.isnan(fa) and math.isnan(fb)
        return math.isclose(fa, fb, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if ka == TIME:
        return _as_instant(a) == _as_instant(b)
    if ka == INTERVAL:
        return math.isclose(a.total_seconds(), b.total_seconds(), rel_tol=REL_TOL, abs_tol=1e-6)
    return a == b


def rows_equal(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))


_RANK = {None: 0, BOOL: 1, NUMBER: 2, TIME: 3, CLOCK: 4, INTERVAL: 5, TEXT: 6, OTHER: 7}


def sort_key(value):
    """A total order consistent with `values_equal` up to the tolerance (numbers rounded for sorting)."""
    k = kind(value)
    if k == NUMBER:
        f = float(value)
        return (_RANK[k], 0.0 if math.isnan(f) else float(f"{f:.9g}"), math.isnan(f))
    if k == TIME:
        return (_RANK[k], _as_instant(value))
    if k == INTERVAL:
        return (_RANK[k], value.total_seconds())
    if k in (TEXT, BOOL, CLOCK):
        return (_RANK[k], value)
    if k is None:
        return (0,)
    return (_RANK[k], repr(value))


def _row_key(row: tuple) -> tuple:
    return tuple(sort_key(v) for v in row)


def _cmp(a: tuple, b: tuple) -> int:
    if rows_equal(a, b):
        return 0
    ka, kb = _row_key(a), _row_key(b)
    return -1 if ka < kb else 1


def differences(a: list[tuple], b: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """(rows of `a` not in `b`, rows of `b` not in `a`), with multiplicity, by one merge of the sorted lists."""
    a_sorted, b_sorted = sorted(a, key=_row_key), sorted(b, key=_row_key)
    only_a, only_b, i, j = [], [], 0, 0
    while i < len(a_sorted) and j < len(b_sorted):
        c = _cmp(a_sorted[i], b_sorted[j])
        if c == 0:
            i, j = i + 1, j + 1
        elif c < 0:
            only_a.append(a_sorted[i])
            i += 1
        else:
            only_b.append(b_sorted[j])
            j += 1
    return only_a + a_sorted[i:], only_b + b_sorted[j:]


def multiset_minus(big: list[tuple], small: list[tuple]) -> list[tuple] | None:
    """`big` without the rows of `small` (with multiplicity), or None when `small` is not inside `big`."""
    rest, missing = differences(big, small)
    return None if missing else rest


def same_multiset(a: list[tuple], b: list[tuple]) -> bool:
    return len(a) == len(b) and multiset_minus(b, a) == []


# -- rows --------------------------------------------------------------------------------------


def _runs(expected: Expected, ordered: bool) -> list[tuple[int, int]]:
    """[start, end) slices of gold rows that must appear together: one slice when order does not
    matter; with ORDER BY, one per run of equal order keys; without keys, one per row."""
    n = len(expected.rows)
    if not ordered:
        return [(0, n)] if n else []
    if expected.order_keys is None:
        return [(i, i + 1) for i in range(n)]
    runs, start = [], 0
    for i in range(1, n + 1):
        if i == n or not rows_equal(expected.order_keys[i], expected.order_keys[start]):
            runs.append((start, i))
            start = i
    return runs


def _last_tie_start(expected: Expected) -> int:
    """Index of the first gold row tying with the last one (the rows `spare` may replace)."""
    keys, n = expected.order_keys, len(expected.rows)
    start = n - 1
    while start > 0 and rows_equal(keys[start - 1], keys[n - 1]):
        start -= 1
    return start


def _show(rows, limit: int = 3) -> str:
    shown = ", ".join(_short(r) for r in rows[:limit])
    return shown + (f", ... ({len(rows)} in all)" if len(rows) > limit else "")


def _short(row) -> str:
    text = repr(row[0] if isinstance(row, tuple) and len(row) == 1 else row)
    return text if len(text) <= 80 else text[:77] + "..."


def compare_rows(expected: Expected, got: list[tuple], ordered: bool) -> tuple[bool, str]:
    """Whether `got` holds the gold rows (as a multiset, or in gold order when `ordered`); the reason
    when not. Ties in the gold's ORDER BY and rows cut by its LIMIT are honoured (module doc)."""
    want = expected.rows
    if len(got) != len(want):
        return False, f"{len(got)} rows, expected {len(want)}"
    if not want:
        return True, ""
    tie_start = _last_tie_start(expected) if expected.spare and expected.order_keys else len(want)
    if not ordered:
        rest = multiset_minus(got, want[:tie_start])
        if rest is None or multiset_minus(want[tie_start:] + expected.spare, rest) is None:
            return False, _difference(got, want)
        return True, ""
    for start, end in _runs(expected, ordered=True):
        part, run = got[start:end], want[start:end]
        pool = run + expected.spare if end == len(want) and start >= tie_start else run
        if multiset_minus(pool, part) is None:
            return False, _order_difference(got, want, start, end)
    return True, ""


def _difference(got: list[tuple], want: list[tuple]) -> str:
    extra, missing = differences(got, want)
    parts = []
    if missing:
        parts.append(f"missing {_show(missing)}")
    if extra:
        parts.append(f"unexpected {_show(extra)}")
    return "; ".join(parts) or "rows tied in the gold's order replaced by others"


def _order_difference(got, want, start, end) -> str:
    if same_multiset(got, want):
        return f"same rows in another order: at row {start + 1} got {_show(got[start:end])}, " \
               f"expected {_show(want[start:end])}"
    return _difference(got, want)


# -- columns -----------------------------------------------------------------------------------


def harmonize(got_rows: list[tuple], got_index: int, kind_wanted: str | None) -> list:
    return [read_as(r[got_index], kind_wanted) for r in got_rows]


def match_columns(expected: Expected, got_columns: list[str], got_rows: list[tuple],
                  ordered: bool) -> tuple[bool, str]:
    """Every gold column must be held by a distinct answer column, with the rows aligned: the answer's
    columns, taken in that assignment, give the gold rows (in order when `ordered`). Extra answer
    columns are allowed; answer column names do not matter."""
    if len(got_rows) != len(expected.rows):
        return False, f"{len(got_rows)} rows, expected {len(expected.rows)}"
    if not expected.rows:
        return True, ""
    # an answer column is read as the kind of the gold column it faces (JSON output gives text)
    kinds = [column_kind([r[i] for r in expected.rows]) for i in range(len(expected.columns))]
    candidates: list[list[int]] = []
    for g, gold_name in enumerate(expected.columns):
        single = expected.project([g])
        found = [a for a in range(len(got_columns))
                 if compare_rows(single, [(v,) for v in harmonize(got_rows, a, kinds[g])], ordered=False)[0]]
        if not found:
            sample = _show([(r[g],) for r in expected.rows])
            return False, f"no answer column holds the values of gold column {gold_name} ({sample})"
        candidates.append(found)
    reason = ""
    for tried, assignment in enumerate(a for a in product(*candidates) if len(set(a)) == len(a)):
        if tried >= MAX_ASSIGNMENTS:
            break
        got = [tuple(read_as(row[a], kinds[g]) for g, a in enumerate(assignment)) for row in got_rows]
        ok, why = compare_rows(expected, got, ordered)
        if ok:
            return True, ""
        reason = reason or why
    if not reason:
        return False, "two gold columns are held only by the same answer column"
    return False, f"columns hold the gold values but the rows differ: {reason}"
