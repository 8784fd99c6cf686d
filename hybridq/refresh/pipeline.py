"""The refresh pipeline: fetch -> diff -> embed -> write, each a named stage.

Components are passed in (the embedder, a progress sink, a logger) with do-nothing defaults.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import duckdb
import pyarrow as pa

from hybridq.catalog.issues import did_you_mean
from hybridq.embed.embedder import Embedder
from hybridq.errors import HybridqError
from hybridq.refresh.cache_update import advance_cache
from hybridq.refresh.diff import DUPLICATE, RowChanges, diff_rows, key_text
from hybridq.refresh.external import fetch_external, finish_diff, needs_write
from hybridq.refresh.embed_stage import ColumnChanges, attach_vectors, plan_column, stored_vectors
from hybridq.refresh.files import (
    OUTSIDE,
    FileChanges,
    FileState,
    compare,
    display_paths,
    scan_source,
    source_root,
    stat_files,
)
from hybridq.paths import watch_root
from hybridq.refresh.progress import Progress, as_sink
from hybridq.refresh.report import RefreshReport, TableReport
from hybridq.refresh.sources import READERS, ReadContext, SourceRead
from hybridq.refresh.sources.base import RowIssue
from hybridq.refresh.sources.tabular import csv_key_lines
from hybridq.refresh.write import TableWrite, index_values_again_if_needed, write_duckdb, write_lance
from hybridq.store.cache import rows_for_keys_ordered
from hybridq.store.duck import chunks_table, get_meta, quote
from hybridq.store.store import Store, make_private, private_files


@dataclass
class Fetched:
    table: str
    source: str
    files: FileChanges
    read: SourceRead | None
    scope: list[str]  # files whose stored rows are compared with `read`
    also: set[str] = field(default_factory=set)  # unchanged files read again
    record: object | None = None  # non-file sources: position and problems to commit (external.Record)
    definition: str | None = None  # the source's new definition, when it changed
    links: list[RowIssue] = field(default_factory=list)  # files skipped: links leading outside the source's folder
    links_scope: list[str] | None = None  # the files those were looked for among (None: all)
    links_changed: bool = False  # the skipped links differ from those recorded

    @property
    def any(self) -> bool:
        """Something to record, even when no row changes."""
        return self.files.any or self.definition is not None or self.links_changed


def source_definition(spec, source) -> str:
    """What a table's rows depend on besides its files: the source's kind, path and reading options
    (and which source column fills each table column). When it changes, the source is read again."""
    parts = source.model_dump(exclude={"refresh"}, mode="json")
    parts["columns"] = {c: getattr(col, "source_column", None) for c, col in spec.columns.items()}
    return hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _csv_key(key: str) -> str:
    """A key as the refresh writes it, in the form csv_key_lines reads it from the file."""
    if key.startswith("["):
        try:
            return json.dumps([str(v) for v in json.loads(key)])
        except ValueError:
            return key
    return key


def _shown_root(base_dir, pattern: str) -> str:
    root = watch_root(base_dir, pattern)
    try:
        return os.path.relpath(root, base_dir) if str(root).startswith(str(base_dir)) else str(root)
    except ValueError:
        return str(root)


class Refresher:
    def __init__(self, store: Store, embedder: Embedder | Callable[[], Embedder],
                 progress: Progress = None, log: Callable[[str], None] | None = None):
        self.store = store
        self._embedder = embedder
        self.progress = as_sink(progress)
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
        self._stages = report.stages
        tables = self._known_tables(tables)
        make_private(self.store.directory)
        with self.store.write_lock:
            with private_files(), self._timed("prepare"):
                report.removed = self.store.sync_schema(self.log)
                rebuild = self.store.repair()
            names = tables or (list(paths) if paths else list(self.store.catalog.tables))
            with self._timed("read"):
                scratch = self.store.scratch()
                fetched = [self.fetch(name, scratch, (paths or {}).get(name)) for name in names]
                changes = [self.diff(f) for f in fetched]
                for i, (f, rows) in enumerate(zip(fetched, changes)):
                    again = self._holders_of_skipped_copies(f, rows)
                    if again:  # a deleted key still exists in an unchanged file, skipped as a duplicate before
                        fetched[i] = self.fetch(f.table, scratch, (paths or {}).get(f.table), also=again)
                        changes[i] = self.diff(fetched[i])
            # read once per refresh: embedding reuses their vectors, the write records what changed
            # since; nothing writes in between
            recorded = self.store.recorded_vectors()
            with self._timed("embed"):
                columns = self.embed(fetched, changes, rebuild, recorded)
            for f, rows in zip(fetched, changes):
                tr = report.tables[f.table] = TableReport(f.table, f.source, len(f.files.changed), len(f.files.removed))
                tr.issues = (f.links if f.links_changed else []) + (f.read.issues if f.read else []) + \
                    (rows.issues if rows else [])
                if rows is not None:
                    tr.inserted, tr.updated, tr.deleted = rows.inserted, rows.updated, rows.deleted
            for c in columns:
                report.tables[c.table].chunks_embedded += c.embedded
                report.tables[c.table].chunks_reused += c.reused
            if (any(f.any for f in fetched) or any(c.any for c in columns)
                    or any(needs_write(f, rows) for f, rows in zip(fetched, changes))):
                try:
                    report.refresh_id = self.write(fetched, changes, columns, report, started, recorded)
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
        return report

    @contextlib.contextmanager
    def _timed(self, stage: str):
        """Adds the time spent in the block to the report's `stages` (milliseconds)."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self._stages[stage] = self._stages.get(stage, 0.0) + (time.perf_counter() - t0) * 1000

    def _known_tables(self, tables: list[str] | None) -> list[str] | None:
        """The catalog's spelling of each table asked for; an unknown one is an error that says
        which tables there are."""
        if not tables:
            return tables
        catalog = self.store.catalog
        unknown = [t for t in tables if catalog.find_table(t) is None]
        if unknown:
            close = did_you_mean(unknown[0], catalog.tables)
            raise HybridqError(f"no table '{unknown[0]}' in the catalog",
                               hint=f"did you mean '{close}'?" if close else
                               "tables: " + ", ".join(catalog.tables))
        return [catalog.find_table(t) for t in tables]

    # -- stages --------------------------------------------------------------------------------

    def fetch(self, table: str, scratch: duckdb.DuckDBPyConnection, only: list[str] | None = None,
              also: set[str] = frozenset()) -> Fetched:
        """Find the source's changed files (all of them, or among `only`) and read them, with the
        unchanged files in `also`.

        A source whose definition (kind, path, options) changed since the store last read it is
        read again whole: its files are compared with nothing, and stored files it no longer names
        are removed (their rows deleted; vectors of unchanged text are reused by hash)."""
        catalog = self.store.catalog
        spec = catalog.tables[table]
        source = catalog.sources[spec.source]
        if not source.reads_files:
            return fetch_external(self.store, table, scratch)
        definition = source_definition(spec, source)
        redefined = get_meta(self.store.db, f"source:{table}") != definition
        root = None if source.follow_symlinks else source_root(catalog.base_dir, source.path)
        limited = only is not None and spec.primary_key and not redefined
        if limited:
            shown = sorted(set(display_paths(catalog.base_dir, only)))
            rows = self.store.db.execute(
                "SELECT path, mtime_ns, size, content_hash FROM _hq.files WHERE table_name = ? "
                "AND path IN (SELECT unnest(?::VARCHAR[]))", [table, shown]).fetchall()
            current, outside = stat_files(catalog.base_dir, sorted(set(shown) | set(also)), root)
        else:
            rows = self.store.db.execute(
                "SELECT path, mtime_ns, size, content_hash FROM _hq.files WHERE table_name = ?", [table]).fetchall()
            current, outside = scan_source(catalog.base_dir, source.path, follow_symlinks=root is None)
        stored = {path: FileState(path, mtime, size, digest) for path, mtime, size, digest in rows}
        files = compare(catalog.base_dir, current, {} if redefined else stored, complete=not limited)
        if redefined:
            seen = {s.path for s in current}
            files.removed = sorted(p for p in stored if p not in seen)
        links = [RowIssue(o.path, None, None, o.message(_shown_root(catalog.base_dir, source.path))) for o in outside]
        links_scope = shown if limited else None
        known_links = self._recorded_links(table, links_scope)
        links_changed = {i.file for i in links} != known_links
        fetched = Fetched(table, spec.source, files, None, [], definition=definition if redefined else None,
                          links=links, links_scope=links_scope, links_changed=links_changed)
        if not files.changed and not files.removed and not also:
            return fetched
        to_read = [s.path for s in files.changed] + sorted(also - {s.path for s in files.changed})
        if not spec.primary_key:
            to_read = [s.path for s in current]  # a table without a key is replaced whole
        advance = self.progress.start("read", len(to_read), table) if to_read else None
        ctx = ReadContext(spec.source, source, spec, catalog.base_dir, scratch, advance=advance)
        fetched.read = READERS[source.kind](ctx, to_read)
        fetched.scope = [p for p in to_read if p not in fetched.read.failed] + files.removed
        fetched.also = set(also)
        return fetched

    def _recorded_links(self, table: str, scope: list[str] | None) -> set[str]:
        """Files recorded as links leading outside the source's folder (among `scope`, or all)."""
        if not self.store.has_errors(table):
            return set()
        found = self.store.db.execute(
            "SELECT DISTINCT file FROM _hq.errors WHERE table_name = ? AND starts_with(message, ?)",
            [table, OUTSIDE]).fetchall()
        return {f for (f,) in found if scope is None or f in scope}

    def diff(self, fetched: Fetched) -> RowChanges | None:
        if fetched.read is None:
            return None
        spec = self.store.catalog.tables[fetched.table]
        changes = diff_rows(self.store.db, fetched.table, spec.primary_key, list(spec.columns), fetched.read.rows,
                            fetched.scope, fetched.read.partial)
        changes.issues = self._locate_duplicates(fetched.table, changes.issues)
        return changes if fetched.record is None else finish_diff(self.store.db, fetched, changes, spec.primary_key)

    def _locate_duplicates(self, table: str, issues: list[RowIssue]) -> list[RowIssue]:
        """The line of each CSV row left out because another file holds its key (CSV rows carry
        their line only when their own file needed it)."""
        catalog = self.store.catalog
        spec = catalog.tables[table]
        source = catalog.sources[spec.source]
        unplaced = [i for i in issues if i.line is None and i.file and i.key and i.message.startswith(DUPLICATE)]
        if source.kind != "csv" or not unplaced:
            return issues
        ctx = ReadContext(spec.source, source, spec, catalog.base_dir, self.store.scratch())
        lines = {}
        for file in sorted({i.file for i in unplaced}):
            try:
                found = csv_key_lines(ctx, file, {_csv_key(i.key) for i in unplaced if i.file == file})
            except (OSError, ValueError):
                continue
            lines.update({(file, key): found[key] for key in found})
        out = []
        for issue in issues:
            where = lines.get((issue.file, _csv_key(issue.key or ""))) if issue in unplaced else None
            out.append(replace(issue, line=where.pop(0)) if where else issue)
        return out

    def embed(self, fetched: list[Fetched], changes: list[RowChanges | None],
              rebuild: set[tuple[str, str]], recorded: dict) -> list[ColumnChanges]:
        """Chunk changed semantic text and give every new chunk a vector (embedding only unknown text)."""
        catalog = self.store.catalog
        by_table = {f.table: c for f, c in zip(fetched, changes)}
        plans: list[tuple[ColumnChanges, pa.Table]] = []
        for table, column in catalog.semantic_columns():
            if table not in by_table:  # not in this refresh (--table): a rebuild it needs waits for its own
                continue
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
            plan, need = plan_column(self.store.db, table, column, keys, spec.columns[column].semantic,
                                     self.store.tokenizer, texts,
                                     deleted, overwrite, only_new)
            plans.append((plan, need))
        if not plans:
            return []
        total = sum(need.num_rows for _, need in plans)
        detail = ", ".join(f"{p.table}.{p.column}" for p, need in plans if need.num_rows)
        advance = self.progress.start("embed", total, detail) if total else (lambda n: None)
        model = self.store.catalog.embedding.model
        for plan, need in plans:
            entry = recorded.get((plan.table, plan.column))
            reusable = entry is not None and entry.model == model and self.store.lance.exists(entry.lance_name)
            known = self._known_vectors(plan, need, entry) if reusable else {}
            # text of a dropped table or column that comes back: its vectors were kept
            cached = self.store.cached_vectors(model, [h for h in need.column("_hash").to_pylist() if h not in known])
            known.update(cached)
            plan.from_cache = sorted(cached)
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
              report: RefreshReport, started: dt.datetime, recorded: dict) -> int | None:
        with private_files():  # new Lance fragments, the database's log: its user's only
            return self._write(fetched, changes, columns, report, started, recorded)

    def _write(self, fetched: list[Fetched], changes: list[RowChanges | None], columns: list[ColumnChanges],
               report: RefreshReport, started: dt.datetime, recorded: dict) -> int | None:
        before = {key: entry.version for key, entry in recorded.items()}
        written = [c for c in columns if c.any]
        advance = self.progress.start("write", len(written) + 1, ", ".join(
            [f"{c.table}.{c.column}" for c in written] + sorted({f.table for f in fetched})))
        with self._timed("lance"):
            versions = write_lance(self.store, columns, self.embedder.dim if columns else 0, advance)
        writes = [
            TableWrite(f.table, f.source, f.files, rows,
                       [i for i in report.tables[f.table].issues if i not in f.links],
                       f.read.failed if f.read else set(), f.also, record=f.record, definition=f.definition,
                       links=f.links, links_scope=f.links_scope)
            for f, rows in zip(fetched, changes)
        ]
        # The new versions' vectors are in memory before the commit makes them visible: a query
        # that starts right after it must not load a whole column from Lance.
        with self._timed("vector cache"):
            for c in columns:
                if c.any:
                    advance_cache(self.store, c, before.get((c.table, c.column)), versions[(c.table, c.column)])
        with self._timed("duckdb"):
            refresh_id = write_duckdb(self.store, writes, columns, versions, started, full=not self._limited)
        advance(1)
        return refresh_id

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
            "AND starts_with(message, ?)", [fetched.table, DUPLICATE]).fetchall()
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
