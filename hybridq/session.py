"""Session: the catalog, the store and the embedder, and everything a user does with them."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from hybridq.catalog.model import Catalog
from hybridq.catalog.validate import load_catalog
from hybridq.embed.embedder import Embedder, SentenceTransformerEmbedder
from hybridq.refresh.pipeline import ProgressSink, Refresher
from hybridq.refresh.report import RefreshReport
from hybridq.result import Result
from hybridq.store.store import Store


class Session:
    """An open catalog and its store. Use `hybridq.connect()` to get one."""

    def __init__(self, catalog: Catalog, *, embedder: Embedder | None = None, memory_limit: str | None = None,
                 query_timeout: float | None = 60.0):
        self.catalog = catalog
        self.store = Store(catalog, memory_limit=memory_limit)
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        self.query_timeout = query_timeout

    # -- components ----------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use (plain SQL never loads it)."""
        if self._embedder is None:
            with self._embedder_lock:
                if self._embedder is None:
                    cfg = self.catalog.embedding
                    self._embedder = SentenceTransformerEmbedder(cfg.model, self.catalog.base_dir, cfg.batch_size)
        return self._embedder

    # -- refresh -------------------------------------------------------------------------------

    def refresh(self, tables: list[str] | None = None, *, progress: ProgressSink | None = None,
                log: Callable[[str], None] | None = None) -> RefreshReport:
        """Bring the store up to date with the sources: only new or changed rows are (re)embedded."""
        return Refresher(self.store, lambda: self.embedder, progress=progress, log=log).run(tables)

    def status(self):
        """Per table: last refresh, rows, chunks, source problems and how far the store lags."""
        from hybridq.refresh.status import table_status

        return table_status(self.store)

    # -- queries -------------------------------------------------------------------------------

    def sql(self, query: str) -> Result:
        """Run one read-only SELECT (semantic functions allowed) on a consistent snapshot."""
        from hybridq.sql.engine import run_query

        return run_query(self, query)

    def explain(self, query: str):
        """The plan of a query: rewritten SQL and, per semantic call, its strategy and why."""
        from hybridq.sql.engine import explain_query

        return explain_query(self, query)

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def connect(catalog: str | Path | Catalog, *, embedder: Embedder | None = None, memory_limit: str | None = None,
            query_timeout: float | None = 60.0) -> Session:
    """Open the store a catalog describes (creating it if needed).

    >>> hq = hybridq.connect("catalogs/acme.yaml")   # doctest: +SKIP
    """
    if not isinstance(catalog, Catalog):
        catalog = load_catalog(catalog)
    return Session(catalog, embedder=embedder, memory_limit=memory_limit, query_timeout=query_timeout)
