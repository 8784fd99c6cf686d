"""exclude_hidden_columns: `*` never shows the columns hybridq adds.

  SELECT * FROM (SELECT __hq_t.*, ... AS __hq_s0 ...) AS t
  -> SELECT * EXCLUDE (__hq_s0) FROM (...) AS t
"""

from __future__ import annotations

from sqlglot import exp


def _hidden_by_alias(select: exp.Select) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    sources = []
    if select.args.get("from_") is not None:
        sources.append(select.args["from_"].this)
    sources += [j.this for j in select.args.get("joins") or []]
    for source in sources:
        names = source.meta.get("hq_hidden")
        if names:
            out.setdefault(source.alias_or_name, []).extend(names)
    return out


def exclude_hidden_columns(expression: exp.Expression, ctx) -> exp.Expression:
    for select in list(expression.find_all(exp.Select)):
        hidden = _hidden_by_alias(select)
        if not hidden:
            continue
        for projection in select.expressions:
            if isinstance(projection, exp.Star):
                names = [n for names in hidden.values() for n in names]
                _exclude(projection, names)
            elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                names = hidden.get(projection.table, [])
                if names:
                    _exclude(projection.this, names)
    return expression


def _exclude(star: exp.Star, names: list[str]) -> None:
    existing = list(star.args.get("except_") or [])
    star.set("except_", existing + [exp.column(n) for n in names])
