"""The catalog as a graph of tables joined by relationships, for ranking readings by compactness.

A reading whose elements sit in tables close to each other (a value of the table asked about,
rather than of one three joins away) is preferred, as interpretation trees over a schema graph
are in the literature on questions over databases: the shorter the tree, the likelier the reading.
"""

from __future__ import annotations

from collections import deque
from functools import cached_property

import sqlglot
from sqlglot import exp

from hybridq.catalog.model import Catalog
from hybridq.nl.lexicon import Element, Lexicon

HOP = 0.15  # evidence lost per relationship between an element's table and the tables already named
UNRELATED = 0.6  # no relationship path at all: such a reading cannot be composed into one query


class CatalogGraph:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    @cached_property
    def edges(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {t: set() for t in self.catalog.tables}
        for rel in self.catalog.relationships:
            a = self.catalog.find_table(rel.from_.split(".")[0])
            b = self.catalog.find_table(rel.to.split(".")[0])
            if a and b:
                out[a].add(b)
                out[b].add(a)
        return out

    @cached_property
    def up(self) -> dict[str, set[str]]:
        """table -> the tables it refers to (many-to-one)."""
        out: dict[str, set[str]] = {t: set() for t in self.catalog.tables}
        for rel in self.catalog.relationships:
            a = self.catalog.find_table(rel.from_.split(".")[0])
            b = self.catalog.find_table(rel.to.split(".")[0])
            if a and b and a != b:
                out[a].add(b)
        return out

    @cached_property
    def distances(self) -> dict[str, dict[str, int]]:
        out = {}
        for start in self.catalog.tables:
            seen = {start: 0}
            queue = deque([start])
            while queue:
                t = queue.popleft()
                for n in self.edges[t]:
                    if n not in seen:
                        seen[n] = seen[t] + 1
                        queue.append(n)
            out[start] = seen
        return out

    def distance(self, a: str, b: str) -> int | None:
        return self.distances.get(a, {}).get(b)

    def up_reachable(self, src: str, dst: str) -> bool:
        """Whether dst is reached from src through many-to-one relationships only (a join adds no rows)."""
        seen, frontier = {src}, [src]
        while frontier:
            for b in self.up[frontier.pop()]:
                if b not in seen:
                    seen.add(b)
                    frontier.append(b)
        return dst in seen

    def related(self, a: str, b: str) -> bool:
        return b in self.edges.get(a, set())

    @cached_property
    def _term_tables(self) -> dict[int, list[str]]:
        out = {}
        for i, term in enumerate(self.catalog.glossary):
            if term.kind == "entity":
                found = self.catalog.find_table((term.sql or "").strip())
                out[i] = [found] if found else []
                continue
            try:
                node = sqlglot.parse_one(term.sql or "", dialect="duckdb")
            except Exception:
                out[i] = []
                continue
            tables = []
            for column in node.find_all(exp.Column):
                table = self.catalog.find_table(column.table) if column.table else None
                if table and table not in tables:
                    tables.append(table)
            out[i] = tables
        return out

    def term_tables(self, index: int) -> list[str]:
        return self._term_tables.get(index, [])

    def tables_of(self, e: Element) -> set[str]:
        if e.kind == "term":
            return set(self.term_tables(e.term))
        return {e.table} if e.table else set()

    def coherence(self, tables: set[str], named: set[str]) -> float:
        """Evidence (<= 0) for a reading that puts an element in `tables` while the question names `named`."""
        if not tables or not named:
            return 0.0
        best = None
        for t in tables:
            for n in named:
                d = self.distance(t, n)
                if d is not None and (best is None or d < best):
                    best = d
        return -UNRELATED if best is None else -HOP * best


def catalog_graph(lexicon: Lexicon) -> CatalogGraph:
    """The graph of the lexicon's catalog, made once per lexicon."""
    graph = getattr(lexicon, "_graph", None)
    if graph is None:
        graph = lexicon._graph = CatalogGraph(lexicon.catalog)
    return graph
