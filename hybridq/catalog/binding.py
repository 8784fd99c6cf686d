"""Bind the SQL written inside a catalog (glossary terms, examples) against the catalog's tables."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError

from hybridq.catalog.issues import suggestion
from hybridq.catalog.model import Catalog


@dataclass(frozen=True)
class Problem:
    message: str
    hint: str | None = None


def parse_expression(sql: str) -> tuple[exp.Expression | None, Problem | None]:
    try:
        node = sqlglot.parse_one(sql, dialect="duckdb")
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        desc = first.get("description", str(exc))
        return None, Problem(f"cannot parse SQL '{sql}': {desc}", "glossary SQL is a DuckDB expression such as customers.segment = 'Enterprise'")
    if node is None:
        return None, Problem("empty SQL", "write an expression")
    return node, None


def bind_columns(node: exp.Expression, catalog: Catalog, unchecked: frozenset[str] = frozenset()) -> list[Problem]:
    """Every column must name a catalog table's column; unqualified ones must be unambiguous.

    Tables and table.columns named in `unchecked` (lower case) are taken on trust: they failed
    schema validation, which is reported already.
    """
    problems = []
    for column in node.find_all(exp.Column):
        name = column.name
        if column.table and {column.table.lower(), f"{column.table}.{name}".lower()} & unchecked:
            continue
        if column.table:
            table = catalog.find_table(column.table)
            if table is None:
                problems.append(Problem(f"unknown table '{column.table}' in {column.sql()}",
                                        suggestion(column.table, catalog.tables, "tables")))
            elif catalog.tables[table].find_column(name) is None:
                problems.append(Problem(f"unknown column {column.table}.{name}",
                                        suggestion(name, catalog.tables[table].columns, f"columns of {table}")))
            continue
        owners = [t for t, tab in catalog.tables.items() if tab.find_column(name) is not None]
        if not owners and any(u.endswith("." + name.lower()) or "." not in u for u in unchecked):
            continue
        if not owners:
            every = {c for tab in catalog.tables.values() for c in tab.columns}
            problems.append(Problem(f"unknown column '{name}'", suggestion(name, every, "columns")))
        elif len(owners) > 1:
            problems.append(Problem(f"column '{name}' is ambiguous: it exists in {', '.join(owners)}",
                                    f"qualify it, e.g. {owners[0]}.{name}"))
    return problems


def has_aggregate(node: exp.Expression) -> bool:
    return any(True for _ in node.find_all(exp.AggFunc))


def is_predicate(node: exp.Expression, catalog: Catalog | None = None) -> bool:
    """True for a condition: a comparison, a boolean combination, or a BOOLEAN column."""
    if isinstance(node, exp.Column) and catalog is not None:
        owners = [t for t in catalog.tables.values() if t.find_column(node.name)]
        table = catalog.find_table(node.table) if node.table else (owners[0] if len(owners) == 1 else None)
        spec = catalog.tables[table] if isinstance(table, str) else table
        column = spec.find_column(node.name) if spec else None
        return column is not None and spec.columns[column].type.upper() in ("BOOLEAN", "BOOL")
    return isinstance(node, (exp.Predicate, exp.Connector, exp.Not, exp.Boolean, exp.Paren)) or (
        isinstance(node, exp.Anonymous) and node.name.lower() in ("semantic_match", "keyword_match")
    )


def catalog_schema(catalog: Catalog) -> dict:
    return {t: {c: col.type for c, col in tab.columns.items()} for t, tab in catalog.tables.items()}


def bind_query(sql: str, catalog: Catalog, unchecked: frozenset[str] = frozenset()) -> list[Problem]:
    """Parse a full query and check its tables and columns against the catalog."""
    from sqlglot.optimizer.qualify import qualify

    try:
        statements = sqlglot.parse(sql, dialect="duckdb")
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        return [Problem(f"cannot parse SQL: {first.get('description', exc)}", "check the SQL syntax")]
    statements = [s for s in statements if s is not None]
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        return [Problem("expected exactly one SELECT statement", "examples are read-only questions")]
    tree = statements[0]
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    problems = []
    for table in tree.find_all(exp.Table):
        if not table.name or table.name.lower() in ctes or isinstance(table.this, exp.Func):
            continue
        if catalog.find_table(table.name) is None and table.name.lower() not in unchecked:
            problems.append(Problem(f"unknown table '{table.name}'", suggestion(table.name, catalog.tables, "tables")))
    if problems or any("." not in u for u in unchecked):
        return problems
    schema = catalog_schema(catalog)
    for name in unchecked:
        # A column left out after a schema error (already reported) still resolves here.
        table, column = name.split(".", 1)
        schema.setdefault(catalog.find_table(table) or table, {}).setdefault(column, "VARCHAR")
    try:
        qualify(tree.copy(), schema=schema, dialect="duckdb", validate_qualify_columns=True, identify=False)
    except OptimizeError as exc:
        return [_column_problem(str(exc), tree, catalog)]
    except Exception:
        # Constructs the qualifier does not model (table functions, semantic calls) are checked
        # when the query runs; only definite binding errors are reported here.
        return []
    return []


_UNRESOLVED = re.compile(r"Column '(?P<name>[^']+)' could not be resolved(?: for table: '(?P<table>[^']+)')?")
_UNKNOWN = re.compile(r"Unknown column: (?P<name>\S+)")
_AMBIGUOUS = re.compile(r"Ambiguous column '(?P<name>[^']+)'")


def _column_problem(error: str, tree: exp.Expression, catalog: Catalog) -> Problem:
    """The qualifier's error about a column, phrased like the glossary's and with a did-you-mean."""
    first_line = error.splitlines()[0] if error else error
    m = _UNRESOLVED.search(first_line) or _UNKNOWN.search(first_line) or _AMBIGUOUS.search(first_line)
    if m is None:
        return Problem(first_line, "check the column names against the catalog")
    name, qualifier = m["name"], m.groupdict().get("table")
    used = [t for t in dict.fromkeys(catalog.find_table(x.name) for x in tree.find_all(exp.Table)) if t]
    if qualifier:
        # Qualified by a name the query does not define.
        known = {x.alias_or_name for x in tree.find_all(exp.Table, exp.Subquery, exp.CTE) if x.alias_or_name}
        return Problem(f"unknown table or alias '{qualifier}' in {qualifier}.{name}",
                       suggestion(qualifier, known, "tables and aliases in the query"))
    owners = [t for t in used if catalog.tables[t].find_column(name)]
    if m.re is _AMBIGUOUS or (m.re is _UNRESOLVED and len(owners) > 1):
        return Problem(f"column '{name}' is ambiguous: it exists in {', '.join(owners)}" if owners
                       else f"column '{name}' is ambiguous", "qualify it with its table or alias")
    node = None
    if m.re is _UNKNOWN:
        node = next((c for c in tree.find_all(exp.Column) if c.table and c.name.lower() == name.lower()), None)
    shown = node.sql(dialect="duckdb") if node is not None else f"'{name}'"
    columns = {c for t in used for c in catalog.tables[t].columns}
    return Problem(f"unknown column {shown}", suggestion(name, columns, f"columns of {', '.join(used)}"))
