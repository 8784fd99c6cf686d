"""Write stage: Lance first (new versions), then one DuckDB transaction that records them.

Readers pin the Lance versions recorded in the DuckDB snapshot they read, so until the DuckDB
commit nobody sees the new Lance versions; a crash in between leaves the old consistent pair.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Callable

import pyarrow as pa
import pyarrow.compute as pc

from hybridq.catalog.rules.context import is_text_type
from hybridq.refresh.diff import RowChanges
from hybridq.refresh.embed_stage import ColumnChanges
from hybridq.refresh.external import record_source_state
from hybridq.refresh.files import OUTSIDE, FileChanges
from hybridq.refresh.sources.base import RowIssue
from hybridq.store.duck import chunks_table, get_meta, one, quote, rows_table, set_meta, table_exists
from hybridq.store.lance_store import chunk_schema, key_filter, lance_column, literal
from hybridq.store.store import Store, lance_name

_names = itertools.count()

VALUES_MAX_DISTINCT = 200
NAMES_MAX_DISTINCT = 100_000
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
    record: object | None = None  # non-file sources: position and problems replaced (external.Record)
    definition: str | None = None  # the source's new definition, recorded when it changed
    links: list[RowIssue] = field(default_factory=list)  # files skipped as links leading outside the source
    links_scope: list[str] | None = None  # the files links were looked for among (None: all of them)


def lance_delete_filter(changes: ColumnChanges) -> str | None:
    terms = []
    deleted = key_filter(changes.deleted_keys)
    if deleted:
        terms.append(f"({deleted})")
    for key, count in changes.shrink:
        match = " AND ".join(f"{lance_column(k)} = {literal(v)}" for k, v in key.items())
        terms.append(f"({match} AND _chunk >= {count})")
    return " OR ".join(terms) or None


def write_lance(store: Store, columns: list[ColumnChanges], dim: int,
                advance: Callable[[int], None] = lambda n: None) -> dict[tuple[str, str], int]:
    """Write each changed column's chunks to Lance (and its indexes); the new version of each."""
    versions = {}
    for changes in columns:
        if not changes.any:
            continue
        name = lance_name(changes.table, changes.column)
        keys = store.catalog.tables[changes.table].primary_key
        schema = chunk_schema(store.key_fields(changes.table), dim)
        ds = None
        if changes.overwrite:
            store.lance.overwrite(name, changes.upserts.select(schema.names).cast(schema), schema)
        else:
            existing = changes.upserts.column("_existing")
            rows = changes.upserts.select(schema.names).cast(schema)
            ds = store.lance.write(name, keys, rows.filter(existing), rows.filter(pc.invert(existing)),
                                   lance_delete_filter(changes))
        versions[(changes.table, changes.column)] = store.lance.ensure_indexes(
            name, store.catalog.embedding.ann_min_rows, keys[0] if len(keys) == 1 else None, ds)
        advance(1)
    return versions


def write_duckdb(store: Store, tables: list[TableWrite], columns: list[ColumnChanges],
                 versions: dict[tuple[str, str], int], started_at: dt.datetime, *, full: bool = True) -> int | None:
    """Apply every change in one transaction; returns the new refresh id, or None when no row and
    no vector changed (only file states, a source's definition or its problems were recorded: a
    file touched without a change in content is no refresh).

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
                    _index_new_values(store, tw.table, upserts, tw.rows.upserts)
        for changes in columns:
            store.forget_cached_vectors(store.catalog.embedding.model, changes.from_cache)
            if changes.any:
                _apply_chunk_index(store, changes, register)
                values = [lance_name(changes.table, changes.column), versions[(changes.table, changes.column)],
                          store.column_fingerprint(changes.table, changes.column), store.catalog.embedding.model]
                _update_else_insert(
                    con, "UPDATE _hq.vectors SET lance_name = ?, version = ?, fingerprint = ?, model = ?, chunks = NULL "
                    "WHERE table_name = ? AND column_name = ?", [*values, changes.table, changes.column], 1,
                    "INSERT OR REPLACE INTO _hq.vectors VALUES (?, ?, ?, ?, ?, ?, NULL)",
                    [changes.table, changes.column, *values])
        for tw in tables:
            _record_source(store, tw, now)
            if full and tw.rows is not None and tw.rows.any:
                _index_values(store, tw.table)
        if not any(tw.rows is not None and tw.rows.any for tw in tables) and not any(c.any for c in columns):
            con.execute("COMMIT")
            return None
        totals = [sum(getattr(tw.rows, a) if tw.rows else 0 for tw in tables) for a in ("inserted", "updated", "deleted")]
        refresh_id = con.execute(
            "INSERT INTO _hq.refreshes SELECT coalesce(max(id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ? FROM _hq.refreshes "
            "RETURNING id",
            [started_at, now, *totals, sum(c.embedded for c in columns), sum(c.reused for c in columns),
             sum(len(tw.issues) for tw in tables)],
        ).fetchall()[0][0]
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
    elif changes.updated or changes.deleted:  # only new rows: nothing to delete
        gone = pa.concat_tables([changes.deletes, changes.upserts.select(keys)])
        for table in (target, rows):
            delete_keys(con, table, gone, register)
    if not changes.upserts.num_rows:
        return upserts
    key_list = "".join(f"{quote(k)}, " for k in keys)
    con.execute(f"INSERT INTO {target} ({col_list}) SELECT {col_list} FROM {upserts}; "
                f"INSERT INTO {rows} SELECT {key_list}_file, _hash FROM {upserts}")
    return upserts


def delete_keys(con, table: str, keys: pa.Table, register) -> None:
    """DELETE the rows of `table` with these keys (a list parameter for a one-column key)."""
    if not keys.num_rows:
        return
    names = keys.column_names
    if len(names) == 1:
        con.execute(f"DELETE FROM {table} WHERE {quote(names[0])} IN (SELECT unnest(?))",
                    [keys.column(0).to_pylist()])
        return
    gone = register("gone", keys)
    match = " AND ".join(f"{table}.{quote(k)} = g.{quote(k)}" for k in names)
    con.execute(f"DELETE FROM {table} USING {gone} g WHERE {match}")


def _apply_chunk_index(store: Store, changes: ColumnChanges, register) -> None:
    con = store.db
    keys = store.catalog.tables[changes.table].primary_key
    mirror = chunks_table(changes.table, changes.column)
    if changes.overwrite:
        con.execute(f"DELETE FROM {mirror}")
    elif not changes.only_new_rows:
        delete_keys(con, mirror, changes.replaced, register)
    if changes.chunk_index.num_rows:
        index = register("ci", changes.chunk_index)
        con.execute(f"INSERT INTO {mirror} SELECT {''.join(quote(k) + ', ' for k in keys)}_chunk, _hash FROM {index}")


def _record_source(store: Store, tw: TableWrite, now: dt.datetime) -> None:
    """The source's file states and problems; its counts are read when status asks."""
    con = store.db
    if tw.record is not None:
        record_source_state(store, tw.table, tw.record, now)
    files = tw.files
    states = files.changed + files.touched
    if files.removed:
        con.execute("DELETE FROM _hq.files WHERE table_name = ? AND path IN (SELECT unnest(?::VARCHAR[]))",
                    [tw.table, files.removed])
    if states:
        columns = [[f.path for f in states], [f.mtime_ns for f in states], [f.size for f in states],
                   [f.content_hash for f in states]]
        _update_else_insert(
            con, "UPDATE _hq.files f SET mtime_ns = n.mtime_ns, size = n.size, content_hash = n.content_hash "
            "FROM (SELECT unnest(?::VARCHAR[]) AS path, unnest(?::BIGINT[]) AS mtime_ns, unnest(?::BIGINT[]) AS size, "
            "unnest(?::VARCHAR[]) AS content_hash) n WHERE f.table_name = ? AND f.path = n.path",
            [*columns, tw.table], len(states),
            "INSERT OR REPLACE INTO _hq.files SELECT ?, unnest(?::VARCHAR[]), unnest(?::BIGINT[]), "
            "unnest(?::BIGINT[]), unnest(?::VARCHAR[])", [tw.table, *columns])
    # errors of files read again (or gone) are replaced; a file only touched keeps its errors
    reread = [s.path for s in files.changed] + files.removed + sorted(tw.extra_read)
    if reread and store.has_errors(tw.table):
        con.execute("DELETE FROM _hq.errors WHERE table_name = ? AND (file IS NULL OR file IN "
                    "(SELECT unnest(?::VARCHAR[])))", [tw.table, reread])
        store.errors_changed(tw.table)
    if store.has_errors(tw.table):  # the links looked at are recorded anew
        con.execute("DELETE FROM _hq.errors WHERE table_name = ? AND starts_with(message, ?) AND "
                    "(? OR file IN (SELECT unnest(?::VARCHAR[])))",
                    [tw.table, OUTSIDE, tw.links_scope is None, tw.links_scope or []])
    issues = tw.issues + tw.links
    if issues:
        con.executemany("INSERT INTO _hq.errors VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [[tw.table, tw.source, i.file, i.line, i.key, i.message, now] for i in issues])
        store.errors_changed(tw.table)
    if tw.definition is not None:
        set_meta(con, f"source:{tw.table}", tw.definition)
    # when the source last changed the store: not moved by a touched file or a new problem alone
    changed = tw.rows is not None and tw.rows.any
    insert = (f"INSERT {'OR REPLACE' if changed else 'OR IGNORE'} INTO _hq.sources "
              "VALUES (?, ?, ?, NULL, NULL, NULL, NULL)", [tw.table, tw.source, now])
    if changed:
        _update_else_insert(con, "UPDATE _hq.sources SET source = ?, refreshed_at = ?, newest_change = NULL, "
                            "files = NULL, rows = NULL, errors = NULL WHERE table_name = ?",
                            [tw.source, now, tw.table], 1, *insert)
    else:
        con.execute(*insert)


def _update_else_insert(con, update: str, update_params: list, rows: int, insert: str, insert_params: list) -> None:
    """UPDATE the recorded rows, INSERT OR REPLACE when some were not there: a live refresh updates
    rows that exist, and DuckDB takes a fraction of the time of INSERT OR REPLACE to do it."""
    if con.execute(update, update_params).fetchone()[0] != rows:
        con.execute(insert, insert_params)


# Which columns' values are indexed, and how many: stores indexed under another policy are indexed again.
VALUES_POLICY = "2: short text columns up to 200 values; names, text keys and index_values columns up to 100,000"


def index_values_again_if_needed(store: Store) -> None:
    """Index every table's values again when the indexing policy (or a column's index_values) changed."""
    policy = VALUES_POLICY + repr(sorted((t, c) for t, spec in store.catalog.tables.items()
                                         for c, col in spec.columns.items() if col.index_values is not None))
    if get_meta(store.db, "values_policy") == policy:
        return
    for table in store.catalog.tables:
        if table_exists(store.db, "main", table):
            _index_values(store, table)
    set_meta(store.db, "values_policy", policy)


def _index_values(store: Store, table: str) -> None:
    """Remember the distinct values of short, low-cardinality text columns (for linking questions)."""
    con = store.db
    store.forget_value_columns(table)
    spec = store.catalog.tables[table]
    con.execute("DELETE FROM _hq.values_index WHERE table_name = ?", [table])
    label = spec.label()
    for name, col in spec.columns.items():
        if col.semantic is not None or not is_text_type(col.type) or col.index_values is False:
            continue
        # names and text keys ("the business abc123", "Acme Corp's tickets") are indexed up to a far
        # larger number of values than categories are
        named = col.index_values or name == label or name in spec.primary_key
        cap = NAMES_MAX_DISTINCT if named else VALUES_MAX_DISTINCT
        c = quote(name)
        distinct, longest = one(con, f"SELECT approx_count_distinct({c}), max(length({c})) FROM {quote(table)}")
        if not distinct or distinct > cap * 1.2 or (longest or 0) > VALUES_MAX_LENGTH:
            continue
        con.execute(
            f"INSERT INTO _hq.values_index SELECT ?, ?, {c}, count(*) FROM {quote(table)} "
            f"WHERE {c} IS NOT NULL GROUP BY {c} HAVING (SELECT count(DISTINCT {c}) FROM {quote(table)}) <= ?",
            [table, name, cap],
        )


def _index_new_values(store: Store, table: str, upserts: str, upserts_table: pa.Table) -> None:
    """Add values that changed rows bring to the columns already indexed (cheap: live refreshes)."""
    con = store.db
    for name in store.value_columns(table):
        if set(upserts_table.column(name).to_pylist()) <= store.known_values(table, name):
            continue  # nothing new: the common case in live mode
        c = quote(name)
        con.execute(
            f"INSERT INTO _hq.values_index SELECT DISTINCT ?, ?, u.{c}, 1 FROM {upserts} u WHERE u.{c} IS NOT NULL "
            f"AND u.{c} NOT IN (SELECT value FROM _hq.values_index WHERE table_name = ? AND column_name = ?)",
            [table, name, table, name],
        )
        store.forget_value_columns(table)
