"""What every source reader returns, and the typing step they share."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from hybridq.catalog.model import Source, Table
from hybridq.store.duck import quote

_names = itertools.count()


@dataclass(frozen=True)
class RowIssue:
    """A problem with one file or row; the row (or file) is quarantined and reported."""

    file: str | None
    line: int | None
    key: str | None
    message: str

    def format(self) -> str:
        where = self.file or ""
        if self.line:
            where += f":{self.line}"
        if self.key:
            where += f" (key {self.key})"
        return f"{where}: {self.message}" if where else self.message


@dataclass
class SourceRead:
    """Rows read from the changed files of a source.

    `rows` has the table's declared columns with their types, plus `_file`, `_line` and `_hash`.
    Files in `failed` could not be read at all and keep their stored rows. Files in `partial` had
    rows rejected, so rows missing from them are not taken as deleted.
    """

    rows: pa.Table
    issues: list[RowIssue] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    partial: set[str] = field(default_factory=set)
    # Sources that are not files (see refresh/external.py): `complete` rows are the whole source
    # (rows missing from them are deleted), else only changes, with the keys the source deleted
    # in `deleted`; `state` is the source's new position, committed with the rows; `on_commit`
    # runs once they are committed (a replication stream confirms its position then).
    complete: bool = True
    deleted: pa.Table | None = None
    state: dict | None = None
    on_commit: Callable[[], None] | None = None


@dataclass
class ReadContext:
    """What a reader needs: the source, the table it fills, and a scratch DuckDB that may read files."""

    name: str
    source: Source
    table: Table
    base_dir: Path
    scratch: duckdb.DuckDBPyConnection
    state: dict = field(default_factory=dict)  # what the store recorded of a non-file source's position
    live: dict = field(default_factory=dict)  # per-process handles of non-file sources (open connections)
    advance: Callable[[int], None] | None = None  # told of each file read (progress)

    def each_file(self, files: list[str]):
        """The files, one at a time; each counts as read when the next is asked for."""
        for shown in files:
            yield shown
            if self.advance is not None:
                self.advance(1)

    def temp_name(self, prefix: str) -> str:
        return f"_hq_{prefix}_{next(_names)}"

    def source_names(self) -> dict[str, str]:
        """Table column -> its name in the source (`source_column`, else the same name)."""
        return {c: col.source_column or c for c, col in self.table.columns.items()}


def as_text(value) -> str | None:
    """A raw value as text for casting: JSON for nested values, ISO for dates."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    return str(value)


def typed_from_records(ctx: ReadContext, records: list[dict], files: list[str], lines: list[int | None]) -> tuple[pa.Table, list[RowIssue]]:
    """Cast raw records to the declared column types; rows with values that do not fit are reported."""
    data = {c: pa.array([as_text(r.get(name)) for r in records], pa.string())
            for c, name in ctx.source_names().items()}
    data["_file"] = pa.array(files, pa.string())
    data["_line"] = pa.array(lines, pa.int64())
    raw = pa.table(data)
    name = ctx.temp_name("raw")
    ctx.scratch.register(name, raw)
    try:
        return finish(ctx, name, cast=True)
    finally:
        ctx.scratch.unregister(name)


def finish(ctx: ReadContext, relation: str, *, cast: bool) -> tuple[pa.Table, list[RowIssue]]:
    """The declared columns (cast when `cast`), `_file`, `_line` and a row content hash, in one
    query; rows with a value that does not fit its type are reported and left out."""
    columns = ctx.table.columns
    names = list(columns)
    hash_args = ", ".join(quote(c) for c in columns)
    if not cast:
        table = ctx.scratch.sql(
            f"SELECT {hash_args}, _file, _line, hash({hash_args}) AS _hash FROM {relation}").to_arrow_table()
        return table, []
    checks = [
        f"CASE WHEN {quote(c)} IS NOT NULL AND TRY_CAST({quote(c)} AS {col.type}) IS NULL THEN {_lit(c)} END"
        for c, col in columns.items()
    ]
    select = ", ".join(f"TRY_CAST({quote(c)} AS {col.type}) AS {quote(c)}" for c, col in columns.items())
    table = ctx.scratch.sql(
        f"SELECT *, hash({hash_args}) AS _hash FROM (SELECT {select}, _file, _line, "
        f"list_filter([{', '.join(checks)}], lambda x: x IS NOT NULL) AS _bad, "
        f"{', '.join(f'{quote(c)} AS {quote(chr(1) + c)}' for c in names)} FROM {relation})"
    ).to_arrow_table()
    bad = pc.greater(pc.list_value_length(table.column("_bad")), 0)
    issues: list[RowIssue] = []
    if pc.any(bad).as_py():
        keys = ctx.table.primary_key
        for row in table.filter(bad).to_pylist():
            values = {c: row[chr(1) + c] for c in names}
            detail = "; ".join(f"column {c}: cannot read {values[c]!r} as {columns[c].type}" for c in row["_bad"])
            issues.append(RowIssue(row["_file"], row["_line"], _key_text(values, keys), detail))
        table = table.filter(pc.invert(bad))
    return table.select([*names, "_file", "_line", "_hash"]), issues


def _key_text(values: dict, keys: list[str]) -> str | None:
    """The row's primary key as read (so a row without a line number can still be found)."""
    if not keys or any(values.get(k) is None for k in keys):
        return None
    return str(values[keys[0]]) if len(keys) == 1 else json.dumps([values[k] for k in keys], default=str)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def empty_rows(ctx: ReadContext) -> pa.Table:
    return typed_from_records(ctx, [], [], [])[0]
