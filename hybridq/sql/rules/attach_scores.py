"""attach_scores: score calls become columns of the table occurrence they score.

  SELECT t.subject, similarity(t.body, 'refund') AS s FROM tickets AS t
  -> SELECT t.subject, t.__hq_s0 AS s
     FROM (SELECT __hq_t.*, __hq_r.__hq_s0 AS __hq_s0 FROM tickets AS __hq_t
           LEFT JOIN __hq_rel_0 AS __hq_r ON __hq_t.ticket_id = __hq_r.ticket_id) AS t

The relation __hq_rel_0 (keys and scores) is computed by the planner in one batch; its request
records the WHERE conjuncts that narrow which rows need scores, and whether only the top k rows
by score can reach the output. A call comparing two semantic columns (a semantic join) becomes a
LEFT JOIN with a relation of pair scores instead. It runs after the rules before it in RULES
(expand_semantic_match leaves only score calls):

>>> import sqlglot
>>> from hybridq.catalog.model import Catalog
>>> from hybridq.sql.rules import RULES, RewriteContext, rewrite
>>> catalog = Catalog(name="demo", tables={"tickets": {"source": "tickets", "primary_key": "ticket_id",
...     "columns": {"ticket_id": "INTEGER", "body": {"type": "TEXT", "semantic": True}}}})
>>> sql = "SELECT t.ticket_id, similarity(t.body, 'refund') AS s FROM tickets AS t ORDER BY s DESC LIMIT 5"
>>> ctx = RewriteContext(catalog, sql)
>>> tree = rewrite(sqlglot.parse_one(sql, dialect="duckdb"), ctx, RULES[:RULES.index(attach_scores)])
>>> print(attach_scores(tree, ctx).sql("duckdb", pretty=True))
SELECT
  t.ticket_id,
  t.__hq_s0 AS s
FROM (
  SELECT
    __hq_t.*,
    __hq_r.__hq_s0 AS __hq_s0
  FROM tickets AS __hq_t
  LEFT JOIN __hq_rel_0 AS __hq_r
    ON __hq_t.ticket_id = __hq_r.ticket_id
) AS t
ORDER BY
  s DESC
LIMIT 5

The placeholder __hq_rel_0 carries the request the planner computes:

>>> from hybridq.sql.semantic import requests_in
>>> [request] = requests_in(tree)
>>> request.table, request.keys, [(s.name, s.kind, s.text) for s in request.scores], request.top_k
('tickets', ['ticket_id'], [('__hq_s0', 'similarity', 'refund')], 5)

More pairs: tests/sql/fixtures/attach_scores.sql.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from hybridq.engine.requests import AttachRequest, ColumnRef, PairRequest, ScoreSpec
from hybridq.errors import SQLError
from hybridq.sql.parse import where_of
from hybridq.sql.semantic import (
    call_name,
    filters_on,
    placeholder,
    resolve_column,
    scopes_of,
    scoring_calls,
    text_argument,
)

KINDS = {"similarity": "similarity", "keyword_score": "keyword", "hybrid_score": "hybrid"}


def attach_scores(expression: exp.Expression, ctx) -> exp.Expression:
    calls = list(scoring_calls(expression))
    if not calls:
        return expression
    owners = scopes_of(expression)
    groups: dict[tuple[int, str], dict] = {}
    pairs = []
    for call in calls:
        name = call_name(call)
        scope = owners[id(call)]
        first = call.expressions[0]
        if not isinstance(first, exp.Column):
            raise SQLError(f"{name}(): the first argument must be a semantic column", where=where_of(first, ctx.sql),
                           hint=f"e.g. {name}(t.body, 'refund delays')")
        ref, owner = resolve_column(first, scope, ctx.catalog, ctx.sql, name)
        second = call.expressions[1]
        if isinstance(second, exp.Column):
            if name != "similarity":
                raise SQLError(f"{name}() compares a column with words; only similarity() compares two columns",
                               where=where_of(second, ctx.sql), hint=f"{name}(t.body, 'words')")
            other, other_owner = resolve_column(second, scope, ctx.catalog, ctx.sql, name)
            if other_owner is not owner:
                raise SQLError("similarity() between columns needs both tables in the same FROM clause",
                               where=where_of(call, ctx.sql), hint="join the two tables in one SELECT")
            pairs.append((call, ref, other, owner))
            continue
        text = text_argument(second, ctx.sql, name)
        group = groups.setdefault((id(owner), ref.alias), {"scope": owner, "ref": ref, "scores": {}, "calls": []})
        key = (KINDS[name], ref.column, text)
        if key not in group["scores"]:
            group["scores"][key] = ScoreSpec(ctx.score_name(), KINDS[name], ref.column, text)
        group["calls"].append((call, group["scores"][key]))
    for group in groups.values():
        _attach(group, ctx)
    for n, (call, left, right, scope) in enumerate(pairs):
        _attach_pair(call, left, right, scope, ctx)
    return expression


def _attach(group: dict, ctx) -> None:
    scope: Scope = group["scope"]
    ref: ColumnRef = group["ref"]
    keys = ctx.catalog.tables[ref.table].primary_key
    scores = list(group["scores"].values())
    relation = ctx.relation_name()
    request = AttachRequest(relation, ref.table, ref.alias, scores, keys,
                            filters=filters_on(scope, ref.alias, ctx.catalog, ref.table))
    request.top_k, request.top_score = _top_k(scope, group["calls"], request)
    table_node = scope.sources[ref.alias]
    base = exp.Table(this=table_node.this.copy(), alias=exp.TableAlias(this=exp.to_identifier("__hq_t")))
    on = exp.and_(*[exp.EQ(this=exp.column(k, table="__hq_t"), expression=exp.column(k, table="__hq_r")) for k in keys])
    derived = (exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("__hq_t")),
                          *[exp.alias_(exp.column(s.name, table="__hq_r"), s.name) for s in scores])
               .from_(base)
               .join(placeholder(relation, "__hq_r", request), on=on, join_type="left"))
    sub = exp.Subquery(this=derived, alias=exp.TableAlias(this=exp.to_identifier(ref.alias)))
    sub.meta["hq_hidden"] = [s.name for s in scores]
    table_node.replace(sub)
    for call, spec in group["calls"]:
        call.replace(exp.column(spec.name, table=ref.alias))


def _top_k(scope: Scope, calls: list, request: AttachRequest) -> tuple[int | None, str | None]:
    """k when only the k best-scored rows can reach the output, so only they need a score.

    Holds for `SELECT ... FROM one_table WHERE <conjuncts on it> ORDER BY score DESC LIMIT k`
    (no joins, grouping, DISTINCT, windows or other filters).
    """
    select = scope.expression
    if not isinstance(select, exp.Select) or len(scope.sources) != 1 or select.args.get("joins"):
        return None, None
    if any(select.args.get(a) for a in ("group", "having", "qualify", "distinct")):
        return None, None
    if any(isinstance(n, (exp.Window, exp.AggFunc)) for p in select.expressions for n in p.walk()):
        return None, None
    where = select.args.get("where")
    from hybridq.sql.semantic import conjuncts

    if len(conjuncts(where.this if where else None)) != len(request.filters):
        return None, None
    order, limit = select.args.get("order"), select.args.get("limit")
    if order is None or limit is None or not order.expressions:
        return None, None
    first = order.expressions[0]
    if not first.args.get("desc") or first.args.get("nulls_first"):
        return None, None  # NULLS FIRST would put the unscored rows (NULL) ahead of the best ones
    if limit.args.get("limit_options") is not None:
        return None, None  # LIMIT n PERCENT / WITH TIES: not a fixed number of rows
    target = first.this
    if isinstance(target, exp.Column) and not target.table:
        for projection in select.expressions:
            if isinstance(projection, exp.Alias) and projection.alias == target.name:
                target = projection.this
                break
    spec = next((s for call, s in calls if call is target), None)
    if spec is None:
        return None, None
    count = limit.expression
    offset = select.args.get("offset")
    if not (isinstance(count, exp.Literal) and count.this.isdigit()):
        return None, None
    k = int(count.this)
    if offset is not None:
        if not (isinstance(offset.expression, exp.Literal) and offset.expression.this.isdigit()):
            return None, None
        k += int(offset.expression.this)
    return k, spec.name


def _attach_pair(call: exp.Anonymous, left: ColumnRef, right: ColumnRef, scope: Scope, ctx) -> None:
    select = scope.expression
    relation = ctx.relation_name()
    alias = relation.replace("__hq_rel_", "__hq_p")
    left_keys = ctx.catalog.tables[left.table].primary_key
    right_keys = ctx.catalog.tables[right.table].primary_key
    request = PairRequest(relation, left, right, left_keys, right_keys,
                          filters_on(scope, left.alias, ctx.catalog, left.table),
                          filters_on(scope, right.alias, ctx.catalog, right.table))
    for join in select.args.get("joins") or []:
        if not join.args.get("on") and not join.args.get("using") and not join.args.get("kind") and not join.args.get("side"):
            join.set("kind", "CROSS")
    score = f"{alias}_score"
    on = exp.and_(
        *[exp.EQ(this=exp.column(f"{alias}_l_{k}", table=alias), expression=exp.column(k, table=left.alias))
          for k in left_keys],
        *[exp.EQ(this=exp.column(f"{alias}_r_{k}", table=alias), expression=exp.column(k, table=right.alias))
          for k in right_keys],
    )
    node = placeholder(relation, alias, request)
    node.meta["hq_hidden"] = [f"{alias}_l_{k}" for k in left_keys] + [f"{alias}_r_{k}" for k in right_keys] + [score]
    select.join(node, on=on, join_type="left", copy=False)
    call.replace(exp.column(score, table=alias))
