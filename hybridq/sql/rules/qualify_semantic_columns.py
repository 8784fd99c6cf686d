"""qualify_semantic_columns: the column argument of a semantic call names its table occurrence.

`similarity(body, 'x')` becomes `similarity(t.body, 'x')` when `t` is the only table in scope (or
an enclosing one) with a column `body`; the column must be a semantic column of a catalog table.

>>> import sqlglot
>>> from hybridq.catalog.model import Catalog
>>> from hybridq.sql.rules import RewriteContext
>>> catalog = Catalog(name="demo", tables={"tickets": {"source": "tickets", "primary_key": "ticket_id",
...     "columns": {"ticket_id": "INTEGER", "body": {"type": "TEXT", "semantic": True}}}})
>>> sql = "SELECT similarity(body, 'refund') AS s FROM tickets AS t"
>>> qualify_semantic_columns(sqlglot.parse_one(sql, dialect="duckdb"), RewriteContext(catalog, sql)).sql("duckdb")
"SELECT SIMILARITY(t.body, 'refund') AS s FROM tickets AS t"

More pairs: tests/sql/fixtures/qualify_semantic_columns.sql.
"""

from __future__ import annotations

from sqlglot import exp

from hybridq.sql.functions import SCORING
from hybridq.sql.semantic import call_name, resolve_column, scopes_of


def qualify_semantic_columns(expression: exp.Expression, ctx) -> exp.Expression:
    owners = scopes_of(expression)
    for node in list(expression.find_all(exp.Anonymous)):
        name = call_name(node)
        if name is None:
            continue
        positions = [0, 1] if name in SCORING else [1] if name == "vector_search" else []
        scope = owners.get(id(node))
        for i in positions:
            if i >= len(node.expressions) or not isinstance(node.expressions[i], exp.Column):
                continue
            column = node.expressions[i]
            ref, _ = resolve_column(column, scope, ctx.catalog, ctx.sql, name)
            qualified = exp.column(ref.column, table=ref.alias)
            qualified.meta.update(column.meta)
            # keep the names' positions in the query text, for errors raised by later rules
            qualified.this.meta.update(column.this.meta)
            if isinstance(column.args.get("table"), exp.Identifier):
                qualified.args["table"].meta.update(column.args["table"].meta)
            qualified.meta["hq_table"] = ref.table
            column.replace(qualified)
    return expression
