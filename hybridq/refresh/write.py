"""Write stage: Lance first (new versions), then one DuckDB transaction that records them.

Readers pin the Lance versions recorded in the DuckDB snapshot they read, so until the DuckDB
commit nobody sees the new Lance versions; a crash in between leaves the old consistent pair.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pyarrow as pa

from hybridq.catalog.rules.context import is_text_type
from hybridq.refresh.diff import RowChanges
from hybridq.refresh.embed_stage import ColumnChanges
from hybridq.refresh.files import FileChanges
from hybridq.refresh.sources.base import RowIssue
from hybridq.store.duck import chunks_table, one, quote, rows_table
from hybridq.store.lance_store import chunk_schema, key_filter, lance_column, literal
from hybridq.store.store import Store, lance_name

_names = itertools.count()

VALUES_MAX_DISTINCT = 200
VALUES_MAX_LENGTH = 80


@dataclass
class TableWrite:
    table: str
    source: str
    files: FileChanges
    rows: RowChanges | None
    issues: list[RowIssue]
    failed: set[str]
    extra_read: set[str] = field(default_factory=set)  # unchanged files read again (see Refresher.fetch)


def lance_delete_filter(changes: ColumnChanges) -> str | None:
    terms = []
    deleted = key_filter(changes.deleted_keys)
    if deleted:
        terms.append(f"({deleted})")
    for key, count in changes.shrink:
        match = " AND ".join(f"{lance_column(k)} = {literal(v)}" for k, v in key.items())
        terms.append(f"({match} AND _chunk >= {count})")
    return " OR ".join(terms) or None


def write_lance(store: Store, columns: list[ColumnChanges], dim: int) -> dict[tuple[str, str], int]:
    versions = {}
    for changes in columns:
        if not changes.any:
            continue
        name = lance_name(changes.table, changes.column)
        keys = store.catalog.tables[changes.table].primary_key
        if changes.overwrite:
            schema = chunk_schema(store.key_fields(changes.table), dim)
            store.lance.overwrite(name, changes.upserts.cast(schema), schema)
        else:
            store.lance.write(name, keys, changes.upserts, lance_delete_filter(changes))
        versions[(changes.table, changes.column)] = store.lance.ensure_indexes(
            name, store.catalog.embedding.ann_min_rows)
    return versions


def write_duckdb(store: Store, tables: list[TableWrite], columns: list[ColumnChanges],
                 versions: dict[tuple[str, str], int], started_at: dt.datetime, *, full: bool = True) -> int:
    """Apply every change in one transaction; returns the new refresh id.

    A `full` refresh re-derives the values index of changed tables; a live (file-limited) one
    only adds the values its rows bring.
    """
    con = store.db
    now = dt.datetime.now()
    registered: list[str] = []

    def register(prefix: str, data: pa.Table) -> str:
        name = f"_hq_{prefix}_{next(_names)}"
        con.register(name, data)
        registered.append(name)
        return name

    con.execute("BEGIN TRANSACTION")
    try:
        for tw in tables:
            if tw.rows is not None and tw.rows.any:
                upserts = _apply_rows(store, tw.rows, register)
                if not full:
                    _index_new_values(store, tw.table, upserts)
        for changes in columns:
            if changes.any:
                _apply_chunk_index(store, changes, register)
                version = versions[(changes.table, changes.column)]
                chunks = one(con, f"SELECT count(*) FROM {chunks_table(changes.table, changes.column)}")[0]
                con.execute(
                    "INSERT OR REPLACE INTO _hq.vectors VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [changes.table, changes.column, lance_name(changes.table, changes.column), version,
                     store.column_fingerprint(changes.table, changes.column), store.catalog.embedding.model,
                     chunks],
                )
        for tw in tables:
            _record_source(store, tw, now)
            if full and tw.rows is not None and tw.rows.any:
                _index_values(store, tw.table)
        refresh_id = one(con, "SELECT coalesce(max(id), 0) + 1 FROM _hq.refreshes")[0]
        totals = [sum(getattr(tw.rows, a) if tw.rows else 0 for tw in tables) for a in ("inserted", "updated", "deleted")]
        con.execute(
            "INSERT INTO _hq.refreshes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [refresh_id, started_at, now, *totals, sum(c.embedded for c in columns),
             sum(c.reused for c in columns), sum(len(tw.issues) for tw in tables)],
        )
        con.execute("COMMIT")
        return refresh_id
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in registered:
            try:
                con.unregister(name)
            except Exception:
                pass


def _apply_rows(store: Store, changes: RowChanges, register) -> str:
    """Apply row changes; returns the name under which the new rows are registered."""
    con = store.db
    spec = store.catalog.tables[changes.table]
    keys, columns = spec.primary_key, list(spec.columns)
    target, rows = quote(changes.table), rows_table(changes.table)
    upserts = register("up", changes.upserts)
    col_list = ", ".join(quote(c) for c in columns)
    if changes.replace_all:
        con.execute(f"DELETE FROM {target}")
        con.execute(f"DELETE FROM {rows}")
    else:
        gone = register("gone", pa.concat_tables([changes.deletes, changes.upserts.select(keys)]))
        match = " AND ".join(f"{target}.{quote(k)} = g.{quote(k)}" for k in keys)
        con.execute(f"DELETE FROM {target} USING {gone} g WHERE {match}")
        match = " AND ".join(f"{rows}.{quote(k)} = g.{quote(k)}" for k in keys)
        con.execute(f"DELETE FROM {rows} USING {gone} g WHERE {match}")
    con.execute(f"INSERT INTO {target} ({col_list}) SELECT {col_list} FROM {upserts}")
    key_list = "".join(f"{quote(k)}, " for k in keys)
    con.execute(f"INSERT INTO {rows} SELECT {key_list}_file, _hash FROM {upserts}")
    return upserts


def _apply_chunk_index(store: Store, changes: ColumnChanges, register) -> None:
    con = store.db
    keys = store.catalog.tables[changes.table].primary_key
    mirror = chunks_table(changes.table, changes.column)
    if changes.overwrite:
        con.execute(f"DELETE FROM {mirror}")
    elif changes.replaced.num_rows:
        gone = register("rk", changes.replaced)
        match = " AND ".join(f"{mirror}.{quote(k)} = g.{quote(k)}" for k in keys)
        con.execute(f"DELETE FROM {mirror} USING {gone} g WHERE {match}")
    if changes.chunk_index.num_rows:
        index = register("ci", changes.chunk_index)
        con.execute(f"INSERT INTO {mirror} SELECT {''.join(quote(k) + ', ' for k in keys)}_chunk, _hash FROM {index}")


def _record_source(store: Store, tw: TableWrite, now: dt.datetime) -> None:
    con = store.db
    files = tw.files
    touched_paths = [s.path for s in files.changed + files.touched] + files.removed
    if touched_paths:
        con.execute("DELETE FROM _hq.files WHERE table_name = ? AND path IN (SELECT unnest(?::VARCHAR[]))",
                    [tw.table, touched_paths])
        # errors of files read again (or gone) are replaced; a file only touched keeps its errors
        reread = [s.path for s in files.changed] + files.removed + sorted(tw.extra_read)
        con.execute("DELETE FROM _hq.errors WHERE table_name = ? AND (file IS NULL OR file IN (SELECT unnest(?::VARCHAR[])))",
                    [tw.table, reread])
    for state in files.changed + files.touched:
        con.execute("INSERT INTO _hq.files VALUES (?, ?, ?, ?, ?)",
                    [tw.table, state.path, state.mtime_ns, state.size, state.content_hash])
    for issue in tw.issues:
        con.execute("INSERT INTO _hq.errors VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [tw.table, tw.source, issue.file, issue.line, issue.key, issue.message, now])
    newest, nfiles = one(con, "SELECT max(mtime_ns), count(*) FROM _hq.files WHERE table_name = ?", [tw.table])
    rows = one(con, f"SELECT count(*) FROM {quote(tw.table)}")[0]
    errors = one(con, "SELECT count(*) FROM _hq.errors WHERE table_name = ?", [tw.table])[0]
    newest_ts = dt.datetime.fromtimestamp(newest / 1e9) if newest else None
    con.execute("INSERT OR REPLACE INTO _hq.sources VALUES (?, ?, ?, ?, ?, ?, ?)",
                [tw.table, tw.source, now, newest_ts, nfiles, rows, errors])


def _index_values(store: Store, table: str) -> None:
    """Remember the distinct values of short, low-cardinality text columns (for linking questions)."""
    con = store.db
    spec = store.catalog.tables[table]
    con.execute("DELETE FROM _hq.values_index WHERE table_name = ?", [table])
    for name, col in spec.columns.items():
        if col.semantic is not None or not is_text_type(col.type) or name in spec.primary_key:
            continue
        c = quote(name)
        distinct, longest = one(con, f"SELECT approx_count_distinct({c}), max(length({c})) FROM {quote(table)}")
        if not distinct or distinct > VALUES_MAX_DISTINCT * 1.2 or (longest or 0) > VALUES_MAX_LENGTH:
            continue
        con.execute(
            f"INSERT INTO _hq.values_index SELECT ?, ?, {c}, count(*) FROM {quote(table)} "
            f"WHERE {c} IS NOT NULL GROUP BY {c} HAVING (SELECT count(DISTINCT {c}) FROM {quote(table)}) <= ?",
            [table, name, VALUES_MAX_DISTINCT],
        )


def _index_new_values(store: Store, table: str, upserts: str) -> None:
    """Add values that changed rows bring to the columns already indexed (cheap: live refreshes)."""
    con = store.db
    for (name,) in con.execute("SELECT DISTINCT column_name FROM _hq.values_index WHERE table_name = ?",
                               [table]).fetchall():
        c = quote(name)
        con.execute(
            f"INSERT INTO _hq.values_index SELECT DISTINCT ?, ?, u.{c}, 1 FROM {upserts} u WHERE u.{c} IS NOT NULL "
            f"AND u.{c} NOT IN (SELECT value FROM _hq.values_index WHERE table_name = ? AND column_name = ?)",
            [table, name, table, name],
        )
