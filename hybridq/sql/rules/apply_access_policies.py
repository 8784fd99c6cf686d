"""apply_access_policies: every table reference shows only the rows and columns the caller's role sees.

  SELECT * FROM customers            (role: rows region = caller('region'), hide health_score)
  -> SELECT * FROM (SELECT __hq_a.customer_id, __hq_a.name, __hq_a.region FROM customers AS __hq_a
                    WHERE (__hq_a.region = 'EMEA')) AS customers

Every reference is rewritten, wherever it is: in subqueries, CTEs, the row filters of other tables,
and the tables that the rules before it put inside semantic calls (the scored rows of
similarity/keyword_score/hybrid_score, the rows vector_search returns). The row filter also goes
into each semantic request, so the planner scores, ranks and takes the top k among the visible
rows only (an ANN search gets them as its prefilter). It runs last, and only for a caller with a
role (`ctx.access`):

>>> import sqlglot
>>> from hybridq.catalog.model import Catalog
>>> from hybridq.sql.access import bind_view
>>> from hybridq.sql.rules import RULES, RewriteContext, rewrite
>>> catalog = Catalog(name="demo", tables={"tickets": {"source": "tickets", "primary_key": "ticket_id",
...     "columns": {"ticket_id": "INTEGER", "region": "VARCHAR", "body": {"type": "TEXT", "semantic": True}}}},
...     access={"roles": {"emea": {"tables": {"tickets": {"rows": "region = caller('region')"}}}}})
>>> view = bind_view(catalog, "emea", {"region": "EMEA"})
>>> sql = "SELECT ticket_id FROM tickets ORDER BY similarity(body, 'refund') DESC LIMIT 3"
>>> ctx = RewriteContext(view.catalog, sql, access=view)
>>> tree = rewrite(sqlglot.parse_one(sql, dialect="duckdb"), ctx, RULES[:RULES.index(apply_access_policies)])
>>> print(apply_access_policies(tree, ctx).sql("duckdb").replace("__hq_", ""))
SELECT ticket_id FROM (SELECT t.*, r.s0 AS s0 FROM (SELECT * FROM tickets AS a WHERE (a.region = 'EMEA')) AS t LEFT JOIN rel_0 AS r ON t.ticket_id = r.ticket_id) AS tickets ORDER BY tickets.s0 DESC LIMIT 3

The request of the score relation carries the filter too (on the alias it scores):

>>> from hybridq.sql.semantic import requests_in
>>> [f.sql("duckdb") for f in requests_in(tree)[0].filters]
["(tickets.region = 'EMEA')"]

More pairs: tests/sql/fixtures/apply_access_policies.sql.
"""

from __future__ import annotations

import dataclasses

from sqlglot import exp

from hybridq.sql.access import AccessView, table_references
from hybridq.sql.semantic import AttachRequest, PairRequest, SearchRequest

ALIAS = "__hq_a"


def apply_access_policies(expression: exp.Expression, ctx) -> exp.Expression:
    view: AccessView | None = getattr(ctx, "access", None)
    if view is None:
        return expression
    for node in expression.find_all(exp.Table):
        request = node.meta.get("hq")
        if request is not None:
            node.meta["hq"] = _filtered_request(request, view)
    _restrict(expression, view, ())
    return expression


def _restrict(tree: exp.Expression, view: AccessView, expanding: tuple[str, ...]) -> None:
    for node, table in list(table_references(tree, view.catalog)):
        if not view.restricts(table) or table in expanding:
            continue
        alias = node.alias or node.name
        derived = exp.select(*_projection(view, table)).from_(
            exp.Table(this=node.this.copy(), alias=exp.TableAlias(this=exp.to_identifier(ALIAS))))
        condition = condition_on(view, table, ALIAS, expanding)
        if condition is not None:
            derived = derived.where(condition, copy=False)
        node.replace(exp.Subquery(this=derived, alias=exp.TableAlias(this=exp.to_identifier(alias))))


def _projection(view: AccessView, table: str) -> list[exp.Expression]:
    if not view.hidden.get(table):
        return [exp.Star()]
    return [exp.column(c, table=ALIAS) for c in view.visible_columns(table)]


def condition_on(view: AccessView, table: str, alias: str, expanding: tuple[str, ...] = ()) -> exp.Expression | None:
    """The table's row filter with its columns qualified by `alias`; tables read inside it are
    restricted too (a table's own filter reads that table whole, so a filter never recurses)."""
    condition = view.conditions.get(table)
    if condition is None:
        return None
    condition = condition.copy()
    _restrict(condition, view, expanding + (table,))
    for column in condition.find_all(exp.Column):
        own = column.table.lower() == table.lower() if column.table else _in_outer_query(column, condition)
        if own:
            column.set("table", exp.to_identifier(alias))
    wrapped = exp.Paren(this=condition)
    wrapped.meta["hq_policy"] = True
    return wrapped


def _in_outer_query(column: exp.Column, root: exp.Expression) -> bool:
    """Whether a column of a filter belongs to the filtered table, not to a subquery of the filter."""
    node = column.parent
    while node is not None and node is not root:
        if isinstance(node, exp.Query):
            return False
        node = node.parent
    return True


def _filtered_request(request, view: AccessView):
    if isinstance(request, AttachRequest):
        return dataclasses.replace(request, filters=request.filters + _conditions(view, request.table, request.alias))
    if isinstance(request, PairRequest):
        return dataclasses.replace(
            request,
            left_filters=request.left_filters + _conditions(view, request.left.table, request.left.alias),
            right_filters=request.right_filters + _conditions(view, request.right.table, request.right.alias))
    if isinstance(request, SearchRequest):
        outer = [] if request.outer is None else _conditions(view, request.outer.table, request.outer.alias)
        return dataclasses.replace(request, filters=request.filters + _conditions(view, request.table, request.alias),
                                   outer_filters=request.outer_filters + outer)
    return request


def _conditions(view: AccessView, table: str, alias: str) -> list[exp.Expression]:
    condition = condition_on(view, table, alias)
    return [] if condition is None else [condition]
