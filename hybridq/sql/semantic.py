"""Semantic calls in a query: finding them, resolving their columns, and the requests they become.

Rewrite rules turn each semantic call into a reference to a column of a relation that the planner
computes (scores per row, top-k rows, pair scores). The relation's placeholder table node carries
its request in `node.meta["hq"]`.
"""

from __future__ import annotations

from typing import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, build_scope, walk_in_scope

from hybridq.catalog.model import Catalog
from hybridq.engine.requests import ColumnRef
from hybridq.errors import SQLError
from hybridq.sql.functions import FUNCTIONS, SCORING
from hybridq.sql.parse import where_of



def call_name(node: exp.Expression) -> str | None:
    """The semantic function a node calls, or None."""
    if isinstance(node, exp.VectorSearch):
        return "vector_search"
    if isinstance(node, exp.Anonymous):
        name = str(node.this).lower()
        return name if name in FUNCTIONS else None
    return None


def scoring_calls(tree: exp.Expression) -> Iterator[exp.Anonymous]:
    for node in tree.find_all(exp.Anonymous):
        if call_name(node) in SCORING:
            yield node


def scopes_of(tree: exp.Expression) -> dict[int, Scope]:
    """id(node) -> the scope whose own part of the tree holds the node."""
    root = build_scope(tree)
    owner: dict[int, Scope] = {}
    if root is None:
        return owner
    for scope in root.traverse():
        for node in walk_in_scope(scope.expression):
            owner.setdefault(id(node), scope)
    return owner


def defining_scope(scope: Scope, alias: str) -> tuple[Scope, exp.Expression | Scope] | None:
    """The scope (this one or an enclosing one) where `alias` is a source, and the source."""
    current = scope
    while current is not None:
        source = current.sources.get(alias)
        if source is not None:
            return current, source
        current = current.parent
    return None


def source_alias(scope: Scope, alias: str) -> str:
    """`alias` as a source of `scope` (or an enclosing scope) spells it; SQL names ignore case."""
    current = scope
    while current is not None:
        if alias in current.sources:
            return alias
        spelled = next((a for a in current.sources if a.lower() == alias.lower()), None)
        if spelled is not None:
            return spelled
        current = current.parent
    return alias


def resolve_column(column: exp.Column, scope: Scope, catalog: Catalog, sql: str, fn: str) -> tuple[ColumnRef, Scope]:
    """The table occurrence a semantic function's column argument refers to."""
    name = column.name
    if column.table:
        alias = source_alias(scope, column.table)
        found = defining_scope(scope, alias)
        if found is None:
            raise SQLError(f"{fn}(): unknown table or alias '{column.table}'", where=where_of(column, sql),
                           hint="qualify the column with an alias from the FROM clause")
        owner, source = found
        return _to_ref(alias, source, name, catalog, sql, column, fn), owner
    current = scope
    while current is not None:
        matches = [
            (alias, src) for alias, src in current.sources.items()
            if isinstance(src, exp.Table) and catalog.find_table(src.name) is not None
            and catalog.table(src.name).find_column(name) is not None
        ]
        if len(matches) > 1:
            raise SQLError(f"{fn}(): column '{name}' is ambiguous ({', '.join(a for a, _ in matches)})",
                           where=where_of(column, sql), hint=f"qualify it, e.g. {matches[0][0]}.{name}")
        if matches:
            alias, src = matches[0]
            return _to_ref(alias, src, name, catalog, sql, column, fn), current
        current = current.parent
    raise SQLError(f"{fn}(): unknown column '{name}'", where=where_of(column, sql),
                   hint="semantic columns: " + _semantic_list(catalog))


def _to_ref(alias: str, source, name: str, catalog: Catalog, sql: str, node: exp.Expression, fn: str) -> ColumnRef:
    if not isinstance(source, exp.Table) or catalog.find_table(source.name) is None:
        raise SQLError(f"{fn}() needs a column of a catalog table, but '{alias}' is a subquery or CTE",
                       where=where_of(node, sql),
                       hint=f"call {fn}() inside the subquery, on the table's own column")
    table = catalog.find_table(source.name)
    spec = catalog.tables[table]
    column = spec.find_column(name)
    if column is None:
        raise SQLError(f"{fn}(): table {table} has no column '{name}'", where=where_of(node, sql),
                       hint=f"semantic columns of {table}: " + (", ".join(spec.semantic_columns()) or "none"))
    if spec.columns[column].semantic is None:
        raise SQLError(f"{fn}(): {table}.{column} is not a semantic column", where=where_of(node, sql),
                       hint="semantic columns: " + _semantic_list(catalog))
    return ColumnRef(alias, table, column)


def _semantic_list(catalog: Catalog) -> str:
    return ", ".join(f"{t}.{c}" for t, c in catalog.semantic_columns()) or "none (mark a text column semantic)"


def text_argument(node: exp.Expression, sql: str, fn: str) -> str:
    """A query text argument: a string constant."""
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    raise SQLError(f"{fn}(): the text must be a string constant or a semantic column", where=where_of(node, sql),
                   hint=f"e.g. {fn}(t.body, 'refund delays')")


def conjuncts(condition: exp.Expression | None) -> list[exp.Expression]:
    if condition is None:
        return []
    if isinstance(condition, exp.And):
        return conjuncts(condition.left) + conjuncts(condition.right)
    if isinstance(condition, exp.Paren):
        return conjuncts(condition.this) if isinstance(condition.this, exp.And) else [condition]
    return [condition]


def filters_on(scope: Scope, alias: str, catalog: Catalog, table: str,
               condition: exp.Expression | None = None) -> list[exp.Expression]:
    """WHERE conjuncts of `scope` (or of `condition`, such as a join's ON) that read only columns of
    `alias` (copies, qualified with `alias`).

    They narrow the rows whose scores are needed. Conjuncts with subqueries, semantic calls,
    aggregates, windows or volatile functions are left to DuckDB alone.
    """
    select = scope.expression
    if not isinstance(select, exp.Select):
        return []
    if condition is None:
        where = select.args.get("where")
        condition = where.this if where else None
    out = []
    spec = catalog.tables[table]
    others = {a for a in scope.sources if a != alias}
    for cond in conjuncts(condition):
        if any(isinstance(n, (exp.Subquery, exp.Select, exp.AggFunc, exp.Window, exp.Rand)) for n in cond.walk()):
            continue
        if any(call_name(n) for n in cond.walk()):
            continue
        columns = list(cond.find_all(exp.Column))
        if not columns:
            continue
        ok = True
        for col in columns:
            if col.table:
                # a column the table lacks is left for DuckDB to report, with the query's own error handling
                ok = col.table.lower() == alias.lower() and spec.find_column(col.name) is not None
            else:
                ok = spec.find_column(col.name) is not None and not any(
                    isinstance(scope.sources[o], exp.Table) and _has_column(catalog, scope.sources[o], col.name)
                    for o in others)
            if not ok:
                break
        if ok:
            copy = cond.copy()
            for col in copy.find_all(exp.Column):
                col.set("table", exp.to_identifier(alias))
            out.append(copy)
    return out


def _has_column(catalog: Catalog, table: exp.Table, name: str) -> bool:
    found = catalog.find_table(table.name)
    return found is not None and catalog.tables[found].find_column(name) is not None


def placeholder(name: str, alias: str, request) -> exp.Table:
    node = exp.Table(this=exp.to_identifier(name), alias=exp.TableAlias(this=exp.to_identifier(alias)))
    node.meta["hq"] = request
    return node


def requests_in(tree: exp.Expression) -> list:
    return [t.meta["hq"] for t in tree.find_all(exp.Table) if "hq" in t.meta]
