"""expand_semantic_match: boolean semantic predicates become comparisons of scores.

`semantic_match(t.body, 'x')` -> `similarity(t.body, 'x') >= 0.35` (the column's threshold),
`keyword_match(t.body, 'x')` -> `keyword_score(t.body, 'x') > 0`.
It runs after qualify_semantic_columns, which records each column's table.

>>> import sqlglot
>>> from hybridq.catalog.model import Catalog
>>> from hybridq.sql.rules import RewriteContext, qualify_semantic_columns
>>> catalog = Catalog(name="demo", tables={"tickets": {"source": "tickets", "primary_key": "ticket_id",
...     "columns": {"ticket_id": "INTEGER", "body": {"type": "TEXT", "semantic": True}}}})
>>> sql = "SELECT ticket_id FROM tickets WHERE semantic_match(body, 'refund') AND NOT keyword_match(body, 'card')"
>>> ctx = RewriteContext(catalog, sql)
>>> expand_semantic_match(qualify_semantic_columns(sqlglot.parse_one(sql, dialect="duckdb"), ctx), ctx).sql("duckdb")
"SELECT ticket_id FROM tickets WHERE SIMILARITY(tickets.body, 'refund') >= 0.35 AND NOT KEYWORD_SCORE(tickets.body, 'card') > 0"

More pairs: tests/sql/fixtures/expand_semantic_match.sql.
"""

from __future__ import annotations

from sqlglot import exp

from hybridq.errors import SQLError
from hybridq.sql.parse import where_of
from hybridq.sql.semantic import call_name


def expand_semantic_match(expression: exp.Expression, ctx) -> exp.Expression:
    def transform(node: exp.Expression) -> exp.Expression:
        name = call_name(node)
        if name == "semantic_match":
            column, text = node.expressions[0], node.expressions[1]
            if len(node.expressions) == 3:
                threshold = node.expressions[2]
                if not threshold.is_number:
                    raise SQLError("semantic_match(): the threshold must be a number", where=where_of(threshold, ctx.sql),
                                   hint="e.g. semantic_match(t.body, 'refund', 0.4)")
                threshold = threshold.copy()
            else:
                threshold = exp.Literal.number(_default_threshold(ctx, column))
            score = exp.Anonymous(this="similarity", expressions=[column.copy(), text.copy()])
            return _operand(node, exp.GTE(this=score, expression=threshold))
        if name == "keyword_match":
            score = exp.Anonymous(this="keyword_score", expressions=[e.copy() for e in node.expressions])
            return _operand(node, exp.GT(this=score, expression=exp.Literal.number(0)))
        return node

    return expression.transform(transform, copy=False)  # rules rewrite the engine's private copy


def _operand(call: exp.Expression, comparison: exp.Expression) -> exp.Expression:
    """The comparison, parenthesized where it is the operand of another operator (`... = false`)."""
    parent = call.parent
    if isinstance(parent, exp.Binary) and not isinstance(parent, exp.Connector):
        return exp.Paren(this=comparison)
    return comparison


def _default_threshold(ctx, column: exp.Expression) -> float:
    """The catalog's threshold for the column (qualify_semantic_columns recorded its table)."""
    table = column.meta.get("hq_table") if isinstance(column, exp.Column) else None
    if table is None:
        raise SQLError("semantic_match() needs a semantic column as its first argument", where=where_of(column, ctx.sql),
                       hint="e.g. semantic_match(t.body, 'refund')")
    spec = ctx.catalog.tables[table]
    return spec.columns[spec.find_column(column.name)].semantic.threshold
