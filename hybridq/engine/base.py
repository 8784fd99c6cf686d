"""The Engine protocol: what runs a query once the rewrite rules have turned it into SQL plus the
relations its semantic calls need.

An engine computes each relation from the chunk vectors of the Lance versions the query's snapshot
pins (scores per row, the k best rows, pair scores), then runs the rewritten SQL over the catalog
tables of that snapshot and those relations, and hands back Arrow. The rewrite rules know nothing
of engines; `hybridq.sql.lower` checks a query against the engine's `features` and writes the SQL
the engine reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

    from hybridq.engine.requests import Step
    from hybridq.store.store import Snapshot

# What a query may need from an engine, with the words an error uses for it.
FEATURES = {
    "similarity": "similarity() and semantic_match()",
    "vector_search": "vector_search() for one text",
    "vector_search_per_row": "vector_search() for each row of another table (LATERAL)",
    "keyword": "keyword_score() and keyword_match()",
    "hybrid": "hybrid_score()",
    "semantic_join": "similarity() between two semantic columns (a semantic join)",
    "embed": "embed()",
}


class Relations(Protocol):
    """The relations of one query on one snapshot."""

    def compute(self, request) -> tuple[Any, "Step"]:
        """The relation a request (hybridq.engine.requests) describes, and how it was computed."""

    def query_vector(self, text: str) -> np.ndarray:
        """The embedding of a query text (embedded once per query)."""


class Engine(Protocol):
    kind: str  # the name in the catalog's `engine: {kind: ...}`
    dialect: str  # the sqlglot dialect its SQL is written in
    features: frozenset[str]  # keys of FEATURES it can run
    # a query without semantic calls reads one consistent state without a snapshot (one DuckDB statement)
    plain_sql_is_consistent: bool

    def relations(self, session, snap: "Snapshot", sql: str) -> Relations:
        """A planner for the semantic relations of `sql` on this snapshot."""

    def run(self, session, snap: "Snapshot | None", text: str, relations: dict[str, Any], tables: frozenset[str],
            original: str, stop=None, values: list | dict | None = None) -> "pa.Table":
        """Run `text` over the catalog `tables` and the `relations`, collected to Arrow. `snap` is
        None for a query without semantic calls on an engine with `plain_sql_is_consistent`."""

    def bulk_embedder(self, embedder):
        """The embedder a refresh uses: `embedder` itself, or one that runs large batches as a job
        of this engine (the same model and vectors, one model per worker)."""

    def close(self) -> None:
        """Release what the engine holds (clusters it started)."""


class QueryVectors:
    """Each distinct query text embedded once per query (the embedder remembers them across queries)."""

    def __init__(self, session):
        self.session = session
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, text: str) -> np.ndarray:
        if text not in self._vectors:
            embedder = self.session.embedder
            embed_one = getattr(embedder, "embed_query", None)
            self._vectors[text] = embed_one(text) if embed_one else embedder.embed([text])[0]
        return self._vectors[text]
