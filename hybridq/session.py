"""Sessions: the catalog, the store and the embedder, and everything a user does with them.

`connect()` returns a `Session` that opens the store in this process, or, when another process
owns the store (a `refresh --watch`, a server, another open session), a `RemoteSession` that asks
that process: the same methods, results and errors either way (DESIGN invariant 5).
`Session.as_role()` gives the view of a session that an API key's role has (hybridq.sql.access).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from hybridq.catalog.model import Catalog
from hybridq.catalog.validate import load_catalog
from hybridq.embed.embedder import Embedder, SentenceTransformerEmbedder
from hybridq.errors import StoreError
from hybridq.serve.client import OwnerClient, RemoteSession
from hybridq.serve.owner import read_owner
from hybridq.serve.watching import WatchLog
from hybridq.refresh.pipeline import Refresher
from hybridq.refresh.progress import Progress
from hybridq.refresh.report import RefreshReport
from hybridq.result import Result
from hybridq.store.store import Store

LOCK_WAIT_SECONDS = 10.0


class _OpenStore:
    """A store opened by this process, shared by its sessions, served to other processes."""

    def __init__(self, catalog: Catalog, memory_limit: str | None):
        self.store = Store(catalog, memory_limit=memory_limit)
        self.users = 0
        self.server = None  # the owner endpoint (hybridq.serve.server.OwnerEndpoint)
        self.watch_log = WatchLog()  # what the watch of this store reports, for followers elsewhere
        self.embedder: Embedder | None = None
        self.alerts = None  # refresh/alerts.Alerts, made on first use


_open_stores: dict[Path, _OpenStore] = {}
_open_lock = threading.Lock()


class Session:
    """An open catalog and its store, in this process. Use `hybridq.connect()` to get one."""

    access = None  # a Session sees everything; see as_role()

    def __init__(self, catalog: Catalog, *, embedder: Embedder | None = None, memory_limit: str | None = None,
                 query_timeout: float | None = 60.0, serve: bool = True, engine=None):
        from hybridq.engine import make_engine

        self.catalog = catalog
        # where this session's queries run (hybridq.engine): the argument, else the catalog's `engine:`
        self.engine = make_engine(catalog.engine if engine is None else engine)
        key = catalog.store_dir
        with _open_lock:
            opened = _open_stores.get(key)
            if opened is None:
                opened = _open_stores[key] = _OpenStore(catalog, memory_limit)
            opened.users += 1
        self._opened = opened
        self.store = opened.store
        if embedder is not None and opened.embedder is None:
            opened.embedder = embedder
        self._embedder_lock = threading.Lock()
        self.query_timeout = query_timeout
        # told the model's name when this session starts loading its weights (seconds): the CLI
        # says so; a context manager it returns is exited when the model is ready
        self.on_model_load: Callable[[str], object] | None = None
        self._closed = False
        if serve and opened.server is None:
            from hybridq.serve.server import OwnerEndpoint

            opened.server = OwnerEndpoint(self, key)

    @property
    def owner_endpoint(self):
        """The HTTP endpoint through which other processes use this store (None with serve=False)."""
        return self._opened.server

    # -- components ----------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use (plain SQL never loads it)."""
        opened = self._opened
        if opened.embedder is None:
            with self._embedder_lock:
                if opened.embedder is None:
                    cfg = self.catalog.embedding
                    embedder = SentenceTransformerEmbedder(cfg.model, self.catalog.base_dir, cfg.batch_size)
                    embedder.on_load = lambda model: self.on_model_load(model) if self.on_model_load else None
                    opened.embedder = embedder
        return opened.embedder

    # -- refresh -------------------------------------------------------------------------------

    def refresh(self, tables: list[str] | None = None, *, paths: dict[str, list[str]] | None = None,
                progress: Progress = None, log: Callable[[str], None] | None = None) -> RefreshReport:
        """Bring the store up to date with the sources: only new or changed rows are (re)embedded.

        `paths` (table -> changed file paths) limits the look at sources to those files (watch mode).
        `progress` is called with a `ProgressEvent` (stage read, embed or write; done and total
        steps; rate) as each stage starts and advances.
        """
        report = Refresher(self.store, lambda: self.engine.bulk_embedder(self.embedder), progress=progress,
                           log=log).run(tables, paths=paths)
        self._alerts().after_refresh(self, report)
        return report

    def subscribe(self, sql: str, on_change, *, key: list[str] | None = None, name: str | None = None):
        """Call `on_change(change)` with the rows added to and removed from `sql`'s result after each
        refresh that changes a table it reads. Rows are identified by the `key` columns (default:
        the whole row). Its last result is kept in the store under `name` (default: from the SQL),
        so subscribing again after a restart reports only what changed meanwhile. Returns a
        subscription; `.cancel()` ends it."""
        return self._alerts().subscribe(self, sql, on_change, key=key, name=name)

    def _alerts(self):
        from hybridq.refresh.alerts import Alerts

        with _open_lock:
            if self._opened.alerts is None:
                self._opened.alerts = Alerts(self.store)
        return self._opened.alerts

    def watch(self, *, log: Callable[[str], None] | None = None, ready: Callable[[], None] | None = None,
              stop: threading.Event | None = None) -> None:
        """Keep the store live: apply source file changes as they happen, until `stop` is set."""
        from hybridq.refresh.watch import Watcher

        hub = self.watch_log
        with hub.cond:
            if hub.watching:
                raise StoreError("this process already watches the store",
                                 hint="its watch log is shown by: hybridq refresh CATALOG --watch")
            hub.watching, hub.ready = True, False

        def tee(line: str) -> None:
            hub.add(line)
            if log:
                log(line)

        def on_ready() -> None:
            hub.state(ready=True)
            if ready:
                ready()

        alerts = self._alerts()
        alerts.log = tee  # alerts that notify stdout print with the watch's lines
        try:
            Watcher(self, log=tee, ready=on_ready, stop=stop).run()
        finally:
            alerts.log = None
            hub.state(watching=False, ready=False)

    @property
    def watch_log(self) -> WatchLog:
        return self._opened.watch_log

    def release_sources(self, tables: list[str] | None = None) -> list[str]:
        """Drop what sources keep on their servers for this store (PostgreSQL replication slots and
        publications), e.g. before a source is removed from the catalog; what was dropped. The next
        refresh of those tables reads them whole again."""
        from hybridq.refresh.sources.postgres import release

        return release(self, tables)

    def maintain(self) -> list[str]:
        """Compact the vector tables and remove Lance versions no open snapshot needs."""
        return self.store.maintain()

    def status(self):
        """Per table and its source: kind, mode, last refresh and success, last error, rows, chunks,
        problems (counted, the first 20 listed) and lag (replication lag for PostgreSQL); per
        standing query: last evaluation and last change. JSON-ready with `.to_dict()`."""
        from hybridq.refresh.status import Status, table_status

        return Status(table_status(self.store), self._alerts().status())

    # -- queries -------------------------------------------------------------------------------

    def sql(self, query: str, params: list | dict | None = None) -> Result:
        """Run one read-only SELECT (semantic functions allowed) on a consistent snapshot.

        `params` fills the query's parameters: a list for `?` (or `$1`, `$2`), a dict for `$name`;
        values are text, numbers, booleans or None, and a text may be what a semantic function
        embeds: `hq.sql("SELECT * FROM tickets WHERE similarity(body, ?) > 0.5", [user_text])`.
        """
        from hybridq.sql.engine import run_query

        return run_query(self, query, params)

    def explain(self, query: str, params: list | dict | None = None):
        """The plan of a query: rewritten SQL and, per semantic call, its strategy and why."""
        from hybridq.sql.engine import explain_query

        return explain_query(self, query, params)

    def retrieve(self, column: str, text: str, k: int = 5, columns: list[str] | None = None) -> Result:
        """The k rows of a semantic column ('table.column') closest to `text`, best first: their
        keys, score, best-matching chunk and any other `columns` of theirs (for RAG)."""
        from hybridq.sql.retrieve import retrieval_sql

        return self.sql(retrieval_sql(self.catalog, column, text, k, columns))

    def ask(self, question: str, *, llm: bool | None = None, **options):
        """Answer a question in words: SQL composed from the catalog (editable, re-runnable with
        `sql()`), what each part of the question became, and the rows; or, when the question can be
        read in several ways, those readings to choose from (`choose=N` answers with reading N); or
        a refusal naming the words that could not be placed."""
        from hybridq.nl import ask

        return ask(self, question, llm=llm, **options)

    def describe(self) -> dict:
        """The catalog as this session sees it (tables, columns, glossary, examples), for prompts."""
        from hybridq.serve.describe import describe_catalog

        return describe_catalog(self.catalog)

    def as_role(self, role: str, attributes: dict | None = None) -> "ScopedSession":
        """This session as a caller with `role` sees it: only the role's tables, rows and columns
        (the catalog's access.roles), in SQL, semantic calls, retrieve and questions alike."""
        from hybridq.sql.access import bind_view

        return ScopedSession(self, bind_view(self.catalog, role, attributes))

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.engine.close()
        key = self.catalog.store_dir
        with _open_lock:
            self._opened.users -= 1
            if self._opened.users > 0:
                return
            _open_stores.pop(key, None)
        if self._opened.server is not None:
            self._opened.server.close()
        if self._opened.alerts is not None:
            self._opened.alerts.close()
        self._opened.store.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ScopedSession:
    """A session seen through a role: its catalog is the role's (other tables and hidden columns do
    not exist), and every query, semantic call and question is rewritten with the role's row
    filters. It shares the store and the model of the session it came from."""

    def __init__(self, base: Session, access):
        self.base = base
        self.access = access
        self.catalog = access.catalog
        self.store = base.store

    @property
    def query_timeout(self) -> float | None:
        return self.base.query_timeout  # the session's limit, whoever asks

    @property
    def embedder(self) -> Embedder:
        return self.base.embedder

    @property
    def engine(self):
        return self.base.engine

    @property
    def role(self) -> str:
        return self.access.role

    sql = Session.sql
    retrieve = Session.retrieve
    ask = Session.ask
    describe = Session.describe

    def explain(self, query: str, params: list | dict | None = None):
        plan = Session.explain(self, query, params)
        # the rewritten SQL spells out the role's filters and the names of its hidden columns
        plan.rewritten = f"(not shown: the access policies of role '{self.role}' apply)"
        return plan


def connect(catalog: str | Path | Catalog, *, embedder: Embedder | None = None, memory_limit: str | None = None,
            query_timeout: float | None = 60.0, engine=None) -> Session | RemoteSession:
    """Open the store a catalog describes (creating it if needed), or reach the process that owns it.

    `engine` says where this session's queries run: 'duckdb' (the default), 'daft', or a mapping
    like the catalog's `engine: {kind: daft, runner: ray}`; None takes the catalog's. A store
    owned by another process answers with that process's engine.

    >>> hq = hybridq.connect("catalogs/acme.yaml")   # doctest: +SKIP
    """
    if not isinstance(catalog, Catalog):
        catalog = load_catalog(catalog)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        with _open_lock:
            local = catalog.store_dir in _open_stores
        if not local:
            remote = _remote(catalog)
            if remote is not None:
                return remote
        try:
            return Session(catalog, embedder=embedder, memory_limit=memory_limit, query_timeout=query_timeout,
                           engine=engine)
        except StoreError as exc:
            # Another process holds the file; it publishes its address as soon as it is open.
            if "in use" not in exc.message or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _remote(catalog: Catalog) -> RemoteSession | None:
    info = read_owner(catalog.store_dir)
    if info is None:
        return None
    client = OwnerClient(info)
    if not client.healthy():
        client.close()
        return None
    return RemoteSession(catalog, client)
