"""The embedded store: a DuckDB file and a Lance directory kept consistent with each other.

Invariant: the DuckDB table `_hq.vectors` records, for each semantic column, the Lance version
that goes with the DuckDB state it is committed with. A refresh writes Lance first and then
commits DuckDB; a reader opens a DuckDB transaction, reads `_hq.vectors` and pins those Lance
versions. So a reader always sees one consistent pair, and a crash between the two writes leaves
the previous pair, which the next refresh repairs (see `repair`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from typing import Callable, Iterator

import duckdb
import numpy as np
import pyarrow as pa

from hybridq.catalog.model import Catalog, Table
from hybridq.embed.chunking import CHUNKER, chunk_size
from hybridq.embed.tokens import Tokenizer, load_tokenizer
from hybridq.snapshot import SnapshotStamp
from hybridq.store.cache import VectorCache
from hybridq.store.duck import (
    arrow_type_of,
    chunks_table,
    get_meta,
    one,
    open_database,
    quote,
    rows_table,
    set_meta,
)
from hybridq.store.lance_store import VECTOR, LanceStore

DB_FILE = "hybridq.duckdb"
COMPACT_TARGET_ROWS = 65_536
MAX_INDEX_SEGMENTS = 8


@dataclass
class Snapshot:
    """A read transaction on DuckDB plus the Lance versions it pins."""

    cursor: duckdb.DuckDBPyConnection
    stamp: SnapshotStamp
    store: "Store"

    def version(self, table: str, column: str) -> int | None:
        return self.stamp.lance_versions.get((table, column))

    def vectors(self, table: str, column: str):
        """The column's chunk vectors as of this snapshot (cached per Lance version)."""
        version = self.version(table, column)
        return self.store.vectors.get(table, column, version)


@dataclass(frozen=True)
class VectorEntry:
    lance_name: str
    version: int
    fingerprint: str
    model: str


def lance_name(table: str, column: str) -> str:
    return f"{table}__{column}"


class WriteLock:
    """The store's writer lock (reentrant). Its generation is odd while a writer holds it and moves
    on each time it is taken and left, so a reader can tell that no write began since it looked."""

    def __init__(self):
        self._lock = threading.RLock()
        self._depth = 0
        self.generation = 0

    def __enter__(self) -> "WriteLock":
        self._lock.acquire()
        self._depth += 1
        if self._depth == 1:
            self.generation += 1
        return self

    def __exit__(self, *exc) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.generation += 1
        self._lock.release()


class Store:
    """Owns the DuckDB connection (one writer at a time) and the Lance directory."""

    def __init__(self, catalog: Catalog, *, memory_limit: str | None = None, threads: int | None = None):
        self.catalog = catalog
        self.directory = catalog.store_dir
        with private_files():
            if not self.directory.exists():
                self.directory.parent.mkdir(parents=True, exist_ok=True)
                self.directory.mkdir(mode=0o700, exist_ok=True)
            self.db = open_database(self.directory / DB_FILE, memory_limit=memory_limit, threads=threads)
            self.lance = LanceStore(catalog.vector_location)
        self.write_lock = WriteLock()
        self.vectors = VectorCache(self)
        self._key_types: dict[str, list[pa.Field]] = {}
        self._scratch: duckdb.DuckDBPyConnection | None = None
        self._pins: dict[tuple[str, int], int] = {}
        self._local = threading.local()
        self._value_columns: dict[str, list[str]] = {}
        self._known_values: dict[tuple[str, str], set] = {}
        self._with_errors: set[str] | None = None
        self._stamp: SnapshotStamp | None = None
        # (write-lock generation, stamp read then): a snapshot reuses the stamp until a write begins
        self._snapshot_stamp: tuple[int, SnapshotStamp] | None = None
        self._pins_lock = threading.Lock()
        self._repair_due = True
        self._rebuild: set[tuple[str, str]] = set()
        self.live_sources: dict[str, dict] = {}  # per table: open connections of non-file sources (refresh/external.py)
        self._schema_synced = False
        self._table_states: dict[str, str] | None = None
        self._vector_cache_empty: bool | None = None

    def scratch(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB that may read files: sources are read here, never in the store's
        database (which has external access off). Used under the write lock."""
        if self._scratch is None:
            self._scratch = duckdb.connect(":memory:")
        return self._scratch

    # -- schema --------------------------------------------------------------------------------

    def key_fields(self, table: str) -> list[pa.Field]:
        """Arrow fields of the table's primary key (the key of its chunks in Lance)."""
        if table not in self._key_types:
            spec = self.catalog.tables[table]
            self._key_types[table] = [
                pa.field(k, arrow_type_of(self.db, spec.columns[k].type)) for k in spec.primary_key
            ]
        return self._key_types[table]

    def table_states(self) -> dict[str, str]:
        """Catalog table -> 'ok', 'missing' (not in the store yet) or 'changed' (its columns or key
        differ from the catalog's): only a refresh brings the store in line (reading never writes)."""
        if self._table_states is None:
            stored = {r[0]: r[1] for r in self.cursor().execute(
                "SELECT substr(key, 7), value FROM _hq.meta WHERE key LIKE 'table:%'").fetchall()}
            present = {r[0] for r in self.cursor().execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
            states = {}
            for name, spec in self.catalog.tables.items():
                fingerprint = table_fingerprint(spec, self.catalog.sources[spec.source].kind)
                states[name] = ("missing" if name not in present or name not in stored
                                else "ok" if stored[name] == fingerprint else "changed")
            self._table_states = states
        return self._table_states

    def sync_schema(self, log: Callable[[str], None] = lambda line: None) -> dict[str, int]:
        """Create missing tables, reset tables whose definition changed, and remove the tables the
        catalog no longer has (said through `log` first); removed table -> rows it held.

        Only a refresh calls this (once per store opened): a reading session never changes the
        store, whatever catalog it was given. The vectors of what is dropped stay in the vector
        cache, so putting a table back embeds nothing."""
        if self._schema_synced:
            return {}
        removed: dict[str, int] = {}
        states = self.table_states()
        for name, spec in self.catalog.tables.items():
            if states[name] != "ok":
                if states[name] == "changed":
                    log(f"table {name} changed in the catalog: reloading it from its source")
                self._create_table(name, spec)
                set_meta(self.db, f"table:{name}", table_fingerprint(spec, self.catalog.sources[spec.source].kind))
        known = set(self.catalog.tables)
        for (name,) in self.db.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
        ).fetchall():
            if name not in known and get_meta(self.db, f"table:{name}") is not None:
                rows = one(self.db, f"SELECT count(*) FROM {quote(name)}")[0]
                log(f"table {name} is no longer in the catalog: removing it from the store ({rows:,} rows; "
                    "its vectors stay cached, so putting it back embeds nothing)")
                self._drop_table(name)
                removed[name] = rows
        self._schema_synced, self._table_states = True, None
        return removed

    def _create_table(self, name: str, spec: Table) -> None:
        self._drop_table(name)
        cols = ", ".join(f"{quote(c)} {col.type}" for c, col in spec.columns.items())
        self.db.execute(f"CREATE TABLE {quote(name)} ({cols})")
        key_cols = ", ".join(f"{quote(k)} {spec.columns[k].type}" for k in spec.primary_key)
        key_prefix = key_cols + ", " if key_cols else ""
        self.db.execute(f"CREATE TABLE {rows_table(name)} ({key_prefix}_file VARCHAR, _hash UBIGINT)")
        for column in spec.semantic_columns():
            self.db.execute(f"CREATE TABLE {chunks_table(name, column)} ({key_prefix}_chunk INTEGER, _hash VARCHAR)")

    def _drop_table(self, name: str) -> None:
        self.db.execute(f"DROP TABLE IF EXISTS {quote(name)}")
        self.db.execute(f"DROP TABLE IF EXISTS {rows_table(name)}")
        for (tname,) in self.db.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = '_hq' AND table_name LIKE ?",
            [f"chunks__{name}__%"],
        ).fetchall():
            self.db.execute(f"DROP TABLE IF EXISTS _hq.{quote(tname)}")
        for (column,) in self.db.execute(
            "SELECT column_name FROM _hq.vectors WHERE table_name = ?", [name]
        ).fetchall():
            self.retire_vectors(name, column)
        for internal in ("vectors", "files", "errors", "sources", "values_index", "source_state"):
            self.db.execute(f"DELETE FROM _hq.{internal} WHERE table_name = ?", [name])
        self.db.execute("DELETE FROM _hq.meta WHERE key = ? OR key = ?", [f"table:{name}", f"source:{name}"])

    def retire_vectors(self, table: str, column: str) -> None:
        """Keep a dropped column's vectors in the vector cache (by model and text hash), then drop
        its Lance table: text that comes back later is not embedded again."""
        entry = self.recorded_vectors().get((table, column))
        if entry is None:
            return
        if self.lance.exists(entry.lance_name):
            try:
                dataset = self.lance.dataset(entry.lance_name, entry.version)
                data = dataset.to_table(columns=["_hash", VECTOR])
            except (OSError, ValueError):  # the recorded version is gone: nothing to keep
                data = None
            if data is not None and data.num_rows:
                name = f"_hq_retired_{id(data)}"
                self.db.register(name, data)
                try:
                    self.db.execute(
                        f"INSERT OR IGNORE INTO _hq.vector_cache SELECT ?, _hash, CAST({VECTOR} AS FLOAT[]) FROM "
                        f"(SELECT DISTINCT ON (_hash) * FROM {name})", [entry.model])
                finally:
                    self.db.unregister(name)
                self._vector_cache_empty = False
        self.lance.drop(entry.lance_name)
        self.db.execute("DELETE FROM _hq.vectors WHERE table_name = ? AND column_name = ?", [table, column])

    def cached_vectors(self, model: str, hashes: list[str]) -> dict:
        """hash -> vector for the hashes the vector cache holds for `model` (vectors of dropped
        tables and columns)."""
        if self._vector_cache_empty is None:
            self._vector_cache_empty = one(self.db, "SELECT count(*) FROM (FROM _hq.vector_cache LIMIT 1)")[0] == 0
        if not hashes or self._vector_cache_empty:
            return {}
        rows = self.db.execute(
            "SELECT hash, vector FROM _hq.vector_cache WHERE model = ? AND hash IN (SELECT unnest(?::VARCHAR[]))",
            [model, sorted(set(hashes))]).fetchall()
        return {h: np.asarray(v, dtype=np.float32) for h, v in rows}

    def forget_cached_vectors(self, model: str, hashes: list[str]) -> None:
        """Vectors back in a column leave the cache (the column holds them again)."""
        if hashes:
            self.db.execute("DELETE FROM _hq.vector_cache WHERE model = ? AND hash IN (SELECT unnest(?::VARCHAR[]))",
                            [model, sorted(set(hashes))])
            self._vector_cache_empty = None

    @property
    def tokenizer(self) -> Tokenizer:
        """The catalog model's tokenizer, which chunking counts with (no model weights loaded)."""
        return load_tokenizer(self.catalog.embedding.model, self.catalog.base_dir)

    def column_fingerprint(self, table: str, column: str) -> str:
        spec = self.catalog.tables[table]
        cfg = spec.columns[column].semantic
        tokenizer = self.tokenizer
        parts = [self.catalog.embedding.model, CHUNKER, tokenizer.name, chunk_size(tokenizer, cfg.chunk_tokens),
                 cfg.overlap_tokens,
                 [(f.name, str(f.type)) for f in self.key_fields(table)]]
        return hashlib.sha1(json.dumps(parts, default=str).encode()).hexdigest()[:16]

    def recorded_vectors(self) -> dict[tuple[str, str], "VectorEntry"]:
        """(table, column) -> what DuckDB's committed state says about the column's Lance table."""
        rows = self.db.execute(
            "SELECT table_name, column_name, lance_name, version, fingerprint, model FROM _hq.vectors").fetchall()
        return {(t, c): VectorEntry(name, v, fp, model) for t, c, name, v, fp, model in rows}

    def mark_dirty(self) -> None:
        """A write failed part way: look at Lance against DuckDB again before the next write."""
        self._repair_due = True

    def rebuilt(self, table: str, column: str) -> None:
        self._rebuild.discard((table, column))

    def repair(self) -> set[tuple[str, str]]:
        """Undo Lance writes that no DuckDB commit recorded; the columns that must be rebuilt.

        A column is rebuilt when it is new, when its definition (model, chunking, key types)
        changed, or when its Lance data is gone. The check runs on the first write of this
        process and after a failed write; it is idempotent.
        """
        if not self._repair_due:
            return set(self._rebuild)
        rebuild = set()
        recorded = self.recorded_vectors()
        for table, column in self.catalog.semantic_columns():
            name = lance_name(table, column)
            entry = recorded.get((table, column))
            latest = self.lance.latest_version(name)
            if entry is not None and latest is not None and latest > entry.version:
                # The restore is a new version with the recorded content; record it, so the next
                # process does not restore again.
                self.lance.restore(name, entry.version)
                restored = self.lance.latest_version(name)
                self.db.execute("UPDATE _hq.vectors SET version = ? WHERE table_name = ? AND column_name = ?",
                                [restored, table, column])
                entry = VectorEntry(entry.lance_name, restored, entry.fingerprint, entry.model)
                latest = restored
            if entry is None or entry.fingerprint != self.column_fingerprint(table, column):
                rebuild.add((table, column))
            elif latest is None or latest < entry.version:
                rebuild.add((table, column))
        current = set(self.catalog.semantic_columns())
        for (table, column), entry in recorded.items():
            if (table, column) not in current:
                self.retire_vectors(table, column)
        self._rebuild, self._repair_due = rebuild, False
        self._stamp = None
        return set(rebuild)

    # -- reading -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """A consistent read view: one DuckDB transaction and the Lance versions it recorded.

        While it is open, its Lance versions are pinned: maintenance never deletes them.
        """
        cursor = self.db.cursor()
        pinned: list[tuple[str, int]] = []
        try:
            cursor.execute("BEGIN TRANSACTION")
            stamp = self._stamp_of_transaction(cursor)
            with self._pins_lock:
                for (t, c), v in stamp.lance_versions.items():
                    key = (lance_name(t, c), v)
                    self._pins[key] = self._pins.get(key, 0) + 1
                    pinned.append(key)
            yield Snapshot(cursor, stamp, self)
        finally:
            with self._pins_lock:
                for key in pinned:
                    self._pins[key] -= 1
                    if not self._pins[key]:
                        del self._pins[key]
            with contextlib.suppress(Exception):
                cursor.execute("ROLLBACK")
            cursor.close()

    def _stamp_of_transaction(self, cursor: duckdb.DuckDBPyConnection) -> SnapshotStamp:
        """The stamp of the state the transaction just begun on `cursor` reads. Every commit happens
        while the write lock is held, and the lock's generation changes when it is taken and when it
        is left: a stamp read at an even generation holds for as long as the generation stays the
        same. DuckDB starts a transaction at its first read, so a tiny read starts it, and the stamp
        is reused when no write began before that read."""
        generation = self.write_lock.generation
        known = self._snapshot_stamp
        if known is not None and known[0] == generation and generation % 2 == 0:
            cursor.execute("SELECT 1 FROM _hq.refreshes LIMIT 0").fetchall()
            if self.write_lock.generation == generation:
                return known[1]
            # a write began: the transaction may read a state older than the generation now,
            # so the stamp read below is not kept for it
            return read_stamp(cursor)
        stamp = read_stamp(cursor)
        if generation % 2 == 0 and self.write_lock.generation == generation:
            self._snapshot_stamp = (generation, stamp)
        return stamp

    def has_errors(self, table: str) -> bool:
        """Whether the table's source has recorded problems (kept in memory between writes)."""
        if self._with_errors is None:
            self._with_errors = {r[0] for r in self.db.execute("SELECT DISTINCT table_name FROM _hq.errors").fetchall()}
        return table in self._with_errors

    def errors_changed(self, table: str) -> None:
        self._with_errors = None

    def value_columns(self, table: str) -> list[str]:
        """Columns whose distinct values are indexed (read once, then kept)."""
        if table not in self._value_columns:
            self._value_columns[table] = [r[0] for r in self.db.execute(
                "SELECT DISTINCT column_name FROM _hq.values_index WHERE table_name = ?", [table]).fetchall()]
        return self._value_columns[table]

    def known_values(self, table: str, column: str) -> set:
        key = (table, column)
        if key not in self._known_values:
            self._known_values[key] = {r[0] for r in self.db.execute(
                "SELECT value FROM _hq.values_index WHERE table_name = ? AND column_name = ?", [table, column]).fetchall()}
            self._known_values[key].add(None)
        return self._known_values[key]

    def forget_value_columns(self, table: str) -> None:
        self._value_columns.pop(table, None)
        for key in [k for k in self._known_values if k[0] == table]:
            del self._known_values[key]

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor for single statements (a statement always reads one consistent state)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self.db.cursor()
        return cur

    @property
    def stamp(self) -> SnapshotStamp:
        """The state the store is in now (kept by the writer, which is in this process)."""
        if self._stamp is None:
            self.update_stamp()
        return self._stamp

    def update_stamp(self) -> None:
        self._stamp = read_stamp(self.cursor())

    def pinned_versions(self, name: str) -> set[int]:
        with self._pins_lock:
            return {v for (n, v) in self._pins if n == name}

    # -- maintenance ---------------------------------------------------------------------------

    def maintain(self, *, max_fragments: int = 16) -> list[str]:
        """Compact fragments and fold new rows into indexes, then delete Lance versions no snapshot
        can need any more. Each compaction is a new version, recorded like any write."""
        from dataclasses import replace

        done = []
        with self.write_lock, private_files():
            rebuild = self.repair()
            for (table, column), entry in self.recorded_vectors().items():
                if (table, column) in rebuild or not self.lance.exists(entry.lance_name):
                    continue
                ds = self.lance.latest(entry.lance_name)
                if ds.version != entry.version:
                    continue
                if len(ds.get_fragments()) > max_fragments:
                    # Large fragments stay as they are: merging the small ones the live writes
                    # leave behind keeps maintenance short, whatever the table's size.
                    ds.optimize.compact_files(target_rows_per_fragment=COMPACT_TARGET_ROWS, materialize_deletions=True)
                    # New rows go into a small delta index (milliseconds); the deltas are merged,
                    # which rewrites the index (seconds on a large column), once they pile up.
                    segments = max((len(d.segments) for d in ds.describe_indices()), default=0)
                    ds.optimize.optimize_indices(num_indices_to_merge=0 if segments < MAX_INDEX_SEGMENTS else segments)
                    new_version = int(ds.version)
                    view = self.vectors.cached(table, column, entry.version)
                    if view is not None:  # cached before the version becomes visible
                        self.vectors.put(replace(view, version=new_version))
                    self.db.execute("UPDATE _hq.vectors SET version = ? WHERE table_name = ? AND column_name = ?",
                                    [new_version, table, column])
                    done.append(f"{table}.{column}: compacted to version {new_version}")
                    self._stamp = None
                    entry = VectorEntry(entry.lance_name, new_version, entry.fingerprint, entry.model)
                keep = min(self.pinned_versions(entry.lance_name) | {entry.version})
                old = [v["version"] for v in ds.versions() if v["version"] < keep]
                if old:
                    ds.cleanup_old_versions(versions=old)
                    done.append(f"{table}.{column}: removed {len(old)} old version(s)")
        return done

    def close(self) -> None:
        for live in self.live_sources.values():
            for handle in live.values():
                if hasattr(handle, "close"):
                    with contextlib.suppress(Exception):
                        handle.close()
        with contextlib.suppress(Exception):
            self.db.close()
        if self._scratch is not None:
            with contextlib.suppress(Exception):
                self._scratch.close()


_umask_lock = threading.Lock()
_umask_users = 0
_umask_saved = 0


@contextlib.contextmanager
def private_files():
    """Files and folders created meanwhile are readable by their user only (0600 / 0700): the
    store's database, its write-ahead log and the Lance fragments of a refresh. The umask is the
    process's, so it is set only while a store writes (not while a refresh reads and embeds),
    and restored when none does."""
    global _umask_users, _umask_saved
    with _umask_lock:
        if _umask_users == 0:
            _umask_saved = os.umask(0o077)
            os.umask(_umask_saved | 0o077)
        _umask_users += 1
    try:
        yield
    finally:
        with _umask_lock:
            _umask_users -= 1
            if _umask_users == 0:
                os.umask(_umask_saved)


def make_private(directory) -> None:
    """A store made before stores were private: its folder becomes its user's only."""
    with contextlib.suppress(OSError):
        if os.stat(directory).st_mode & 0o077:
            os.chmod(directory, 0o700)


def read_stamp(cursor: duckdb.DuckDBPyConnection) -> SnapshotStamp:
    """The refresh and the Lance versions of the state `cursor` reads (one round trip)."""
    rows = cursor.execute(
        "SELECT r.id, r.finished_at, v.table_name, v.column_name, v.version FROM "
        "(SELECT max(id) AS id, max(finished_at) AS finished_at FROM _hq.refreshes) r "
        "LEFT JOIN _hq.vectors v ON true").fetchall()
    versions = {(t, c): v for _, _, t, c, v in rows if t is not None}
    return SnapshotStamp(rows[0][0], rows[0][1], versions)


def table_fingerprint(spec: Table, source_kind: str) -> str:
    parts = [[(c, col.type) for c, col in spec.columns.items()], spec.primary_key, spec.source, source_kind]
    return hashlib.sha1(json.dumps(parts).encode()).hexdigest()[:16]
