"""exclude_hidden_columns: `*` never shows the columns hybridq adds.

  SELECT * FROM (SELECT __hq_t.*, ... AS __hq_s0 ...) AS t
  -> SELECT * EXCLUDE (__hq_s0) FROM (...) AS t

It runs last, on the placeholders the rules before it made:

>>> import sqlglot
>>> from hybridq.catalog.model import Catalog
>>> from hybridq.sql.rules import RULES, RewriteContext, rewrite
>>> catalog = Catalog(name="demo", tables={"tickets": {"source": "tickets", "primary_key": "ticket_id",
...     "columns": {"ticket_id": "INTEGER", "body": {"type": "TEXT", "semantic": True}}}})
>>> sql = "SELECT * FROM tickets WHERE semantic_match(body, 'refund')"
>>> ctx = RewriteContext(catalog, sql)
>>> tree = rewrite(sqlglot.parse_one(sql, dialect="duckdb"), ctx, RULES[:RULES.index(exclude_hidden_columns)])
>>> exclude_hidden_columns(tree, ctx).sql("duckdb").split(" FROM ")[0]
'SELECT * EXCLUDE (__hq_s0)'

More pairs: tests/sql/fixtures/exclude_hidden_columns.sql.
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
            # `*`, `t.*`, and the same inside DuckDB's COLUMNS(*) / COLUMNS(t.*)
            for star in [projection, *(c.this for c in projection.find_all(exp.Columns))]:
                if isinstance(star, exp.Star):
                    names = [n for names in hidden.values() for n in names]
                    _exclude(star, names)
                elif isinstance(star, exp.Column) and isinstance(star.this, exp.Star):
                    names = hidden.get(star.table, [])
                    if names:
                        _exclude(star.this, names)
    return expression


def _exclude(star: exp.Star, names: list[str]) -> None:
    existing = list(star.args.get("except_") or [])
    star.set("except_", existing + [exp.column(n) for n in names])
