"""Diff stage: rows read from changed files against what the store holds, by primary key and hash."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from hybridq.refresh.sources.base import RowIssue
from hybridq.store.duck import quote, rows_table

_names = itertools.count()
DUPLICATE = "duplicate primary key"  # the start of the message of a row left out for its key


def duplicate_in_read(key, first: str) -> str:
    return f"{DUPLICATE} {key} (first seen at {first}); this row is quarantined, not loaded"


def duplicate_of_stored(key, other: str) -> str:
    return f"{DUPLICATE} {key}: already loaded from {other}; this row is quarantined, not loaded"


@dataclass
class RowChanges:
    table: str
    upserts: pa.Table  # new and changed rows: declared columns + _file + _hash
    deletes: pa.Table  # keys of rows that are gone
    inserted: int = 0
    updated: int = 0
    issues: list[RowIssue] = field(default_factory=list)
    replace_all: bool = False  # a table without a primary key is replaced whole

    @property
    def deleted(self) -> int:
        return self.deletes.num_rows

    @property
    def any(self) -> bool:
        return bool(self.upserts.num_rows or self.deletes.num_rows or self.replace_all)


SMALL_DIFF = 500  # rows and files up to which the diff is done here rather than in SQL (live mode)


def _small_diff(con, table: str, key: str, columns: list[str], incoming: pa.Table, scope: list[str],
                keep: set[str], issues: list[RowIssue]) -> RowChanges:
    """The same diff as the SQL path, for the few rows a live change brings: one query, then Python."""
    values = incoming.column(key).to_pylist()
    stored = con.execute(
        f"SELECT {quote(key)}, _file, _hash FROM {rows_table(table)} "
        f"WHERE _file IN (SELECT unnest(?::VARCHAR[])) OR {quote(key)} IN (SELECT unnest(?))",
        [scope, values]).fetchall()
    in_scope = set(scope)
    by_key = {k: (f, h) for k, f, h in stored}
    files = incoming.column("_file").to_pylist()
    lines = incoming.column("_line").to_pylist()
    hashes = incoming.column("_hash").to_pylist()
    order = sorted(range(len(values)), key=lambda i: (files[i], lines[i] if lines[i] is not None else -1))
    first: dict = {}
    take, new = [], []
    for i in order:
        k = values[i]
        if k in first:
            f, ln = first[k]
            where = f + (f":{ln}" if ln else "")
            issues.append(RowIssue(files[i], lines[i], str(k), duplicate_in_read(k, where)))
            continue
        first[k] = (files[i], lines[i])
        old = by_key.get(k)
        if old is not None and old[0] not in in_scope:
            issues.append(RowIssue(files[i], lines[i], str(k), duplicate_of_stored(k, old[0])))
            continue
        if old is None or old[1] != hashes[i] or old[0] != files[i]:
            take.append(i)
            new.append(old is None)
    gone = [k for k, (f, _h) in by_key.items() if f in in_scope and f not in keep and k not in first]
    upserts = incoming.take(pa.array(sorted(take), pa.int64())).select([*columns, "_file", "_hash"]) if take else \
        incoming.slice(0, 0).select([*columns, "_file", "_hash"])
    deletes = pa.table({key: pa.array(gone, incoming.schema.field(key).type)})
    inserted = sum(new)
    return RowChanges(table, upserts, deletes, inserted=inserted, updated=len(take) - inserted, issues=issues)


def key_text(row: dict, keys: list[str]) -> str:
    values = [row[k] for k in keys]
    return str(values[0]) if len(values) == 1 else json.dumps(values, default=str)


def diff_rows(con: duckdb.DuckDBPyConnection, table: str, keys: list[str], columns: list[str],
              incoming: pa.Table, scope: list[str], keep: set[str]) -> RowChanges:
    """Compare `incoming` (rows of the files in `scope`) with the stored rows of those files.

    Rows of files in `keep` are never taken as deleted (those files had unreadable rows, or rows
    without a key). A table without a key is replaced whole, except for the stored rows of files
    that could not be read this time.
    """
    if not keys:
        kept = _rows_of_unread_files(con, table, columns, scope)
        if kept.num_rows:
            incoming = pa.concat_tables([incoming.select([*columns, "_file", "_hash"]),
                                         kept.cast(incoming.select([*columns, "_file", "_hash"]).schema)])
        return RowChanges(table, incoming, pa.table({}), inserted=incoming.num_rows - kept.num_rows,
                          replace_all=True)
    issues: list[RowIssue] = []
    null_key = pc.is_null(incoming.column(keys[0]))
    for k in keys[1:]:
        null_key = pc.or_(null_key, pc.is_null(incoming.column(k)))
    for row in incoming.filter(null_key).select(["_file", "_line"]).to_pylist():
        issues.append(RowIssue(row["_file"], row["_line"], None, f"missing primary key ({', '.join(keys)})"))
        keep = keep | {row["_file"]}  # the row may be a stored one whose key cell broke: delete nothing there
    incoming = incoming.filter(pc.invert(null_key))
    if len(keys) == 1 and incoming.num_rows <= SMALL_DIFF and len(scope) <= SMALL_DIFF:
        return _small_diff(con, table, keys[0], columns, incoming, scope, keep, issues)

    n = next(_names)
    inc, scope_name, clean = f"_hq_in_{n}", f"_hq_scope_{n}", f"_hq_clean_{n}"
    con.register(inc, incoming)
    con.register(scope_name, pa.table({"path": pa.array(scope, pa.string())}))
    key_list = ", ".join(quote(k) for k in keys)
    join_on = " AND ".join(f"r.{quote(k)} = o.{quote(k)}" for k in keys)
    try:
        ranked = con.sql(
            f"""
            SELECT r.*, o._file AS _other_file
            FROM (SELECT *, row_number() OVER (PARTITION BY {key_list} ORDER BY _file, _line) AS _rn,
                         first(_file) OVER (PARTITION BY {key_list} ORDER BY _file, _line) AS _first_file,
                         first(_line) OVER (PARTITION BY {key_list} ORDER BY _file, _line) AS _first_line
                  FROM {inc}) r
            LEFT JOIN {rows_table(table)} o ON {join_on} AND o._file NOT IN (SELECT path FROM {scope_name})
            """
        ).to_arrow_table()
        dup = pc.greater(ranked.column("_rn"), 1)
        conflict = pc.is_valid(ranked.column("_other_file"))
        for row in ranked.filter(pc.or_(dup, conflict)).to_pylist():
            key = key_text(row, keys)
            if row["_rn"] > 1:
                first = row["_first_file"] + (f":{row['_first_line']}" if row["_first_line"] else "")
                msg = duplicate_in_read(key, first)
            else:
                msg = duplicate_of_stored(key, row["_other_file"])
            issues.append(RowIssue(row["_file"], row["_line"], key, msg))
        kept = ranked.filter(pc.invert(pc.or_(dup, conflict))).select([*columns, "_file", "_hash"])
        con.register(clean, kept)
        upserts = con.sql(
            f"""
            SELECT c.*, o._hash IS NULL AS _new FROM {clean} c
            LEFT JOIN {rows_table(table)} o ON {" AND ".join(f"c.{quote(k)} = o.{quote(k)}" for k in keys)}
            WHERE o._hash IS NULL OR o._hash <> c._hash OR o._file <> c._file
            """
        ).to_arrow_table()
        deletes = con.sql(
            f"""
            SELECT {", ".join(f"o.{quote(k)}" for k in keys)} FROM {rows_table(table)} o
            WHERE o._file IN (SELECT path FROM {scope_name})
              AND o._file NOT IN (SELECT unnest(?::VARCHAR[]))
              AND NOT EXISTS (SELECT 1 FROM {clean} c WHERE {" AND ".join(f"c.{quote(k)} = o.{quote(k)}" for k in keys)})
            """,
            params=[sorted(keep)],
        ).to_arrow_table()
    finally:
        for name in (inc, scope_name, clean):
            try:
                con.unregister(name)
            except Exception:
                pass
    inserted = int(pc.sum(upserts.column("_new")).as_py() or 0) if upserts.num_rows else 0
    upserts = upserts.drop_columns(["_new"])
    return RowChanges(table, upserts, deletes, inserted=inserted, updated=upserts.num_rows - inserted, issues=issues)


def _rows_of_unread_files(con: duckdb.DuckDBPyConnection, table: str, columns: list[str],
                          scope: list[str]) -> pa.Table:
    """Stored rows of a table without a key that came from files outside `scope` (files that could
    not be read this time): they are kept when the table is replaced. Rows are matched to their
    file by content hash, identical rows one for one."""
    n = next(_names)
    scope_name = f"_hq_scope_{n}"
    con.register(scope_name, pa.table({"path": pa.array(scope, pa.string())}))
    cols = ", ".join(quote(c) for c in columns)
    try:
        return con.sql(
            f"""
            SELECT {", ".join(f"h.{quote(c)}" for c in columns)}, w._file, w._hash
            FROM (SELECT _file, _hash, row_number() OVER (PARTITION BY _hash ORDER BY _file) AS _rn
                  FROM {rows_table(table)} WHERE _file NOT IN (SELECT path FROM {scope_name})) w
            JOIN (SELECT {cols}, hash({cols}) AS _h, row_number() OVER (PARTITION BY hash({cols})) AS _rn
                  FROM {quote(table)}) h
              ON h._h = w._hash AND h._rn = w._rn
            """
        ).to_arrow_table()
    finally:
        con.unregister(scope_name)
