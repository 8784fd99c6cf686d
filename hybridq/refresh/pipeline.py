"""The refresh pipeline: fetch -> diff -> embed -> write, each a named stage.

Components are passed in (the embedder, a progress sink, a logger) with do-nothing defaults.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import duckdb
import pyarrow as pa

from hybridq.embed.embedder import Embedder
from hybridq.refresh.cache_update import advance_cache
from hybridq.refresh.diff import RowChanges, diff_rows, key_text
from hybridq.refresh.external import fetch_external, finish_diff, needs_write
from hybridq.refresh.embed_stage import ColumnChanges, attach_vectors, plan_column, stored_vectors
from hybridq.refresh.files import FileChanges, FileState, compare, display_paths, scan, stat_files
from hybridq.refresh.report import RefreshReport, TableReport
from hybridq.refresh.sources import READERS, ReadContext, SourceRead
from hybridq.refresh.write import TableWrite, index_values_again_if_needed, write_duckdb, write_lance
from hybridq.sql.scoring import rows_for_keys_ordered
from hybridq.store.duck import chunks_table, quote
from hybridq.store.store import Store


class ProgressSink(Protocol):
    def start(self, label: str, total: int) -> Callable[[int], None]:
        """Begin a task; returns a function to call with each increment."""
        ...


class NoProgress:
    def start(self, label: str, total: int) -> Callable[[int], None]:
        return lambda n: None


@dataclass
class Fetched:
    table: str
    source: str
    files: FileChanges
    read: SourceRead | None
    scope: list[str]  # files whose stored rows are compared with `read`
    also: set[str] = field(default_factory=set)  # unchanged files read again
    record: object | None = None  # non-file sources: position and problems to commit (external.Record)


class Refresher:
    def __init__(self, store: Store, embedder: Embedder | Callable[[], Embedder],
                 progress: ProgressSink | None = None, log: Callable[[str], None] | None = None):
        self.store = store
        self._embedder = embedder
        self.progress = progress or NoProgress()
        self.log = log or (lambda message: None)

    @property
    def embedder(self) -> Embedder:
        if callable(self._embedder) and not hasattr(self._embedder, "embed"):
            self._embedder = self._embedder()
        return self._embedder

    def run(self, tables: list[str] | None = None, paths: dict[str, list[str]] | None = None) -> RefreshReport:
        """Refresh `tables` (default: all). With `paths` (table -> files that changed), only those
        files of those tables are looked at, instead of listing every source file."""
        started = dt.datetime.now()
        t0 = time.perf_counter()
        self._limited = bool(paths)
        report = RefreshReport(started)
        with self.store.write_lock:
            rebuild = self.store.repair()
            names = tables or (list(paths) if paths else list(self.store.catalog.tables))
            scratch = self.store.scratch()
            fetched = [self.fetch(name, scratch, (paths or {}).get(name)) for name in names]
            changes = [self.diff(f) for f in fetched]
            for i, (f, rows) in enumerate(zip(fetched, changes)):
                again = self._holders_of_skipped_copies(f, rows)
                if again:  # a deleted key still exists in an unchanged file, skipped as a duplicate before
                    fetched[i] = self.fetch(f.table, scratch, (paths or {}).get(f.table), also=again)
                    changes[i] = self.diff(fetched[i])
            columns = self.embed(fetched, changes, rebuild)
            for f, rows in zip(fetched, changes):
                tr = report.tables[f.table] = TableReport(f.table, f.source, len(f.files.changed), len(f.files.removed))
                tr.issues = (f.read.issues if f.read else []) + (rows.issues if rows else [])
                if rows is not None:
                    tr.inserted, tr.updated, tr.deleted = rows.inserted, rows.updated, rows.deleted
            for c in columns:
                report.tables[c.table].chunks_embedded += c.embedded
                report.tables[c.table].chunks_reused += c.reused
            if (any(f.files.any for f in fetched) or any(c.any for c in columns)
                    or any(needs_write(f, rows) for f, rows in zip(fetched, changes))):
                try:
                    report.refresh_id = self.write(fetched, changes, columns, report, started)
                except BaseException:
                    self.store.mark_dirty()
                    raise
                finally:
                    self.store.update_stamp()
                for c in columns:
                    if c.overwrite:
                        self.store.rebuilt(c.table, c.column)
            for f in fetched:
                if f.read is not None and f.read.on_commit is not None:
                    f.read.on_commit()
            if not paths:
                index_values_again_if_needed(self.store)
                self.embed_phrases()
        report.seconds = time.perf_counter() - t0
        if report.changed:
            self.log(report.summary())
        return report

    # -- stages --------------------------------------------------------------------------------

    def fetch(self, table: str, scratch: duckdb.DuckDBPyConnection, only: list[str] | None = None,
              also: set[str] = frozenset()) -> Fetched:
        """Find the source's changed files (all of them, or among `only`) and read them, with the
        unchanged files in `also`."""
        catalog = self.store.catalog
        spec = catalog.tables[table]
        source = catalog.sources[spec.source]
        if not source.reads_files:
            return fetch_external(self.store, table, scratch)
        if only is not None and spec.primary_key:
            shown = sorted(set(display_paths(catalog.base_dir, only)))
            rows = self.store.db.execute(
                "SELECT path, mtime_ns, size, content_hash FROM _hq.files WHERE table_name = ? "
                "AND path IN (SELECT unnest(?::VARCHAR[]))", [table, shown]).fetchall()
            current = stat_files(catalog.base_dir, sorted(set(shown) | set(also)))
        else:
            rows = self.store.db.execute(
                "SELECT path, mtime_ns, size, content_hash FROM _hq.files WHERE table_name = ?", [table]).fetchall()
            current = scan(catalog.base_dir, source.path)
        stored = {path: FileState(path, mtime, size, digest) for path, mtime, size, digest in rows}
        files = compare(catalog.base_dir, current, stored)
        if not files.changed and not files.removed and not also:
            return Fetched(table, spec.source, files, None, [])
        to_read = [s.path for s in files.changed] + sorted(also - {s.path for s in files.changed})
        if not spec.primary_key:
            to_read = [s.path for s in current]  # a table without a key is replaced whole
        ctx = ReadContext(spec.source, source, spec, catalog.base_dir, scratch)
        read = READERS[source.kind](ctx, to_read)
        scope = [p for p in to_read if p not in read.failed] + files.removed
        return Fetched(table, spec.source, files, read, scope, set(also))

    def diff(self, fetched: Fetched) -> RowChanges | None:
        if fetched.read is None:
            return None
        spec = self.store.catalog.tables[fetched.table]
        rows = diff_rows(self.store.db, fetched.table, spec.primary_key, list(spec.columns), fetched.read.rows,
                         fetched.scope, fetched.read.partial)
        return rows if fetched.record is None else finish_diff(self.store.db, fetched, rows, spec.primary_key)

    def embed(self, fetched: list[Fetched], changes: list[RowChanges | None],
              rebuild: set[tuple[str, str]]) -> list[ColumnChanges]:
        """Chunk changed semantic text and give every new chunk a vector (embedding only unknown text)."""
        catalog = self.store.catalog
        by_table = {f.table: c for f, c in zip(fetched, changes)}
        plans: list[tuple[ColumnChanges, pa.Table]] = []
        recorded = self.store.recorded_vectors()
        for table, column in catalog.semantic_columns():
            rows = by_table.get(table)
            overwrite = (table, column) in rebuild or (rows is not None and rows.replace_all)
            if rows is None and not overwrite:
                continue
            if rows is not None and not rows.any and not overwrite:
                continue
            spec = catalog.tables[table]
            keys = spec.primary_key
            if overwrite:
                texts = self._final_texts(table, column, rows)
            else:
                texts = rows.upserts.select([*keys, column])
            deleted = rows.deletes if rows is not None and not rows.replace_all else texts.select(keys).slice(0, 0)
            only_new = rows is not None and not overwrite and not rows.updated and not rows.deleted
            plan, need = plan_column(self.store.db, table, column, keys, spec.columns[column].semantic, texts,
                                     deleted, overwrite, only_new)
            plans.append((plan, need))
        if not plans:
            return []
        total = sum(need.num_rows for _, need in plans)
        advance = self.progress.start("embedding", total) if total else (lambda n: None)
        for plan, need in plans:
            entry = recorded.get((plan.table, plan.column))
            reusable = (entry is not None and entry.model == self.store.catalog.embedding.model
                        and self.store.lance.exists(entry.lance_name))
            known = self._known_vectors(plan, need, entry) if reusable else {}
            attach_vectors(plan, need, known, self.embedder, self.embedder.dim, progress=advance)
        return [plan for plan, _ in plans]

    def embed_phrases(self) -> None:
        """Vectors of the catalog's phrases, for reading question words by meaning: made here, where
        the model is loaded anyway, so asking a question does not have to. Only for catalogs with
        semantic columns (the others never load the model) and only for phrases not stored yet."""
        catalog = self.store.catalog
        if not catalog.semantic_columns():
            return
        model = catalog.embedding.model
        stored = {r[0] for r in self.store.db.execute("SELECT phrase FROM _hq.phrases WHERE model = ?", [model]).fetchall()}
        missing = [p for p in catalog.phrases() if p not in stored]
        if missing:
            vectors = self.embedder.embed(missing)
            self.store.db.executemany("INSERT OR REPLACE INTO _hq.phrases VALUES (?, ?, ?)",
                                      [[model, p, [float(x) for x in v]] for p, v in zip(missing, vectors)])

    def write(self, fetched: list[Fetched], changes: list[RowChanges | None], columns: list[ColumnChanges],
              report: RefreshReport, started: dt.datetime) -> int:
        before = {key: entry.version for key, entry in self.store.recorded_vectors().items()}
        versions = write_lance(self.store, columns, self.embedder.dim if columns else 0)
        writes = [
            TableWrite(f.table, f.source, f.files, rows, report.tables[f.table].issues,
                       f.read.failed if f.read else set(), f.also, f.record)
            for f, rows in zip(fetched, changes)
        ]
        # The new versions' vectors are in memory before the commit makes them visible: a query
        # that starts right after it must not load a whole column from Lance.
        for c in columns:
            if c.any:
                advance_cache(self.store, c, before.get((c.table, c.column)), versions[(c.table, c.column)])
        return write_duckdb(self.store, writes, columns, versions, started, full=not self._limited)

    def _known_vectors(self, plan: ColumnChanges, need: pa.Table, entry) -> dict:
        """hash -> vector for the needed chunks whose text the column already holds (any row):
        read from the in-memory vectors when they are loaded, else from the recorded Lance version."""
        hashes = sorted(set(need.column("_hash").to_pylist()))
        if not hashes:
            return {}
        keys = self.store.catalog.tables[plan.table].primary_key
        held = self.store.db.sql(
            f"SELECT {', '.join(quote(k) for k in keys)}, _chunk, _hash FROM "
            f"{chunks_table(plan.table, plan.column)} WHERE _hash IN (SELECT unnest(?::VARCHAR[]))",
            params=[hashes]).to_arrow_table()
        if not held.num_rows:
            return {}  # all new text: nothing to look up
        view = self.store.vectors.cached(plan.table, plan.column, entry.version)
        if view is None:
            return stored_vectors(self.store.lance.dataset(entry.lance_name, entry.version),
                                  held.column("_hash").to_pylist())
        rows = rows_for_keys_ordered(view, held.select(keys))
        slots = view.starts[rows] + held.column("_chunk").to_numpy()
        return dict(zip(held.column("_hash").to_pylist(), view.matrix[slots]))

    def _holders_of_skipped_copies(self, fetched: Fetched, rows: RowChanges | None) -> set[str]:
        """Unchanged files that hold a row skipped as a duplicate of a key this refresh deletes."""
        if rows is None or not rows.deletes.num_rows or fetched.also or fetched.record is not None:
            return set()
        keys = self.store.catalog.tables[fetched.table].primary_key
        deleted = {key_text(r, keys) for r in rows.deletes.to_pylist()}
        found = self.store.db.execute(
            "SELECT DISTINCT file, key FROM _hq.errors WHERE table_name = ? AND key IS NOT NULL "
            "AND message LIKE 'duplicate primary key%'", [fetched.table]).fetchall()
        scope = set(fetched.scope)
        return {file for file, key in found if key in deleted and file and file not in scope}

    # -- helpers -------------------------------------------------------------------------------

    def _final_texts(self, table: str, column: str, rows: RowChanges | None) -> pa.Table:
        """Key and text of every row as it will be after this refresh (for a whole-column rebuild)."""
        keys = self.store.catalog.tables[table].primary_key
        select = ", ".join(quote(c) for c in [*keys, column])
        if rows is not None and rows.replace_all:
            return rows.upserts.select([*keys, column])
        current = self.store.db.sql(f"SELECT {select} FROM {quote(table)}").to_arrow_table()
        if rows is None or not rows.any:
            return current
        gone = pa.concat_tables([rows.deletes.select(keys), rows.upserts.select(keys)])
        self.store.db.register("_hq_gone", gone)
        try:
            match = " AND ".join(f"t.{quote(k)} = g.{quote(k)}" for k in keys)
            kept = self.store.db.sql(
                f"SELECT {', '.join('t.' + quote(c) for c in [*keys, column])} FROM {quote(table)} t "
                f"WHERE NOT EXISTS (SELECT 1 FROM _hq_gone g WHERE {match})").to_arrow_table()
        finally:
            self.store.db.unregister("_hq_gone")
        return pa.concat_tables([kept, rows.upserts.select([*keys, column]).cast(kept.schema)])
