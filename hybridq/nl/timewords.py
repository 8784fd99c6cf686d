"""Time windows in questions, relative to a configurable today.

"last quarter" is the previous full calendar quarter, "this quarter" the current one so far,
"past 30 days" the 30 days up to today, "in 2024" that calendar year, "in March" March of the
current year (or of the previous one when March is still to come), "since March" from the first
of the latest March, "before 2025" everything earlier, "from 1995" the year 1995 and "from 1995 to
1997" the three years.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS.pop("may", None)
MONTHS["may"] = 5
UNITS = {"day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month",
         "quarter": "quarter", "quarters": "quarter", "year": "year", "years": "year"}
ORDINAL_QUARTERS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "q1": 1, "q2": 2, "q3": 3, "q4": 4}
HALVES = {"first": 1, "second": 2, "h1": 1, "h2": 2}


@dataclass(frozen=True)
class Window:
    start: dt.date | None
    end: dt.date | None  # exclusive
    first: int  # token positions covered, end exclusive
    last: int


def add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    return dt.date(d.year + y, m + 1, 1)


def period(unit: str, today: dt.date, offset: int) -> tuple[dt.date, dt.date]:
    """The calendar period `offset` units from the one holding today (0 = current, -1 = previous)."""
    if unit == "day":
        start = today + dt.timedelta(days=offset)
        return start, start + dt.timedelta(days=1)
    if unit == "week":
        start = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=offset)
        return start, start + dt.timedelta(weeks=1)
    if unit == "month":
        start = add_months(today.replace(day=1), offset)
        return start, add_months(start, 1)
    if unit == "quarter":
        first = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        start = add_months(first, 3 * offset)
        return start, add_months(start, 3)
    start = dt.date(today.year + offset, 1, 1)
    return start, dt.date(start.year + 1, 1, 1)


def _year(token: str) -> int | None:
    return int(token) if token.isdigit() and len(token) == 4 and 1900 <= int(token) <= 2100 else None


def _month_start(month: int, today: dt.date, year: int | None) -> dt.date:
    if year is not None:
        return dt.date(year, month, 1)
    return dt.date(today.year if month <= today.month else today.year - 1, month, 1)


UNTIL = ("until", "till", "til")


def _after_until(words: list[str], today: dt.date) -> dict[int, int]:
    """Positions of periods that an 'until' ends ('until 1995', 'from 1995 until 1997'), mapped to
    where they end: 'until' may or may not take in its last period, so neither is read."""
    out: dict[int, int] = {}
    for k, w in enumerate(words):
        if w in UNTIL:
            _, _, end = _point(words, k + 1, today)
            out[k + 1] = end
            j = k - 1
            while j > 0 and words[j] != "from" and k - j <= 4:
                j -= 1
            if j >= 0 and words[j] == "from":
                out[j] = k  # the 'from' side of 'from 1995 until 1997'
    return out


def _from(words: list[str], i: int, today: dt.date) -> Window | None:
    """'from 1995' is the year 1995 ('orders from 1995'); 'from 1995 to 1997' both years and those
    between; 'from March onward' everything since March."""
    start, stop, k = _point(words, i + 1, today)
    if start is None:
        return None
    following = words[k] if k < len(words) else ""
    if following in ("onward", "onwards", "on"):
        return Window(start, None, i, k + 1)
    if following in ("to", "through", "thru") and k + 1 < len(words):
        _, end, k2 = _point(words, k + 1, today)
        return Window(start, end, i, k2) if end is not None else None
    return Window(start, stop, i, k)


def find_windows(words: list[str], today: dt.date) -> list[Window]:
    """Time windows in a list of lower-case words (numbers as written)."""
    out: list[Window] = []
    i = 0
    n = len(words)

    def at(k: int) -> str:
        return words[k] if 0 <= k < n else ""

    unread = _after_until(words, today)
    while i < n:
        w = at(i)
        found: Window | None = None
        if i in unread:
            i = max(unread[i], i + 1)  # left for the question to be refused, not read as 'in 1995'
            continue
        # last/past/previous N units ; last/this/previous unit
        if w in ("last", "past", "previous", "prior", "trailing") and at(i + 1).replace(",", "").isdigit() and at(i + 2) in UNITS:
            count, unit = int(at(i + 1)), UNITS[at(i + 2)]
            start = _back(today, unit, count)
            found = Window(start, today + dt.timedelta(days=1), i, i + 3)
        elif w in ("last", "previous", "prior") and at(i + 1) in UNITS:
            start, end = period(UNITS[at(i + 1)], today, -1)
            found = Window(start, end, i, i + 2)
        elif w == "past" and at(i + 1) in UNITS:
            found = Window(_back(today, UNITS[at(i + 1)], 1), today + dt.timedelta(days=1), i, i + 2)
        elif w in ("this", "current") and at(i + 1) in UNITS:
            start, _ = period(UNITS[at(i + 1)], today, 0)
            found = Window(start, today + dt.timedelta(days=1), i, i + 2)
        elif w in ("ytd",) or (w == "year" and at(i + 1) == "to" and at(i + 2) == "date"):
            found = Window(dt.date(today.year, 1, 1), today + dt.timedelta(days=1), i, i + (1 if w == "ytd" else 3))
        elif w == "today":
            found = Window(today, today + dt.timedelta(days=1), i, i + 1)
        elif w == "yesterday":
            found = Window(today - dt.timedelta(days=1), today, i, i + 1)
        elif w == "from" and (_year(at(i + 1)) or at(i + 1) in MONTHS):
            found = _from(words, i, today)
        elif w in ("since", "after") and (_year(at(i + 1)) or at(i + 1) in MONTHS):
            start, stop, k = _point(words, i + 1, today)
            if start is not None:
                found = Window(start if w == "since" else stop, None, i, k)
        elif w in ("before", "prior") and (_year(at(i + 1)) or at(i + 1) in MONTHS):
            start, _, k = _point(words, i + 1, today)
            if start is not None:
                found = Window(None, start, i, k)
        elif w in ("in", "during", "for", "of") and (_year(at(i + 1)) or at(i + 1) in MONTHS or at(i + 1) in ORDINAL_QUARTERS
                                                        or at(i + 1) in HALVES
                                                        or (at(i + 1) == "the" and at(i + 2) in ORDINAL_QUARTERS)):
            start, stop, k = _point(words, i + 1, today)
            if start is not None:
                found = Window(start, stop, i, k)
        elif w == "between" and (_year(at(i + 1)) or at(i + 1) in MONTHS):
            a, _, k = _point(words, i + 1, today)
            if a is not None and at(k) == "and":
                _, b, k2 = _point(words, k + 1, today)
                if b is not None:
                    found = Window(a, b, i, k2)
        elif _year(w) and not out_of_number_context(words, i):
            start, stop, k = _point(words, i, today)
            found = Window(start, stop, i, k)
        if found:
            if at(found.last) == "so" and at(found.last + 1) == "far" or at(found.last) == "to" and at(found.last + 1) == "date":
                found = Window(found.start, found.end, found.first, found.last + 2)  # "this year so far"
            out.append(found)
            i = found.last
        else:
            i += 1
    return out


def out_of_number_context(words: list[str], i: int) -> bool:
    """A bare year-like number after a comparison word or before a unit is a quantity, not a year."""
    before = words[i - 1] if i > 0 else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    return before in ("than", "over", "above", "under", "below", "least", "most", "top", "first") or after in (
        "seat", "seats", "employee", "employees", "row", "rows", "usd", "dollars", "day", "days")


def _back(today: dt.date, unit: str, count: int) -> dt.date:
    if unit == "day":
        return today - dt.timedelta(days=count)
    if unit == "week":
        return today - dt.timedelta(weeks=count)
    months = {"month": 1, "quarter": 3, "year": 12}[unit] * count
    y, m = divmod(today.month - 1 - months, 12)
    day = min(today.day, calendar.monthrange(today.year + y, m + 1)[1])
    return dt.date(today.year + y, m + 1, day)


def _point(words: list[str], k: int, today: dt.date) -> tuple[dt.date | None, dt.date | None, int]:
    """A year, a month (with optional year), or a quarter at k: (start, end exclusive, next position)."""
    at = lambda j: words[j] if j < len(words) else ""  # noqa: E731
    if at(k) == "the" and (at(k + 1) in ORDINAL_QUARTERS or at(k + 1) in HALVES):
        k += 1
    half, j = (HALVES[at(k)], k + 1) if at(k) in ("h1", "h2") else \
        (HALVES[at(k)], k + 2) if at(k) in HALVES and at(k + 1) == "half" else (None, k)
    if half is not None:  # "the first half of 2026", "H2 2025"
        if at(j) == "of":
            j += 1
        year = _year(at(j))
        if year is None:
            year = today.year if half == 1 or today.month > 6 else today.year - 1
        else:
            j += 1
        start = dt.date(year, 6 * (half - 1) + 1, 1)
        return start, add_months(start, 6), j
    if at(k) in ORDINAL_QUARTERS:
        q = ORDINAL_QUARTERS[at(k)]
        j = k + 1
        if at(j) == "quarter":
            j += 1
        if at(j) == "of":
            j += 1
        year = _year(at(j))
        if year is None:
            year = today.year if q <= (today.month - 1) // 3 + 1 else today.year - 1
        else:
            j += 1
        start = dt.date(year, 3 * (q - 1) + 1, 1)
        return start, add_months(start, 3), j
    if at(k) in MONTHS:
        month = MONTHS[at(k)]
        year = _year(at(k + 1))
        start = _month_start(month, today, year)
        return start, add_months(start, 1), k + (2 if year else 1)
    year = _year(at(k))
    if year is not None:
        if at(k + 1) in ORDINAL_QUARTERS and at(k + 1).startswith("q"):
            q = ORDINAL_QUARTERS[at(k + 1)]
            start = dt.date(year, 3 * (q - 1) + 1, 1)
            return start, add_months(start, 3), k + 2
        return dt.date(year, 1, 1), dt.date(year + 1, 1, 1), k + 1
    return None, None, k
