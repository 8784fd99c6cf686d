"""The guard: a query may only read catalog tables, with known functions.

Statements other than one SELECT are stopped by `parse_query`. Here every table reference must be
a catalog table or a CTE, every table function must be one of the few that read no files, and
every function must be a DuckDB scalar/aggregate/window function or a semantic function.
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
                    "truncate_duckdb_logs", "checkpoint", "force_checkpoint"}
# Statements sqlglot can parse inside a SELECT (a data-modifying CTE such as
# `WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d`); parse_query only sees the outer SELECT.
NESTED_STATEMENTS = tuple(
    getattr(exp, name) for name in (
        "Insert", "Update", "Delete", "Merge", "Copy", "Create", "Drop", "Alter", "TruncateTable", "Command", "Set",
        "Pragma", "Attach", "Detach", "Use", "Transaction", "Commit", "Rollback", "Describe", "Summarize", "Install",
        "Export", "Analyze", "Grant", "Revoke", "Refresh", "Cache", "Uncache", "LoadData", "Kill",
    ) if hasattr(exp, name)
)
STATEMENT_LABELS = {"TruncateTable": "TRUNCATE", "Transaction": "BEGIN", "LoadData": "LOAD"}
FILE_LIKE = re.compile(r"[/\\]|\.(csv|tsv|parquet|json|jsonl|ndjson|txt|db|duckdb|sqlite|xlsx?)(\.gz)?$", re.I)


@functools.lru_cache(maxsize=1)
def duckdb_functions() -> frozenset[str]:
    """Names of DuckDB's scalar, aggregate and window functions and macros (not table functions)."""
    con = duckdb.connect(":memory:")
    try:
        rows = con.execute(
            "SELECT DISTINCT lower(function_name) FROM duckdb_functions() "
            "WHERE function_type NOT IN ('table', 'table_macro', 'pragma')"
        ).fetchall()
    finally:
        con.close()
    return frozenset(r[0] for r in rows) - DENIED_FUNCTIONS


def function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    if isinstance(node, exp.VectorSearch):
        return "vector_search"
    return node.sql_name().lower()


def check_query(tree: exp.Query, catalog: Catalog, sql: str) -> None:
    """Raise ForbiddenStatement or SQLError at the first part of `tree` that is not allowed."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    known_functions = duckdb_functions()
    for node in tree.walk():
        if isinstance(node, NESTED_STATEMENTS):
            raise _nested_statement(node, sql)
        if isinstance(node, exp.Table):
            _check_table(node, catalog, ctes, sql)
        elif isinstance(node, exp.Lateral):
            # a LATERAL subquery is checked like any other part of the query as the walk goes on
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
            _check_function(node, known_functions, sql)


def _nested_statement(node: exp.Expression, sql: str) -> ForbiddenStatement:
    if isinstance(node, exp.Command):
        label = str(node.this).upper()
    else:
        label = STATEMENT_LABELS.get(type(node).__name__, type(node).__name__.upper())
    return ForbiddenStatement(f"{label} statements are not allowed: queries are read-only", where=where_of(node, sql),
                              hint="write one SELECT (a WITH clause is fine) over the catalog's tables")


def _check_table(node: exp.Table, catalog: Catalog, ctes: set[str], sql: str) -> None:
    inner = node.this
    if isinstance(inner, exp.Func):
        name = function_name(inner)
        if name not in TABLE_FUNCTIONS:
            raise ForbiddenStatement(
                f"table function {name}() is not allowed: queries read only the catalog's tables",
                where=where_of(inner, sql),
                hint="refresh a source into the catalog instead of reading files or URLs in a query",
            )
        return
    name = node.name
    if not name:
        return
    schema = node.args.get("db")
    if node.args.get("catalog") is not None or (schema is not None and schema.name.lower() != "main"):
        qualified = ".".join(p.name for p in node.parts)
        raise ForbiddenStatement(f"table {qualified} is not a catalog table", where=where_of(node, sql),
                                 hint=_tables_hint(name, catalog))
    if schema is None and name.lower() in ctes:
        return
    if catalog.find_table(name) is not None:
        return
    if FILE_LIKE.search(name):
        raise ForbiddenStatement(f"reading files is not allowed: '{name}'", where=where_of(node, sql),
                                 hint="add the file as a source in the catalog and refresh")
    raise SQLError(f"unknown table '{name}'", where=where_of(node, sql), hint=_tables_hint(name, catalog))


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
    if not isinstance(node, exp.Anonymous):
        if isinstance(node, (exp.ReadCSV,)) or function_name(node).startswith("read_"):
            raise ForbiddenStatement(f"{function_name(node)}() is not allowed: queries cannot read files",
                                     where=where_of(node, sql), hint="add the file as a source in the catalog")
        return
    if name in known:
        return
    if name in DENIED_FUNCTIONS:
        raise ForbiddenStatement(f"{name}() is not allowed in queries", where=where_of(node, sql),
                                 hint="queries may not read settings or the environment")
    if name.startswith(("read_", "glob", "parquet_", "iceberg_", "delta_", "sniff_", "duckdb_", "pragma_")):
        raise ForbiddenStatement(f"{name}() is not allowed: queries read only the catalog's tables",
                                 where=where_of(node, sql), hint="add the data as a source in the catalog")
    close = did_you_mean(name, list(FUNCTIONS) + sorted(known))
    raise SQLError(f"unknown function {name}()", where=where_of(node, sql),
                   hint=f"did you mean {close}()?" if close else
                   "semantic functions: " + ", ".join(sorted(FUNCTIONS)))
