"""Lowering a rewritten query to an engine: what it needs, checked against what the engine runs,
and the SQL text in the form that engine reads.

The rewrite rules are engine-independent; this runs after them. DuckDB reads their output as is.
Other engines get DuckDB SQL without QUALIFY (sqlglot's eliminate_qualify, with ORDER BY, LIMIT
and OFFSET moved back out of the subquery it makes, where they apply after the QUALIFY filter).
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.transforms import eliminate_qualify

from hybridq.engine.base import FEATURES
from hybridq.engine.requests import AttachRequest, PairRequest, SearchRequest
from hybridq.errors import SQLError
from hybridq.sql.semantic import call_name


def needed_features(tree: exp.Expression, requests: list) -> dict[str, str]:
    """feature -> the first call that needs it, as the user wrote it (for the error)."""
    needed: dict[str, str] = {}
    for request in requests:
        if isinstance(request, AttachRequest):
            for spec in request.scores:
                needed.setdefault(spec.kind, f"{spec.function}({request.alias}.{spec.column}, ...)")
        elif isinstance(request, SearchRequest):
            feature = "vector_search_per_row" if request.outer is not None else "vector_search"
            needed.setdefault(feature, f"vector_search('{request.table}.{request.column}', ...)")
        elif isinstance(request, PairRequest):
            needed.setdefault("semantic_join", f"similarity({request.left.alias}.{request.left.column}, "
                                               f"{request.right.alias}.{request.right.column})")
    if any(call_name(n) == "embed" for n in tree.find_all(exp.Anonymous)):
        needed.setdefault("embed", "embed(...)")
    return needed


def check_engine(tree: exp.Expression, requests: list, engine, sql: str) -> None:
    """Reject, with the call and a way out, a query that needs what `engine` cannot run."""
    missing = {f: call for f, call in needed_features(tree, requests).items() if f not in engine.features}
    if not missing:
        return
    feature, call = next(iter(missing.items()))
    others = "" if len(missing) == 1 else f" (nor {', '.join(FEATURES[f] for f in list(missing)[1:])})"
    raise SQLError(f"the {engine.kind} engine cannot run {FEATURES[feature]}{others}: {call}",
                   hint="run this query on the duckdb engine: hybridq.connect(catalog, engine='duckdb'), "
                        "or remove `engine:` from the catalog")


def engine_sql(tree: exp.Expression, dialect: str) -> str:
    """The text of a rewritten query for an engine other than DuckDB."""
    if dialect == "duckdb":
        return tree.sql(dialect="duckdb")
    lowered = tree.copy().transform(eliminate_qualify_keeping_order, copy=False)
    return lowered.transform(order_after_windows, copy=False).sql(dialect="duckdb")


def eliminate_qualify_keeping_order(node: exp.Expression) -> exp.Expression:
    """QUALIFY as a filter on a subquery; ORDER BY, LIMIT and OFFSET stay outside, where SQL applies them.

    >>> import sqlglot
    >>> q = sqlglot.parse_one("SELECT a, b AS s FROM t QUALIFY row_number() OVER (ORDER BY b) <= 2 ORDER BY t.a LIMIT 1")
    >>> eliminate_qualify_keeping_order(q).sql()
    'SELECT a, s FROM (SELECT a, b AS s, ROW_NUMBER() OVER (ORDER BY b) AS _w FROM t) AS _t WHERE _w <= 2 ORDER BY a LIMIT 1'
    """
    if not (isinstance(node, exp.Select) and node.args.get("qualify")):
        return node
    moved = _take_order(node)
    return _put_order(eliminate_qualify(node), node, moved)


def order_after_windows(node: exp.Expression) -> exp.Expression:
    """A SELECT with window functions is ordered outside it (Daft sorts only plain columns).

    >>> import sqlglot
    >>> q = sqlglot.parse_one("SELECT a, rank() OVER (ORDER BY b) AS r FROM t ORDER BY r, t.a LIMIT 2")
    >>> order_after_windows(q).sql()
    'SELECT * FROM (SELECT a, RANK() OVER (ORDER BY b) AS r FROM t) AS _o ORDER BY r, a LIMIT 2'
    """
    if not (isinstance(node, exp.Select) and node.args.get("order")
            and any(p.find(exp.Window) for p in node.expressions)):
        return node
    moved = _take_order(node)
    outer = exp.select("*").from_(node.subquery("_o", copy=False), copy=False)
    return _put_order(outer, node, moved)


def _take_order(select: exp.Select) -> dict:
    moved = {k: select.args.get(k) for k in ("order", "limit", "offset")}
    for key in moved:
        select.set(key, None)
    return moved


def _put_order(outer: exp.Select, inner: exp.Select, moved: dict) -> exp.Select:
    order = moved["order"]
    if order is not None:
        names = {p.alias_or_name for p in inner.expressions}
        for column in list(order.find_all(exp.Column)):
            if column.table and column.name in names:
                column.replace(exp.column(column.name))  # the output column: the table is inside now
    for key, value in moved.items():
        if value is not None:
            outer.set(key, value)
    return outer
