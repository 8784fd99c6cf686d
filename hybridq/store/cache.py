"""In-memory chunk vectors of a semantic column, per Lance version.

Chunks are held sorted by row key so that one matrix product and one `maximum.reduceat` give a
score per row (the max over its chunks).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hybridq.store.lance_store import VECTOR

if TYPE_CHECKING:
    from hybridq.store.store import Store


@dataclass
class ColumnVectors:
    table: str
    column: str
    version: int | None
    keys: pa.Table  # one row per stored row, sorted by key
    starts: np.ndarray  # first chunk of each row in `matrix`
    chunk_no: np.ndarray  # the _chunk number of each chunk
    matrix: np.ndarray  # (chunks, dim) float32, L2-normalised
    positions: np.ndarray  # each chunk's position in the Lance dataset version (to fetch its text)

    @property
    def rows(self) -> int:
        return self.keys.num_rows

    @property
    def chunks(self) -> int:
        return int(self.matrix.shape[0])

    def row_of_chunk(self) -> np.ndarray:
        out = np.zeros(self.chunks, dtype=np.int64)
        if self.rows:
            out[self.starts[1:]] = 1
            np.cumsum(out, out=out)
        return out

    def chunk_scores(self, query: np.ndarray) -> np.ndarray:
        return self.matrix @ query.astype(np.float32, copy=False)

    def row_scores(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(best score, index of the best chunk) for every row."""
        if not self.rows:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = self.chunk_scores(query)
        best = np.maximum.reduceat(scores, self.starts)
        return best, self.best_chunk(scores, best)

    def best_chunk(self, scores: np.ndarray, best: np.ndarray) -> np.ndarray:
        """Index (into the chunks) of the first chunk of each row that reaches the row's best score."""
        row = self.row_of_chunk()
        hit = np.flatnonzero(scores >= best[row])
        first = np.full(self.rows, -1, dtype=np.int64)
        # reversed so the earliest hit of each row is written last and wins
        first[row[hit][::-1]] = hit[::-1]
        return first


def empty_vectors(table: str, column: str, version: int | None, key_fields: list[pa.Field], dim: int) -> ColumnVectors:
    return ColumnVectors(table, column, version, pa.schema(key_fields).empty_table(), np.zeros(0, np.int64),
                         np.zeros(0, np.int32), np.zeros((0, dim), np.float32), np.zeros(0, np.int64))


def load_vectors(dataset, table: str, column: str, version: int, key_names: list[str]) -> ColumnVectors:
    data = dataset.to_table(columns=[*key_names, "_chunk", VECTOR])
    positions = np.arange(data.num_rows, dtype=np.int64)
    order = pc.sort_indices(data, sort_keys=[(k, "ascending") for k in key_names] + [("_chunk", "ascending")])
    data = data.take(order)
    positions = positions[order.to_numpy()]
    vec = data.column(VECTOR).combine_chunks()
    dim = vec.type.list_size
    matrix = vec.values.to_numpy(zero_copy_only=False).reshape(-1, dim).astype(np.float32, copy=False)
    change = np.zeros(data.num_rows, dtype=bool)
    if data.num_rows:
        change[0] = True
        for k in key_names:
            col = data.column(k).combine_chunks()
            change[1:] |= pc.not_equal(col.slice(1), col.slice(0, len(col) - 1)).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(change).astype(np.int64)
    keys = data.select(key_names).take(pa.array(starts))
    chunk_no = data.column("_chunk").to_numpy().astype(np.int32)
    return ColumnVectors(table, column, version, keys, starts, chunk_no, np.ascontiguousarray(matrix), positions)


class VectorCache:
    """Chunk vectors per (table, column, Lance version); the two newest versions of a column are kept."""

    def __init__(self, store: "Store"):
        self.store = store
        self._entries: dict[tuple[str, str], dict[int, ColumnVectors]] = {}
        self._lock = threading.Lock()
        self._loading: dict[tuple, threading.Lock] = {}

    def get(self, table: str, column: str, version: int | None) -> ColumnVectors:
        from hybridq.store.store import lance_name

        if version is None:
            return empty_vectors(table, column, None, self.store.key_fields(table), 0)
        key = (table, column)
        with self._lock:
            hit = self._entries.get(key, {}).get(version)
            if hit is not None:
                return hit
            loading = self._loading.setdefault(key + (version,), threading.Lock())
        with loading:
            with self._lock:
                hit = self._entries.get(key, {}).get(version)
            if hit is not None:
                return hit
            dataset = self.store.lance.dataset(lance_name(table, column), version)
            vectors = load_vectors(dataset, table, column, version, self.store.catalog.tables[table].primary_key)
            self.put(vectors)
            return vectors

    def put(self, vectors: ColumnVectors) -> None:
        key = (vectors.table, vectors.column)
        with self._lock:
            versions = self._entries.setdefault(key, {})
            versions[vectors.version] = vectors
            for old in sorted(versions)[:-2]:
                del versions[old]
            self._loading.pop(key + (vectors.version,), None)

    def latest(self, table: str, column: str) -> ColumnVectors | None:
        with self._lock:
            versions = self._entries.get((table, column))
            return versions[max(versions)] if versions else None
