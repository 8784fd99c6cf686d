"""The guard: a query may only read catalog tables, with known functions.

Statements other than one SELECT are stopped by `parse_query`. Here the tree is walked as a binder
resolves names: a table reference is allowed only if it is a catalog table or a CTE visible at that
point (a CTE is visible in the query that defines it, after its definition, and in that query's
subqueries; DuckDB resolves any other name to the catalog, where system views such as pg_settings
live). Node types are allow-listed: anything that is not part of a read-only query is refused,
whatever it is called. Every function must be a DuckDB scalar/aggregate/window function or a
semantic function, and table functions are limited to the few that read no files.

The query connection also runs with DuckDB external access disabled, so this is the first of two
locks, and the one that gives the clear message.
"""

from __future__ import annotations

import functools
import re

import duckdb
from sqlglot import exp

from hybridq.catalog.issues import did_you_mean
from hybridq.catalog.model import Catalog
from hybridq.errors import ForbiddenStatement, SQLError
from hybridq.sql.functions import FUNCTIONS
from hybridq.sql.parse import where_of

TABLE_FUNCTIONS = {"vector_search", "unnest", "range", "generate_series"}
DENIED_FUNCTIONS = {"getenv", "current_setting", "sql_auto_complete", "enable_logging", "disable_logging",
                    "truncate_duckdb_logs", "checkpoint", "force_checkpoint", "write_log", "nextval", "currval",
                    "setval", "sleep_ms", "pg_sleep"}
# Macros whose definition reads the database's internals (pg_get_viewdef reads duckdb_views(), ...).
INTERNALS = re.compile(r"\b(duckdb_\w+|pragma_\w+|sqlite_\w+|pg_catalog|information_schema|pg_\w+)\s*\(?", re.I)
# The parts of a read-only query. Functions, operators and predicates are allowed by their base
# classes (functions are then checked by name); anything else, a statement above all, is refused.
ALLOWED_NODES = tuple(
    getattr(exp, name) for name in (
        "Select", "Union", "Intersect", "Except", "Subquery", "With", "CTE", "From", "Join", "Where", "Group",
        "GroupingSets", "Cube", "Rollup", "Having", "Qualify", "Order", "Ordered", "Limit", "Offset", "Fetch",
        "Distinct", "Lateral", "Values", "Table", "TableAlias", "Alias", "Aliases", "Star", "Column", "Identifier",
        "Literal", "Null", "Boolean", "Tuple", "Bracket", "Slice", "DataType", "DataTypeParam", "ColumnDef",
        "Interval", "IntervalSpan", "Window", "WindowSpec", "Filter", "WithinGroup", "IgnoreNulls", "RespectNulls",
        "HavingMax", "Lambda", "Placeholder", "Parameter", "Var", "Pivot", "PivotAlias", "UnpivotColumns",
        "TableSample", "Comprehension", "AtTimeZone", "FromTimeZone", "PositionalColumn", "RawString", "HexString",
        "BitString", "ByteString", "UnicodeString", "National", "PseudoType", "JSONPath", "JSONPathKey",
        "JSONPathRoot", "JSONPathSubscript", "JSONPathSlice", "JSONPathWildcard", "JSONPathSelector",
        "JSONPathUnion", "JSONPathFilter", "JSONPathRecursive", "JSONPathScript", "JSONPathPart", "Columns",
        "LimitOptions", "PivotAny", "Heredoc",
    ) if hasattr(exp, name)
) + (exp.Func, exp.Binary, exp.Unary, exp.Predicate)
STATEMENT_LABELS = {"TruncateTable": "TRUNCATE", "Transaction": "BEGIN", "LoadData": "LOAD"}
# Statement keywords that sqlglot reads as a table name inside parentheses: `FROM (SHOW TABLES)`.
KEYWORD_TABLES = {"SHOW", "DESCRIBE", "DESC", "SUMMARIZE", "PRAGMA", "EXPLAIN", "CALL"}
FILE_LIKE = re.compile(r"[/\\]|\.(csv|tsv|parquet|json|jsonl|ndjson|txt|db|duckdb|sqlite|xlsx?)(\.gz)?$", re.I)


@functools.lru_cache(maxsize=1)
def _function_names() -> tuple[frozenset[str], frozenset[str]]:
    """(DuckDB's scalar, aggregate and window functions and macros, the macros among them that read
    the database's internals)."""
    con = duckdb.connect(":memory:")
    try:
        rows = con.execute(
            "SELECT DISTINCT lower(function_name), function_type, macro_definition FROM duckdb_functions() "
            "WHERE function_type NOT IN ('table', 'table_macro', 'pragma')"
        ).fetchall()
    finally:
        con.close()
    internal = frozenset(name for name, kind, body in rows if kind == "macro" and body and INTERNALS.search(body))
    return frozenset(name for name, _, _ in rows), internal


def duckdb_functions() -> frozenset[str]:
    """The functions a query may call by name (not table functions): DuckDB's own, without those
    that read settings, the environment or the database's internals, sleep, or change state."""
    names, internal = _function_names()
    return names - internal - DENIED_FUNCTIONS


def function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    if isinstance(node, exp.VectorSearch):
        return "vector_search"
    return node.sql_name().lower()


def check_query(tree: exp.Query, catalog: Catalog, sql: str) -> set[str]:
    """Raise ForbiddenStatement or SQLError at the first part of `tree` that is not allowed;
    returns the catalog tables the query reads."""
    known_functions = duckdb_functions()
    tables: set[str] = set()
    # (node, names of the CTEs visible at it); a stack, not recursion: long operator chains are deep trees
    stack: list[tuple[exp.Expression, frozenset[str]]] = [(tree, frozenset())]
    while stack:
        node, ctes = stack.pop()
        read = _check_node(node, catalog, ctes, known_functions, sql)
        if read:
            tables.add(read)
        visible = ctes
        with_ = node.args.get("with_") if isinstance(node, exp.Query) else None
        if isinstance(with_, exp.With):
            _check_node(with_, catalog, ctes, known_functions, sql)
            recursive = bool(with_.args.get("recursive"))
            for cte in with_.expressions:
                name = cte.alias_or_name.lower()
                # A CTE sees the ones defined before it, and itself only under WITH RECURSIVE: in
                # `WITH pg_settings AS (SELECT * FROM pg_settings)` the inner name is the system view.
                stack.append((cte.this, visible | {name} if recursive else visible))
                visible = visible | {name}
        for key, value in node.args.items():
            if key == "with_" and with_ is not None:
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, exp.Expression):
                    stack.append((child, visible))
    return tables


def _check_node(node: exp.Expression, catalog: Catalog, ctes: frozenset[str], known: frozenset[str],
                sql: str) -> str | None:
    """Check one node; the catalog table it reads, if it is a reference to one."""
    if not isinstance(node, ALLOWED_NODES):
        raise _not_allowed(node, sql)
    if isinstance(node, exp.Table):
        return _check_table(node, catalog, ctes, sql)
    elif isinstance(node, exp.Lateral):
        inner = node.this
        if isinstance(inner, exp.Func) and function_name(inner) not in TABLE_FUNCTIONS:
            raise ForbiddenStatement(
                f"table function {function_name(inner)}() is not allowed: queries read only the catalog's tables",
                where=where_of(inner, sql),
                hint="for each row's closest rows use LATERAL vector_search('table.column', t.column, k)",
            )
        if not isinstance(inner, (exp.Func, exp.Subquery, exp.Query)):
            raise SQLError("LATERAL is supported with a subquery, vector_search() and unnest()",
                           where=where_of(node, sql),
                           hint="for each row's closest rows use LATERAL vector_search('table.column', t.column, k)")
    elif isinstance(node, exp.Func):
        _check_function(node, known, sql)
        if isinstance(node, exp.VectorSearch) or function_name(node) == "vector_search":
            target = node.this if isinstance(node, exp.VectorSearch) else (node.expressions or [None])[0]
            if isinstance(target, exp.Literal) and target.is_string:
                return catalog.find_table(target.this.split(".", 1)[0])
    return None


def _not_allowed(node: exp.Expression, sql: str) -> ForbiddenStatement:
    if isinstance(node, exp.Command):
        label = str(node.this).upper()
    else:
        label = STATEMENT_LABELS.get(type(node).__name__, type(node).__name__.upper())
    return ForbiddenStatement(f"{label} statements are not allowed: queries are read-only", where=where_of(node, sql),
                              hint="write one SELECT (a WITH clause is fine) over the catalog's tables")


def _check_table(node: exp.Table, catalog: Catalog, ctes: frozenset[str], sql: str) -> str | None:
    inner = node.this
    if isinstance(inner, exp.Func):
        name = function_name(inner)
        if name not in TABLE_FUNCTIONS:
            raise ForbiddenStatement(
                f"table function {name}() is not allowed: queries read only the catalog's tables",
                where=where_of(inner, sql),
                hint="refresh a source into the catalog instead of reading files or URLs in a query",
            )
        return None
    name = node.name
    if not name:
        return None
    schema = node.args.get("db")
    if node.args.get("catalog") is not None or (schema is not None and schema.name.lower() != "main"):
        qualified = ".".join(p.name for p in node.parts)
        raise ForbiddenStatement(f"table {qualified} is not a catalog table", where=where_of(node, sql),
                                 hint=_tables_hint(name, catalog))
    if schema is None and name.lower() in ctes:
        return None
    if catalog.find_table(name) is not None:
        return catalog.find_table(name)
    if isinstance(inner, exp.Identifier) and not inner.quoted and name.upper() in KEYWORD_TABLES:
        label = "DESCRIBE" if name.upper() == "DESC" else name.upper()
        raise ForbiddenStatement(f"{label} statements are not allowed: queries are read-only",
                                 where=where_of(node, sql),
                                 hint="write one SELECT (a WITH clause is fine) over the catalog's tables")
    if FILE_LIKE.search(name):
        raise ForbiddenStatement(f"reading files is not allowed: '{name}'", where=where_of(node, sql),
                                 hint="add the file as a source in the catalog and refresh")
    if _internal_name(name):  # main.duckdb_views is the system view too
        raise ForbiddenStatement(f"table {name} is not a catalog table: queries read only the catalog's tables",
                                 where=where_of(node, sql), hint=_tables_hint(name, catalog))
    raise SQLError(f"unknown table '{name}'", where=where_of(node, sql), hint=_tables_hint(name, catalog))


@functools.lru_cache(maxsize=1)
def _system_views() -> frozenset[str]:
    """Names DuckDB resolves to its own views when no table or CTE has them (pg_settings, ...)."""
    con = duckdb.connect(":memory:")
    try:
        rows = con.execute("SELECT DISTINCT lower(view_name) FROM duckdb_views()").fetchall()
    finally:
        con.close()
    return frozenset(r[0] for r in rows)


def _internal_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in _system_views() or lowered.startswith(("duckdb_", "pg_", "sqlite_", "_hq"))


def _tables_hint(name: str, catalog: Catalog) -> str:
    close = did_you_mean(name, catalog.tables)
    if close:
        return f"did you mean '{close}'?"
    return "catalog tables: " + ", ".join(sorted(catalog.tables))


def _check_function(node: exp.Func, known: frozenset[str], sql: str) -> None:
    name = function_name(node)
    if name in FUNCTIONS and isinstance(node, (exp.Anonymous, exp.VectorSearch)):
        # sqlglot reads vector_search() as its own node type, the other semantic functions as calls
        if FUNCTIONS[name].table_function and not isinstance(node.parent, (exp.Table, exp.Lateral)):
            raise SQLError(f"{name}() is a table function: use it in FROM", where=where_of(node, sql),
                           hint=f"SELECT * FROM {FUNCTIONS[name].signature}")
        return
    if name in DENIED_FUNCTIONS:
        raise ForbiddenStatement(f"{name}() is not allowed in queries", where=where_of(node, sql),
                                 hint="queries may not read settings or the environment, sleep, or change state")
    if name in _function_names()[1]:
        raise ForbiddenStatement(f"{name}() is not allowed: it reads the database's internals",
                                 where=where_of(node, sql), hint="queries read only the catalog's tables")
    if not isinstance(node, exp.Anonymous):
        if isinstance(node, (exp.ReadCSV,)) or name.startswith("read_"):
            raise ForbiddenStatement(f"{name}() is not allowed: queries cannot read files",
                                     where=where_of(node, sql), hint="add the file as a source in the catalog")
        return
    if name in known:
        return
    if name.startswith(("read_", "glob", "parquet_", "iceberg_", "delta_", "sniff_", "duckdb_", "pragma_", "pg_")):
        raise ForbiddenStatement(f"{name}() is not allowed: queries read only the catalog's tables",
                                 where=where_of(node, sql), hint="add the data as a source in the catalog")
    close = did_you_mean(name, list(FUNCTIONS) + sorted(known))
    raise SQLError(f"unknown function {name}()", where=where_of(node, sql),
                   hint=f"did you mean {close}()?" if close else
                   "semantic functions: " + ", ".join(sorted(FUNCTIONS)))
