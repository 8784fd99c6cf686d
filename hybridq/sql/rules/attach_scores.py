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
    pairs: dict[tuple, dict] = {}
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
            # the same two columns in one FROM share one relation (the score is symmetric)
            key = (id(owner), *sorted([(ref.alias, ref.column), (other.alias, other.column)]))
            pairs.setdefault(key, {"scope": owner, "left": ref, "right": other, "calls": []})["calls"].append(call)
            continue
        text = text_argument(second, ctx.sql, name)
        group = groups.setdefault((id(owner), ref.alias), {"scope": owner, "ref": ref, "scores": {}, "calls": []})
        key = (KINDS[name], ref.column, text)
        if key not in group["scores"]:
            group["scores"][key] = ScoreSpec(ctx.score_name(), KINDS[name], ref.column, text)
        group["calls"].append((call, group["scores"][key]))
    for group in groups.values():
        _attach(group, ctx)
    for pair in pairs.values():
        _attach_pair(pair, ctx)
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


def _attach_pair(pair: dict, ctx) -> None:
    """Pair scores joined where the calls can read them.

    Calls in WHERE, the select list, QUALIFY or ORDER BY read a LEFT JOIN of the relation added
    after the FROM clause. A call in the ON of a join needs the score while that join is made: when
    the join brings in one of the two tables, that table becomes a derived table carrying the other
    table's keys and the score, and the ON matches those keys (the pairs come from the relation
    instead of a cross product); when both tables come before the join, the relation is joined
    just before it.
    """
    scope: Scope = pair["scope"]
    left, right, calls = pair["left"], pair["right"], pair["calls"]
    select = scope.expression
    relation = ctx.relation_name()
    alias = relation.replace("__hq_rel_", "__hq_p")
    left_keys = ctx.catalog.tables[left.table].primary_key
    right_keys = ctx.catalog.tables[right.table].primary_key
    joins = select.args.get("joins") or []
    holding = [j for j in (_join_holding(call, select) for call in calls) if j is not None]
    join = min(holding, key=lambda j: next(i for i, k in enumerate(joins) if k is j)) if holding else None
    for other in joins:
        if not other.args.get("on") and not other.args.get("using") and not other.args.get("kind") and not other.args.get("side"):
            other.set("kind", "CROSS")  # `a, b LEFT JOIN r ON <a and b>`: a comma would hide a from the ON
    joined = join.this.alias_or_name if join is not None else None
    if join is not None and joined in (left.alias, right.alias):
        inner_is_left = joined == left.alias
        inner = left if inner_is_left else right
        _check_joined_side(join, joins, select, left if not inner_is_left else right, calls[0], ctx)
        request = PairRequest(relation, left, right, left_keys, right_keys,
                              _narrowing(scope, left, ctx, join), _narrowing(scope, right, ctx, join))
        for call in calls:
            call.replace(exp.column(f"{alias}_score", table=inner.alias))
        _pair_into_joined_table(join, request, inner_is_left, alias)
        return
    narrowing = (lambda ref: _narrowing(scope, ref, ctx, join)) if join is not None else (
        lambda ref: filters_on(scope, ref.alias, ctx.catalog, ref.table))
    request = PairRequest(relation, left, right, left_keys, right_keys, narrowing(left), narrowing(right))
    score = f"{alias}_score"
    on = exp.and_(
        *[exp.EQ(this=exp.column(f"{alias}_l_{k}", table=alias), expression=exp.column(k, table=left.alias))
          for k in left_keys],
        *[exp.EQ(this=exp.column(f"{alias}_r_{k}", table=alias), expression=exp.column(k, table=right.alias))
          for k in right_keys],
    )
    node = placeholder(relation, alias, request)
    node.meta["hq_hidden"] = [f"{alias}_l_{k}" for k in left_keys] + [f"{alias}_r_{k}" for k in right_keys] + [score]
    if join is None:
        select.join(node, on=on, join_type="left", copy=False)
    else:  # both tables come before the join whose ON reads the score: join the relation just before it
        position = next(i for i, k in enumerate(joins) if k is join)
        joins.insert(position, exp.Join(this=node, side="LEFT", on=on))
        select.set("joins", joins)
    for call in calls:
        call.replace(exp.column(score, table=alias))


def _join_holding(call: exp.Expression, select: exp.Select) -> exp.Join | None:
    """The join of `select` in whose ON the call sits, or None."""
    joins = select.args.get("joins") or []
    child, node = call, call.parent
    while node is not None and node is not select:
        if isinstance(node, exp.Join) and child.arg_key == "on" and any(node is j for j in joins):
            return node
        child, node = node, node.parent
    return None


def _check_joined_side(join: exp.Join, joins: list, select: exp.Select, other: ColumnRef,
                       call: exp.Expression, ctx) -> None:
    """A score in the ON of a join that brings in one of the tables: what this rewrite can keep exact."""
    side = (join.args.get("side") or "").upper()
    if side in ("RIGHT", "FULL"):
        raise SQLError(f"similarity() between two columns in the ON of a {side} JOIN is not supported",
                       where=where_of(call, ctx.sql),
                       hint="write it as a LEFT JOIN with the tables swapped, or as a CROSS JOIN with the "
                            "condition in WHERE")
    before = [select.args["from_"].this.alias_or_name] if select.args.get("from_") is not None else []
    for other_join in joins:
        if other_join is join:
            break
        before.append(other_join.this.alias_or_name)
    if other.alias not in before:
        raise SQLError(f"similarity() in the ON of the join of {join.this.alias_or_name} reads {other.alias}, "
                       "which is joined after it", where=where_of(call, ctx.sql),
                       hint=f"join {other.alias} before {join.this.alias_or_name}")


def _null_supplied(select: exp.Select) -> set[str]:
    """Aliases whose rows an outer join can replace with NULLs."""
    seen = [select.args["from_"].this.alias_or_name] if select.args.get("from_") is not None else []
    out: set[str] = set()
    for join in select.args.get("joins") or []:
        side = (join.args.get("side") or "").upper()
        if side in ("RIGHT", "FULL"):
            out.update(seen)
        if side in ("LEFT", "FULL"):
            out.add(join.this.alias_or_name)
        seen.append(join.this.alias_or_name)
    return out


def _narrowing(scope: Scope, ref: ColumnRef, ctx, join: exp.Join) -> list[exp.Expression]:
    """Conditions that narrow one side of pairs whose score decides a join's ON.

    There the relation decides which rows exist, not only which scores are known. A WHERE conjunct
    on a table that an outer join may null out could hold on the NULL row (`t.x IS NULL`), so it
    narrows only tables every output row has; conjuncts of the join's own ON on the joined table
    always narrow it (a row that fails them never matches).
    """
    out = [] if ref.alias in _null_supplied(scope.expression) else filters_on(scope, ref.alias, ctx.catalog, ref.table)
    if join.this.alias_or_name == ref.alias:
        out += filters_on(scope, ref.alias, ctx.catalog, ref.table, join.args.get("on"))
    return out


def _pair_into_joined_table(join: exp.Join, request: PairRequest, inner_is_left: bool, alias: str) -> None:
    """`JOIN t ON <score>` -> `JOIN (t with the other side's keys and the score, one row per pair) AS t
    ON <the other side's keys match> AND <score>`."""
    mine, theirs = ("l", "r") if inner_is_left else ("r", "l")
    inner_keys = request.left_keys if inner_is_left else request.right_keys
    outer_keys = request.right_keys if inner_is_left else request.left_keys
    outer = request.right if inner_is_left else request.left
    score = f"{alias}_score"
    source = join.this
    name = source.alias_or_name
    hidden_before = source.meta.pop("hq_hidden", [])  # the new derived table hides them now
    source.set("alias", exp.TableAlias(this=exp.to_identifier("__hq_t")))
    carried = [f"{alias}_{theirs}_{k}" for k in outer_keys]
    match = exp.and_(*[exp.EQ(this=exp.column(f"{alias}_{mine}_{k}", table=alias), expression=exp.column(k, table="__hq_t"))
                       for k in inner_keys])
    derived = (exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("__hq_t")),
                          *[exp.alias_(exp.column(c, table=alias), c) for c in carried + [score]])
               .from_(source, copy=False)
               .join(placeholder(request.relation, alias, request), on=match, copy=False))
    sub = exp.Subquery(this=derived, alias=exp.TableAlias(this=exp.to_identifier(name)))
    sub.meta["hq_hidden"] = hidden_before + carried + [score]
    join.set("this", sub)
    keys_match = [exp.EQ(this=exp.column(c, table=name), expression=exp.column(k, table=outer.alias))
                  for c, k in zip(carried, outer_keys)]
    join.set("on", exp.and_(*keys_match, join.args["on"], copy=False))
