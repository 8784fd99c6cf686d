"""Sources that are not files (SQLite, PostgreSQL, HTTP JSON, Python callables) in the pipeline.

Their rows go through the same stages as file rows: the reader's rows are typed and hashed, the
diff compares them by key and hash with the stored rows (all `_file` values of such a source are
its label), bad rows are quarantined, and the write commits the rows, the source's position
(`_hq.source_state`) and its problems in one DuckDB transaction. A read that fails changes
nothing stored: the problem is recorded and the next refresh tries again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field

import duckdb
import pyarrow as pa

from hybridq.catalog.rules.live_sources import source_label
from hybridq.errors import HybridqError
from hybridq.refresh.diff import RowChanges, key_text
from hybridq.refresh.files import FileChanges
from hybridq.refresh.sources import READERS, ReadContext, RowIssue, SourceRead
from hybridq.refresh.sources.base import empty_rows
from hybridq.store.duck import quote, rows_table


@dataclass
class SourceHealth:
    """What a process knows of a non-file source between refreshes (shown by status)."""

    capture: str | None = None  # postgres: replication, watermark or full
    detail: str | None = None  # why this capture (a fallback's reason)
    last_attempt: dt.datetime | None = None
    last_success: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    lag_seconds: float | None = None
    lag_bytes: int | None = None

    def to_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in asdict(self).items()}


def health_of(live: dict) -> SourceHealth:
    return live.setdefault("health", SourceHealth())


@dataclass
class Record:
    """What the write stage records for a non-file source besides its rows."""

    state: dict
    clear: str  # which stored problems the new ones replace: all, fetch (the source's own) or keys
    keys: list[str] = field(default_factory=list)
    force: bool = False  # write even when no row changed (the problems changed)


def fetch_external(store, table: str, scratch: duckdb.DuckDBPyConnection):
    """Read a non-file source (the fetch stage for it)."""
    from hybridq.refresh.pipeline import Fetched

    catalog = store.catalog
    spec = catalog.tables[table]
    source = catalog.sources[spec.source]
    state = load_state(store, table)
    fingerprint = hashlib.sha1(source.model_dump_json(exclude={"refresh"}).encode()).hexdigest()[:16]
    if state.get("source") != fingerprint:  # the source's definition changed: read it again whole
        state = {}
    live = store.live_sources.setdefault(table, {})
    live.update(store_dir=str(store.directory), table=table, label=source_label(source),
                stored=lambda columns: store.db.sql(
                    f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)}").to_arrow_table())
    health = health_of(live)
    ctx = ReadContext(spec.source, source, spec, catalog.base_dir, scratch, state=state, live=live)
    label = live["label"]
    health.last_attempt = dt.datetime.now()
    try:
        read = READERS[source.kind](ctx, [])
    except Exception as exc:  # any failure to read is reported; nothing stored changes
        message = exc.message if isinstance(exc, HybridqError) else f"{type(exc).__name__}: {exc}".strip()
        read = SourceRead(empty_rows(ctx), [RowIssue(label, None, None, f"cannot read the source: {message}")],
                          failed={label}, complete=False)
    if read.failed:
        health.last_error = "; ".join(i.message for i in read.issues) or "the source could not be read"
        health.last_error_at = dt.datetime.now()
    else:
        health.last_success = dt.datetime.now()
    scope = [] if read.failed else [label]
    if not read.complete:  # only changes: rows the read did not bring are not deleted
        read.partial.add(label)
    record = _record(store, table, spec.primary_key, read, state)
    if not read.failed:
        record.state["source"] = fingerprint
    record.force = record.force or record.state != state  # a new position is recorded even without rows
    return Fetched(table, spec.source, FileChanges([], [], [], []), read, scope, record=record)


def _record(store, table: str, keys: list[str], read: SourceRead, state: dict) -> Record:
    new_state = dict(read.state if read.state is not None else state)
    if read.failed:
        clear, touched = "fetch", []
    elif read.complete:
        clear, touched = "all", []
    else:
        touched = [key_text(r, keys) for r in read.rows.select(keys).to_pylist()] if keys else []
        if read.deleted is not None:
            touched += [key_text(r, keys) for r in read.deleted.to_pylist()]
        clear = "keys"
    stored = _stored_problems(store, table, clear, touched) if store.has_errors(table) else set()
    new = {(i.key, i.message) for i in read.issues}
    return Record(new_state, clear, touched, force=stored != new)


def _stored_problems(store, table: str, clear: str, keys: list[str]) -> set:
    sql = "SELECT key, message FROM _hq.errors WHERE table_name = ?"
    params: list = [table]
    if clear == "fetch":
        sql += " AND key IS NULL AND line IS NULL"
    elif clear == "keys":
        sql += " AND ((key IS NULL AND line IS NULL) OR key IN (SELECT unnest(?::VARCHAR[])))"
        params.append(keys)
    return set(store.db.execute(sql, params).fetchall())


def needs_write(fetched, rows: RowChanges | None) -> bool:
    record = getattr(fetched, "record", None)
    return record is not None and (record.force or (rows is not None and rows.any))


def finish_diff(con: duckdb.DuckDBPyConnection, fetched, rows: RowChanges | None,
                keys: list[str]) -> RowChanges | None:
    """The diff of a non-file source: a quarantined row keeps its stored version (a complete read
    deletes nothing when a bad row's key is unknown), and the keys an incremental read says were
    deleted are added (those the store holds and the read did not bring back)."""
    read = fetched.read
    if rows is None or read is None or not keys:
        return rows
    if read.complete and rows.deletes.num_rows and read.issues:
        if any(i.key is None for i in read.issues):
            rows.deletes = rows.deletes.slice(0, 0)
        else:
            bad = {i.key for i in read.issues}
            keep = [key_text(r, keys) not in bad for r in rows.deletes.to_pylist()]
            rows.deletes = rows.deletes.filter(pa.array(keep, pa.bool_()))
    if read.deleted is None or not read.deleted.num_rows:
        return rows
    name = "_hq_source_deleted"
    con.register(name, read.deleted.select(keys))
    try:
        match = " AND ".join(f"d.{quote(k)} = o.{quote(k)}" for k in keys)
        held = con.sql(f"SELECT DISTINCT {', '.join('d.' + quote(k) for k in keys)} FROM {name} d "
                       f"JOIN {rows_table(fetched.table)} o ON {match}").to_arrow_table()
    finally:
        con.unregister(name)
    skip = {key_text(r, keys) for r in rows.upserts.select(keys).to_pylist()}
    skip |= {key_text(r, keys) for r in rows.deletes.to_pylist()}
    extra = [r for r in held.to_pylist() if key_text(r, keys) not in skip]
    if extra:
        more = pa.Table.from_pylist(extra, schema=held.schema)
        rows.deletes = pa.concat_tables([rows.deletes.cast(more.schema), more]) if rows.deletes.num_columns else more
    return rows


def record_source_state(store, table: str, record: Record, now: dt.datetime) -> None:
    """Inside the write transaction: the source's position, and which stored problems are replaced."""
    con = store.db
    if record.clear == "all":
        con.execute("DELETE FROM _hq.errors WHERE table_name = ?", [table])
    elif record.clear == "fetch":
        con.execute("DELETE FROM _hq.errors WHERE table_name = ? AND key IS NULL AND line IS NULL", [table])
    else:
        con.execute("DELETE FROM _hq.errors WHERE table_name = ? AND ((key IS NULL AND line IS NULL) "
                    "OR key IN (SELECT unnest(?::VARCHAR[])))", [table, record.keys])
    store.errors_changed(table)
    con.execute("INSERT OR REPLACE INTO _hq.source_state VALUES (?, ?, ?)",
                [table, json.dumps(record.state, default=str), now])


def load_state(store, table: str) -> dict:
    row = store.db.execute("SELECT state FROM _hq.source_state WHERE table_name = ?", [table]).fetchall()
    return json.loads(row[0][0]) if row and row[0][0] else {}


def rows_from_records(ctx: ReadContext, records: list[dict]) -> SourceRead:
    """Typed rows from plain records (mappings), each reported by its position when it is bad.
    Their `_file` is the source's label (one per source: the diff's scope)."""
    from hybridq.refresh.sources.base import typed_from_records

    label = ctx.live.get("label") or source_label(ctx.source)
    good, lines, issues = [], [], []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            issues.append(RowIssue(label, number, None, f"record {number} is not an object but {type(record).__name__}"))
            continue
        good.append(record)
        lines.append(number)
    typed, bad = typed_from_records(ctx, good, [label] * len(good), lines)
    return SourceRead(typed, issues + bad)
