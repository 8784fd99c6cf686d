"""Query parameters: `?` (positional, in text order), `$1` (numbered) and `$name` (named).

A value is data, never SQL: plain SQL hands the values to DuckDB, which binds them; a query with
semantic calls gets them as constants in its tree before it is rewritten, so a parameter can be
the text a semantic function embeds (`similarity(body, ?)`). Values are text, numbers, booleans or
None, the same in this process and through the owner process (they travel as JSON).

>>> from hybridq.sql.parse import parse_query
>>> bind_literals(parse_query("SELECT * FROM t WHERE a = ? AND b = ?"), ["it's", 2]).sql()
"SELECT * FROM t WHERE a = 'it''s' AND b = 2"
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from sqlglot import exp

from hybridq.errors import SQLError, Where

Params = Sequence | Mapping | None
VALUE_TYPES = (str, int, float, bool, type(None))
HINT = "positional: params=['refund', 5] for ? (or $1, $2); named: params={'q': 'refund'} for $q"


def placeholders(tree: exp.Expression) -> list[exp.Placeholder]:
    """The query's parameters in the order they appear in the text."""
    found = list(tree.find_all(exp.Placeholder))
    return sorted(found, key=lambda p: p.meta.get("start", 0))


def _where(node: exp.Placeholder, sql: str) -> Where:
    start = node.meta.get("start")
    return Where(sql=sql, start=start, end=node.meta.get("end", start) + 1 if start is not None else None)


def _label(node: exp.Placeholder) -> str:
    return f"${node.this}" if node.this else "?"


def check_params(tree: exp.Expression, params: Params, sql: str) -> list | dict | None:
    """The values for the query's parameters (a list for ? and $1, a dict for $name), checked
    against the query: every parameter has a value, every value a parameter, each of a known type."""
    holders = placeholders(tree)
    given = params if params is not None and len(params) else None
    if not holders:
        if given is not None:
            raise SQLError(f"{len(given)} parameter value(s) given, but the query has no parameter",
                           where=Where(sql=sql), hint="mark each value's place with ? or $name; " + HINT)
        return None
    named = [p for p in holders if p.this and not str(p.this).isdigit()]
    other = [p for p in holders if not (p.this and not str(p.this).isdigit())]
    if named and other:
        raise SQLError("a query uses either named parameters ($name) or positional ones (?, $1), not both",
                       where=_where(other[0], sql), hint=HINT)
    numbered = [p for p in other if p.this]
    if numbered and len(numbered) != len(other):
        raise SQLError("a query uses either ? or numbered parameters ($1, $2), not both",
                       where=_where(next(p for p in other if not p.this), sql), hint=HINT)
    if given is None:
        raise SQLError(f"the query has {len(holders)} parameter(s) but no values were given",
                       where=_where(holders[0], sql), hint=HINT)
    if named:
        if not isinstance(given, Mapping):
            raise SQLError("named parameters ($name) take a dict of values", where=_where(named[0], sql), hint=HINT)
        values = {str(k): v for k, v in given.items()}
        for p in named:
            if str(p.this) not in values:
                raise SQLError(f"no value for parameter ${p.this}", where=_where(p, sql),
                               hint=f"given: {', '.join(sorted(values)) or 'nothing'}; " + HINT)
        unused = sorted(set(values) - {str(p.this) for p in named})
        if unused:
            raise SQLError(f"value(s) given for no parameter: {', '.join(unused)}", where=Where(sql=sql),
                           hint="the query's parameters: " + ", ".join(sorted({_label(p) for p in named})))
        for name, value in values.items():
            _check_value(value, f"${name}", sql)
        return values
    if isinstance(given, (Mapping, str, bytes)) or not isinstance(given, Sequence):
        raise SQLError("positional parameters (?, $1) take a list of values", where=_where(other[0], sql), hint=HINT)
    values = list(given)
    wanted = max(int(p.this) for p in numbered) if numbered else len(other)
    if len(values) != wanted:
        where = _where(other[len(values)], sql) if not numbered and len(values) < wanted else Where(sql=sql)
        raise SQLError(f"the query has {wanted} positional parameter(s) but {len(values)} value(s) were given",
                       where=where, hint=HINT)
    for i, value in enumerate(values, 1):
        _check_value(value, f"parameter {i}", sql)
    return values


def _check_value(value, label: str, sql: str) -> None:
    if not isinstance(value, VALUE_TYPES):
        raise SQLError(f"{label}: a value of type {type(value).__name__} is not supported", where=Where(sql=sql),
                       hint="pass text, a number, True/False or None; a date as text, e.g. '2024-01-31'")


def literal(value) -> exp.Expression:
    """A checked parameter value as a SQL constant."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, float) and not math.isfinite(value):
        return exp.Cast(this=exp.Literal.string(repr(value)), to=exp.DataType.build("DOUBLE"))
    if isinstance(value, (int, float)):
        number = exp.Literal.number(repr(value))
        return exp.Paren(this=number) if value < 0 else number
    return exp.Literal.string(value)


def bind_literals(tree: exp.Expression, values: list | dict) -> exp.Expression:
    """A copy of `tree` with each parameter replaced by its value as a constant (kept at the
    parameter's place in the text, for error messages)."""
    tree = tree.copy()
    position = 0
    for node in placeholders(tree):
        if isinstance(values, dict):
            value = values[str(node.this)]
        elif node.this:
            value = values[int(node.this) - 1]
        else:
            value, position = values[position], position + 1
        new = literal(value)
        new.meta.update({k: node.meta[k] for k in ("start", "end") if k in node.meta})
        node.replace(new)
    return tree


def params_key(values: list | dict | None) -> tuple:
    """A hashable form of checked values (to remember a rewrite per distinct values)."""
    if values is None:
        return ()
    if isinstance(values, dict):
        return tuple(sorted((k, type(v).__name__, v) for k, v in values.items()))
    return tuple((type(v).__name__, v) for v in values)

