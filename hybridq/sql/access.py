"""Access policies: a role's view of the catalog, bound to one caller's attributes.

The catalog's `access.roles` say which tables a role sees, which of their rows (a condition that
may use the caller's attributes, `caller('region')`) and which columns are hidden. `bind_view`
turns a role and the caller's attributes into an `AccessView`; the rewrite rule
`apply_access_policies` then puts the row filter on every reference to a table, semantic calls
included, and `check_access` refuses a query that names what the role cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import build_scope

from hybridq.catalog.model import Catalog
from hybridq.errors import AccessDenied
from hybridq.sql.parse import where_of

CALLER = "caller"


@dataclass
class AccessView:
    """What one caller of one role may see."""

    role: str
    attributes: dict
    full: Catalog  # the catalog the policies belong to
    catalog: Catalog  # the role's catalog: its tables only, hidden columns removed
    conditions: dict[str, exp.Expression] = field(default_factory=dict)  # table -> row filter (unqualified)
    hidden: dict[str, set[str]] = field(default_factory=dict)  # table -> hidden column names, lower case
    invisible: set[str] = field(default_factory=set)  # tables of the full catalog the role does not see

    @property
    def key(self) -> tuple:
        return self.role, tuple(sorted((k, repr(v)) for k, v in self.attributes.items()))

    def restricts(self, table: str) -> bool:
        return table in self.conditions or bool(self.hidden.get(table))

    def restricts_any(self, tree: exp.Expression) -> bool:
        """Whether a query reads a table whose rows or columns the role sees only in part."""
        return any(self.restricts(t) for _, t in table_references(tree, self.catalog))

    def visible_columns(self, table: str) -> list[str]:
        return list(self.catalog.tables[table].columns)


def caller_attributes(condition: exp.Expression) -> list[str]:
    """Names of the caller attributes a policy condition reads."""
    return [_caller_name(n) for n in condition.find_all(exp.Anonymous) if str(n.this).lower() == CALLER]


def _caller_name(node: exp.Anonymous) -> str:
    args = node.expressions
    if len(args) != 1 or not (isinstance(args[0], exp.Literal) and args[0].is_string):
        raise ValueError("caller() takes one attribute name in quotes, e.g. caller('region')")
    return args[0].this


def _literal(value) -> exp.Expression:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[_literal(v) for v in value])
    if value is None:
        return exp.Null()
    return exp.Literal.string(str(value))


def bind_view(catalog: Catalog, role: str, attributes: dict | None = None) -> AccessView:
    """The role's view of `catalog` for a caller with these attributes."""
    attributes = dict(attributes or {})
    roles = catalog.access.roles if catalog.access else {}
    if role not in roles:
        raise AccessDenied(f"role '{role}' is not defined in the catalog",
                           hint="roles: " + (", ".join(sorted(roles)) or "none (add access.roles to the catalog)"))
    spec = roles[role]
    policies = spec.tables
    visible = list(catalog.tables) if policies is None else [t for t in catalog.tables if t in policies]
    view = AccessView(role, attributes, catalog, catalog, invisible=set(catalog.tables) - set(visible))
    for table in visible:
        policy = (policies or {}).get(table)
        if policy is None:
            continue
        hidden = {c.lower() for c in policy.hide}
        if hidden:
            view.hidden[table] = hidden
        if policy.rows:
            condition = sqlglot.parse_one(policy.rows, dialect="duckdb")
            view.conditions[table] = _bind_caller(condition, attributes, role, table)
    view.catalog = _filtered_catalog(catalog, visible, view.hidden)
    return view


def _bind_caller(condition: exp.Expression, attributes: dict, role: str, table: str) -> exp.Expression:
    def substitute(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and str(node.this).lower() == CALLER:
            name = _caller_name(node)
            if name not in attributes:
                raise AccessDenied(f"the row policy of role '{role}' on {table} needs the caller's '{name}', "
                                   "which this API key does not have",
                                   hint=f"add it to the key: hybridq keys add CATALOG --role {role} --attr {name}=...")
            return _literal(attributes[name])
        return node

    return condition.transform(substitute)


def _filtered_catalog(catalog: Catalog, visible: list[str], hidden: dict[str, set[str]]) -> Catalog:
    """The catalog as the role sees it: only its tables, hidden columns gone, and the relationships,
    glossary terms and examples that speak only of what is left."""
    from hybridq.catalog.binding import bind_columns, bind_query, parse_expression

    tables = {}
    for name in visible:
        spec = catalog.tables[name]
        gone = hidden.get(name, set())
        tables[name] = spec.model_copy(update={"columns": {c: col for c, col in spec.columns.items()
                                                            if c.lower() not in gone}}) if gone else spec
    view = catalog.model_copy(update={"tables": tables, "relationships": [], "glossary": [], "examples": []})

    def has(ref: str) -> bool:
        table, _, column = ref.partition(".")
        found = view.find_table(table)
        return found is not None and view.tables[found].find_column(column) is not None

    view.relationships = [r for r in catalog.relationships if has(r.from_) and has(r.to)]
    for term in catalog.glossary:
        if term.kind == "entity":
            keep = view.find_table((term.sql or "").strip()) is not None
        else:
            node, problem = parse_expression(term.sql or "")
            keep = problem is None and not bind_columns(node, view)
        if keep:
            view.glossary.append(term)
    view.examples = [e for e in catalog.examples if not bind_query(e.sql, view)]
    return view


# -- checks on a query ---------------------------------------------------------------------------


def visible_ctes(node: exp.Expression) -> set[str]:
    """Lower-case names of the CTEs a table reference at `node` can mean, as a binder resolves them:
    those of every enclosing WITH, but inside a CTE only the ones defined before it."""
    names: set[str] = set()
    child, parent = node, node.parent
    while parent is not None:
        if isinstance(parent, exp.With):
            ctes = parent.expressions
            index = next((i for i, c in enumerate(ctes) if c is child), None)
            if index is not None:
                upto = index + 1 if parent.args.get("recursive") else index
                names |= {c.alias_or_name.lower() for c in ctes[:upto]}
        elif isinstance(parent, exp.Query):
            with_ = parent.args.get("with_") or parent.args.get("with")
            if with_ is not None and child is not with_:
                names |= {c.alias_or_name.lower() for c in with_.expressions}
        child, parent = parent, parent.parent
    return names


def table_references(tree: exp.Expression, catalog: Catalog):
    """(node, catalog table name) for every reference to a catalog table (not to a CTE, not to a
    relation the rewrite added)."""
    for node in tree.find_all(exp.Table):
        if node.meta.get("hq") is not None or isinstance(node.this, exp.Func) or not node.name:
            continue
        if node.args.get("db") is None and node.name.lower() in visible_ctes(node):
            continue
        found = catalog.find_table(node.name)
        if found is not None:
            yield node, found


def check_access(tree: exp.Expression, view: AccessView, sql: str) -> None:
    """Refuse (AccessDenied, HTTP 403) a query naming a table or column the role cannot see."""
    full = view.full
    for node, table in table_references(tree, full):
        if table in view.invisible:
            raise AccessDenied(f"table {table} is not visible to role '{view.role}'", where=where_of(node, sql),
                               hint="tables of this role: " + ", ".join(sorted(view.catalog.tables)))
    for node in tree.find_all(exp.Anonymous, exp.VectorSearch):
        first = node.this if isinstance(node, exp.VectorSearch) else (node.expressions[0] if node.expressions else None)
        name = str(node.this).lower() if isinstance(node, exp.Anonymous) else "vector_search"
        if name == "vector_search" and isinstance(first, exp.Literal) and first.is_string and "." in first.this:
            table, column = first.this.split(".", 1)
            found = full.find_table(table)
            if found in view.invisible:
                raise AccessDenied(f"table {found} is not visible to role '{view.role}'", where=where_of(first, sql),
                                   hint="tables of this role: " + ", ".join(sorted(view.catalog.tables)))
            if found is not None and column.lower() in view.hidden.get(found, set()):
                raise _hidden(found, column, view, first, sql)
    if not view.hidden:
        return
    root = build_scope(tree)
    if root is None:
        return
    for scope in root.traverse():
        for column in scope.columns:
            _check_column(column, scope, view, full, sql)


def _check_column(column: exp.Column, scope, view: AccessView, full: Catalog, sql: str) -> None:
    name = column.name.lower()
    current = scope
    while current is not None:
        sources = current.sources
        if column.table:
            source = next((s for a, s in sources.items() if a.lower() == column.table.lower()), None)
            if source is None:
                current = current.parent
                continue
            table = full.find_table(source.name) if isinstance(source, exp.Table) else None
            if table is not None and name in view.hidden.get(table, set()):
                raise _hidden(table, column.name, view, column, sql)
            return
        owners = []
        for alias, source in sources.items():
            if isinstance(source, exp.Table):
                table = full.find_table(source.name)
                if table is not None and full.tables[table].find_column(column.name) is not None:
                    owners.append((table, name in view.hidden.get(table, set())))
            elif name in {s.lower() for s in getattr(source.expression, "named_selects", [])}:
                owners.append((None, False))
        if owners:
            if all(hidden for _, hidden in owners):
                raise _hidden(owners[0][0], column.name, view, column, sql)
            return
        current = current.parent


def _hidden(table: str, column: str, view: AccessView, node: exp.Expression, sql: str) -> AccessDenied:
    return AccessDenied(f"column {table}.{column} is not visible to role '{view.role}'", where=where_of(node, sql),
                        hint=f"columns of {table} for this role: " + ", ".join(view.visible_columns(table)))
