"""Rules about relationships between tables."""

from __future__ import annotations

from typing import Iterator

from hybridq.catalog.issues import Issue, suggestion
from hybridq.catalog.rules.context import RuleContext, parse_type, type_family


def split_ref(ref: str) -> tuple[str, str] | None:
    parts = ref.split(".")
    return (parts[0].strip(), parts[1].strip()) if len(parts) == 2 and all(p.strip() for p in parts) else None


def _check_ref(ctx: RuleContext, path, ref: str) -> Iterator[Issue]:
    parsed = split_ref(ref)
    if parsed is None:
        yield ctx.issue(path, f"'{ref}' is not a table.column reference", "write it as table.column, e.g. orders.customer_id")
        return
    table, column = parsed
    if not ctx.table_known(table):
        yield ctx.issue(path, f"unknown table '{table}' in {ref}", suggestion(table, ctx.catalog.tables, "tables"))
    elif not ctx.column_known(table, column):
        columns = ctx.catalog.table(table).columns
        yield ctx.issue(path, f"unknown column {table}.{column}", suggestion(column, columns, f"columns of {table}"))


def check_relationship_references(ctx: RuleContext) -> Iterator[Issue]:
    for i, rel in enumerate(ctx.catalog.relationships):
        yield from _check_ref(ctx, ("relationships", i, "from"), rel.from_)
        yield from _check_ref(ctx, ("relationships", i, "to"), rel.to)


def _column_type(ctx: RuleContext, ref: str) -> str | None:
    parsed = split_ref(ref)
    if parsed is None or ctx.catalog.find_table(parsed[0]) is None:
        return None
    table = ctx.catalog.table(parsed[0])
    column = table.find_column(parsed[1])
    return table.columns[column].type if column else None


def check_relationship_key_types(ctx: RuleContext) -> Iterator[Issue]:
    for i, rel in enumerate(ctx.catalog.relationships):
        left, right = _column_type(ctx, rel.from_), _column_type(ctx, rel.to)
        if left is None or right is None:
            continue
        # An unknown type is reported by check_column_types; comparing it would only repeat that.
        if parse_type(left) is not None and parse_type(right) is not None and type_family(left) != type_family(right):
            yield ctx.issue(("relationships", i),
                            f"key types differ: {rel.from_} is {left} but {rel.to} is {right}",
                            "joins on these columns would compare different types; give both the same type")
        table, column = split_ref(rel.to)
        target = ctx.catalog.table(table)
        # A primary key naming a missing column is reported by check_primary_keys.
        key_ok = all(target.find_column(c) is not None for c in target.primary_key)
        if target.primary_key and key_ok and [c.lower() for c in target.primary_key] != [column.lower()]:
            yield ctx.issue(("relationships", i, "to"),
                            f"{rel.to} is not the primary key of {table} ({', '.join(target.primary_key)})",
                            "relationships are read as many-to-one: 'to' should name the referenced table's key",
                            level="warning")
