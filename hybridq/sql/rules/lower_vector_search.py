"""lower_vector_search: the vector_search() table function becomes a join with a relation.

With a text, the k best rows:
  FROM vector_search('tickets.body', 'refund', 10) AS v
  -> FROM (SELECT __hq_t.*, __hq_r._score AS _score, __hq_r._chunk AS _chunk
           FROM __hq_rel_0 AS __hq_r JOIN tickets AS __hq_t ON __hq_t.ticket_id = __hq_r.ticket_id) AS v
With a column of an outer table (LATERAL), the k best rows for each outer row:
  FROM tickets t, LATERAL vector_search('kb.body', t.body, 3) AS v
  -> FROM tickets t JOIN (SELECT __hq_r.__hq_q_ticket_id, __hq_t.*, ...) AS v ON v.__hq_q_ticket_id = t.ticket_id

It runs after normalize_semantic_calls and qualify_semantic_columns:

>>> import sqlglot
>>> from hybridq.catalog.model import Catalog
>>> from hybridq.sql.rules import RewriteContext, normalize_semantic_calls, qualify_semantic_columns
>>> catalog = Catalog(name="demo", tables={
...     "tickets": {"source": "tickets", "primary_key": "ticket_id",
...                 "columns": {"ticket_id": "INTEGER", "body": {"type": "TEXT", "semantic": True}}},
...     "kb": {"source": "kb", "primary_key": "article_id",
...            "columns": {"article_id": "INTEGER", "body": {"type": "TEXT", "semantic": True}}}})
>>> sql = "SELECT t.ticket_id, k.article_id FROM tickets AS t, LATERAL vector_search('kb.body', t.body, 3) AS k"
>>> ctx = RewriteContext(catalog, sql)
>>> tree = qualify_semantic_columns(normalize_semantic_calls(sqlglot.parse_one(sql, dialect="duckdb"), ctx), ctx)
>>> print(lower_vector_search(tree, ctx).sql("duckdb", pretty=True))
SELECT
  t.ticket_id,
  k.article_id
FROM tickets AS t
JOIN (
  SELECT
    __hq_r.__hq_q_ticket_id,
    __hq_t.*,
    __hq_r._score AS _score,
    __hq_r._chunk AS _chunk
  FROM __hq_rel_0 AS __hq_r
  JOIN kb AS __hq_t
    ON __hq_t.article_id = __hq_r.article_id
) AS k
  ON k.__hq_q_ticket_id = t.ticket_id

More pairs: tests/sql/fixtures/lower_vector_search.sql.
"""

from __future__ import annotations

from sqlglot import exp

from hybridq.errors import SQLError
from hybridq.sql.parse import where_of
from hybridq.engine.requests import ColumnRef, SearchRequest, hidden
from hybridq.sql.semantic import call_name, filters_on, placeholder, scopes_of

MAX_K = 10_000


def lower_vector_search(expression: exp.Expression, ctx) -> exp.Expression:
    calls = [n for n in expression.find_all(exp.Anonymous) if call_name(n) == "vector_search"]
    if not calls:
        return expression
    scopes = {id(s.expression): s for s in set(scopes_of(expression).values())}
    for call in calls:
        holder = call.parent  # exp.Table or exp.Lateral
        table, column, keys = _target(call, ctx)
        k = _k(call, ctx)
        text_arg = call.expressions[1]
        relation = ctx.relation_name()
        if isinstance(text_arg, exp.Literal) and text_arg.is_string:
            request = SearchRequest(relation, table, column, keys, k, text=text_arg.this)
            derived = _derived(relation, table, keys, request, outer_keys=[])
            derived = derived.order_by(exp.Ordered(this=exp.column("_score", table="__hq_r"), desc=True))
            alias = holder.alias or "vector_search"
            holder.replace(exp.Subquery(this=derived, alias=exp.TableAlias(this=exp.to_identifier(alias))))
            continue
        outer_table = text_arg.meta.get("hq_table") if isinstance(text_arg, exp.Column) else None
        if outer_table is None:
            raise SQLError("vector_search(): the text must be a string constant or a semantic column of an outer table",
                           where=where_of(text_arg, ctx.sql),
                           hint="e.g. FROM tickets t, LATERAL vector_search('kb.body', t.body, 3) AS v")
        join = holder.parent if isinstance(holder.parent, exp.Join) else None
        select = holder.find_ancestor(exp.Select)
        if join is None or select is None:
            raise SQLError("vector_search() with a column needs an outer table: put it after a table in FROM",
                           where=where_of(call, ctx.sql),
                           hint="FROM tickets t, LATERAL vector_search('kb.body', t.body, 3) AS v")
        outer_alias = text_arg.table
        outer_keys = ctx.catalog.tables[outer_table].primary_key
        scope = scopes.get(id(select))
        outer_filters = filters_on(scope, outer_alias, ctx.catalog, outer_table) if scope else []
        outer = ColumnRef(outer_alias, outer_table, ctx.catalog.tables[outer_table].find_column(text_arg.name))
        request = SearchRequest(relation, table, column, keys, k, outer=outer, outer_keys=outer_keys,
                                outer_filters=outer_filters)
        derived = _derived(relation, table, keys, request, outer_keys=outer_keys)
        alias = holder.alias or "vector_search"
        on = exp.and_(*[
            exp.EQ(this=exp.column(hidden(f"q_{k_}"), table=alias), expression=exp.column(k_, table=outer_alias))
            for k_ in outer_keys
        ])
        sub = exp.Subquery(this=derived, alias=exp.TableAlias(this=exp.to_identifier(alias)))
        sub.meta["hq_hidden"] = [hidden(f"q_{k_}") for k_ in outer_keys]
        side = join.args.get("side")
        join.replace(exp.Join(this=sub, on=on, side=side if side and side.upper() == "LEFT" else None))
    return expression


def _target(call: exp.Anonymous, ctx) -> tuple[str, str, list[str]]:
    arg = call.expressions[0]
    if not (isinstance(arg, exp.Literal) and arg.is_string and "." in arg.this):
        raise SQLError("vector_search(): the first argument is 'table.column' as a string", where=where_of(arg, ctx.sql),
                       hint="e.g. vector_search('tickets.body', 'refund', 10)")
    table_name, column_name = arg.this.split(".", 1)
    table = ctx.catalog.find_table(table_name)
    if table is None:
        raise SQLError(f"vector_search(): unknown table '{table_name}'", where=where_of(arg, ctx.sql),
                       hint="catalog tables: " + ", ".join(sorted(ctx.catalog.tables)))
    spec = ctx.catalog.tables[table]
    column = spec.find_column(column_name)
    if column is None or spec.columns[column].semantic is None:
        listed = ", ".join(f"{t}.{c}" for t, c in ctx.catalog.semantic_columns())
        what = "is not a semantic column" if column else "is not a column"
        raise SQLError(f"vector_search(): {table}.{column_name} {what}", where=where_of(arg, ctx.sql),
                       hint=f"semantic columns: {listed}")
    return table, column, spec.primary_key


def _k(call: exp.Anonymous, ctx) -> int:
    arg = call.expressions[2]
    if not (isinstance(arg, exp.Literal) and not arg.is_string and arg.this.isdigit()):
        raise SQLError("vector_search(): k must be a whole number", where=where_of(arg, ctx.sql),
                       hint="e.g. vector_search('tickets.body', 'refund', 10)")
    k = int(arg.this)
    if not 1 <= k <= MAX_K:
        raise SQLError(f"vector_search(): k must be between 1 and {MAX_K}, got {k}", where=where_of(arg, ctx.sql))
    return k


def _derived(relation: str, table: str, keys: list[str], request: SearchRequest, outer_keys: list[str]) -> exp.Select:
    on = exp.and_(*[exp.EQ(this=exp.column(k, table="__hq_t"), expression=exp.column(k, table="__hq_r")) for k in keys])
    projections = [exp.column(hidden(f"q_{k}"), table="__hq_r") for k in outer_keys]
    projections += [
        exp.Column(this=exp.Star(), table=exp.to_identifier("__hq_t")),
        exp.alias_(exp.column("_score", table="__hq_r"), "_score"),
        exp.alias_(exp.column("_chunk", table="__hq_r"), "_chunk"),
    ]
    return (exp.select(*projections)
            .from_(placeholder(relation, "__hq_r", request))
            .join(exp.Table(this=exp.to_identifier(table), alias=exp.TableAlias(this=exp.to_identifier("__hq_t"))),
                  on=on))
