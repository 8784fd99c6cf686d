"""In-memory chunk vectors of a semantic column, one view per Lance version.

Layout: a growable buffer of chunk vectors in which each row's chunks are contiguous, rows listed
in buffer order, and a mask of dead slots (chunks of deleted or rewritten rows). A new version is
derived from the previous one by appending the rewritten rows' chunks and marking their old slots
dead, so a small refresh costs little however large the column is; views of older versions stay
valid because they only read the part of the buffer they were built with. Scoring is one matrix
product over the buffer and one `maximum.reduceat` over the row starts (dead slots score -inf).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hybridq.store.lance_store import VECTOR

if TYPE_CHECKING:
    from hybridq.store.store import Store

COMPACT_DEAD_SHARE = 0.3  # rebuild the buffer when this share of slots is dead


class _Buffer:
    """Append-only storage shared by successive versions of a column."""

    def __init__(self, matrix: np.ndarray):
        self.data = matrix
        self.used = matrix.shape[0]

    def append(self, vectors: np.ndarray) -> tuple["_Buffer", int]:
        """Append; returns the buffer holding the result (a new one when it had to grow) and the offset."""
        need = self.used + len(vectors)
        target = self
        if need > self.data.shape[0]:
            grown = np.empty((max(need, int(self.data.shape[0] * 1.5) + 1024), self.data.shape[1]), np.float32)
            grown[: self.used] = self.data[: self.used]
            target = _Buffer(grown)
            target.used = self.used
        offset = target.used
        target.data[offset:need] = vectors
        target.used = need
        return target, offset


@dataclass
class ColumnVectors:
    table: str
    column: str
    version: int | None
    keys: pa.Table  # one row per stored row, in buffer order
    starts: np.ndarray  # first slot of each row (ascending)
    lengths: np.ndarray  # chunk count of each row
    chunk_no: np.ndarray  # the _chunk number in each slot
    buffer: _Buffer
    size: int  # slots of the buffer this version uses
    dead: np.ndarray | None = None  # bool per slot, True for slots no row uses
    # an integer key column sorted, and the row of each (made when first needed; see _key_order)
    key_order: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    @property
    def rows(self) -> int:
        return self.keys.num_rows

    @property
    def chunks(self) -> int:
        """Live chunks."""
        return int(self.lengths.sum())

    @property
    def dim(self) -> int:
        return int(self.buffer.data.shape[1])

    @property
    def matrix(self) -> np.ndarray:
        return self.buffer.data[: self.size]

    def chunk_scores(self, query: np.ndarray) -> np.ndarray:
        scores = self.matrix @ query.astype(np.float32, copy=False)
        if self.dead is not None:
            scores[self.dead] = -np.inf
        return scores

    def row_scores(self, query: np.ndarray, with_best_chunk: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Best score of every row (and, when asked, the slot of its best chunk)."""
        if not self.rows:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = self.chunk_scores(query)
        best = np.maximum.reduceat(scores, self.starts)
        return best, (first_best(scores, self.starts, self.lengths, best) if with_best_chunk else None)

    def apply(self, version: int, removed: pa.Table, added_keys: pa.Table, added_lengths: np.ndarray,
              added_chunk_no: np.ndarray, added_vectors: np.ndarray) -> "ColumnVectors":
        """The next version: rows in `removed` gone, rows in `added_keys` (re)written at the end.

        `added_*` hold each added row's complete chunk list, rows in `added_keys` order.
        """
        gone = rows_for_keys(self, removed) if removed.num_rows else np.zeros(0, np.int64)
        dead = np.zeros(self.size, bool) if self.dead is None else self.dead.copy()
        dead[segment_slots(self.starts[gone], self.lengths[gone])] = True
        keep = np.ones(self.rows, bool)
        keep[gone] = False
        buffer, offset = self.buffer.append(added_vectors) if len(added_vectors) else (self.buffer, self.size)
        if len(added_vectors) and offset != self.size:
            # another version was derived from this one first: copy our part to a fresh buffer
            fresh = _Buffer(np.array(self.matrix))
            buffer, offset = fresh.append(added_vectors)
        new_starts = offset + np.concatenate([[0], np.cumsum(added_lengths)[:-1]]).astype(np.int64) \
            if len(added_lengths) else np.zeros(0, np.int64)
        size = offset + len(added_vectors)
        kept = self.keys.filter(pa.array(keep))
        keys = pa.concat_tables([kept, added_keys.select(kept.column_names).cast(kept.schema)])
        out = ColumnVectors(
            self.table, self.column, version, keys,
            np.concatenate([self.starts[keep], new_starts]).astype(np.int64),
            np.concatenate([self.lengths[keep], np.asarray(added_lengths, np.int64)]),
            np.concatenate([self.chunk_no[: self.size], np.asarray(added_chunk_no, np.int32)]),
            buffer, size, np.concatenate([dead, np.zeros(len(added_vectors), bool)]),
        )
        return out.compacted() if out.dead_share() > COMPACT_DEAD_SHARE else out

    def dead_share(self) -> float:
        return 0.0 if self.dead is None or not self.size else float(self.dead.sum()) / self.size

    def compacted(self) -> "ColumnVectors":
        """The same rows in a fresh buffer without dead slots."""
        slots = segment_slots(self.starts, self.lengths)
        starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64) if self.rows else self.starts
        return replace(self, starts=starts, chunk_no=self.chunk_no[slots], buffer=_Buffer(self.matrix[slots]),
                       size=len(slots), dead=None)


def segment_slots(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The slots of consecutive segments [start, start + length), concatenated."""
    if not len(starts):
        return np.zeros(0, np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)


def first_best(scores: np.ndarray, starts: np.ndarray, lengths: np.ndarray, best: np.ndarray) -> np.ndarray:
    """For each segment [start, start + length), the first slot whose score equals the segment's best."""
    slots = segment_slots(starts, lengths)
    rows = np.repeat(np.arange(len(starts)), lengths)
    win = scores[slots] >= best[rows]
    out = np.empty(len(starts), np.int64)
    # reversed so the earliest winning slot of each row is written last
    out[rows[win][::-1]] = slots[win][::-1]
    return out


def rows_for_keys(vectors: ColumnVectors, keys: pa.Table, *, again: bool = False) -> np.ndarray:
    """Row indices (in `vectors`) of the given keys; keys without chunks are left out. `again`:
    the caller looks keys up in this version time after time (a search), so an integer key column
    is sorted once and each lookup is a binary search."""
    if not keys.num_rows or not vectors.rows:
        return np.zeros(0, np.int64)
    names = vectors.keys.column_names
    if len(names) == 1:
        wanted = keys.column(names[0]).cast(vectors.keys.schema.field(0).type)
        if vectors.key_order is None and not again and _few(wanted, vectors):
            return _rows_holding(vectors, wanted)
        order = _key_order(vectors)
        if order is not None:
            return _sorted_lookup(order, wanted)
        if _few(wanted, vectors):
            return _rows_holding(vectors, wanted)
        idx = pc.drop_null(pc.index_in(wanted, value_set=vectors.keys.column(0)))
        return np.unique(idx.to_numpy(zero_copy_only=False).astype(np.int64))
    con = duckdb.connect(":memory:")
    try:
        con.register("k", keys.select(names))
        con.register("v", vectors.keys.append_column("__row", pa.array(np.arange(vectors.rows))))
        on = " AND ".join(f'k."{n}" = v."{n}"' for n in names)
        rows = con.sql(f"SELECT DISTINCT v.__row FROM k JOIN v ON {on} ORDER BY 1").to_arrow_table()
        return rows.column(0).to_numpy().astype(np.int64)
    finally:
        con.close()


def rows_for_keys_ordered(vectors: ColumnVectors, keys: pa.Table) -> np.ndarray:
    """Row index of each key, in the keys' order (keys must exist)."""
    names = vectors.keys.column_names
    if len(names) == 1:
        wanted = keys.column(names[0]).cast(vectors.keys.schema.field(0).type)
        if _few(wanted, vectors):
            found = _rows_holding(vectors, wanted)
            at = pc.index_in(wanted, value_set=vectors.keys.column(0).take(pa.array(found)))
            return found[at.to_numpy(zero_copy_only=False).astype(np.int64)]
        return pc.index_in(wanted, value_set=vectors.keys.column(0)).to_numpy(zero_copy_only=False).astype(np.int64)
    lookup = {tuple(r.values()): i for i, r in enumerate(vectors.keys.to_pylist())}
    return np.asarray([lookup[tuple(r.values())] for r in keys.to_pylist()], dtype=np.int64)


def _key_order(vectors: ColumnVectors) -> tuple[np.ndarray, np.ndarray] | None:
    """An integer key column sorted, and the row of each, made once per version (probing every
    row for a few hundred keys took longer than Lance's whole search on a million chunks)."""
    if vectors.key_order is None:
        column = vectors.keys.column(0)
        if not pa.types.is_integer(column.type) or column.null_count:
            return None
        values = column.to_numpy()
        rows = np.argsort(values, kind="stable")
        vectors.key_order = (values[rows], rows)
    return vectors.key_order


def _sorted_lookup(order: tuple[np.ndarray, np.ndarray], wanted) -> np.ndarray:
    """Rows holding the `wanted` keys, ascending, by binary search in the sorted keys."""
    keys, rows = order
    values = pc.drop_null(wanted).to_numpy(zero_copy_only=False)
    if not len(values) or not len(keys):
        return np.zeros(0, np.int64)
    at = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    return np.unique(rows[at[keys[at] == values]]).astype(np.int64)


def _few(wanted, vectors: ColumnVectors) -> bool:
    # Hashing a few keys and probing every row is several times cheaper than hashing every row
    # (a live refresh or a point query on a large column).
    return len(wanted) * 16 < vectors.rows


def _rows_holding(vectors: ColumnVectors, wanted) -> np.ndarray:
    """Rows whose key is one of `wanted`, ascending."""
    return np.flatnonzero(pc.is_in(vectors.keys.column(0), value_set=wanted).to_numpy(zero_copy_only=False))


def load_vectors(dataset, table: str, column: str, version: int, key_names: list[str]) -> ColumnVectors:
    """Read a column's chunks at a Lance version, each row's chunks contiguous and in order."""
    data = dataset.to_table(columns=[*key_names, "_chunk", VECTOR])
    order = pc.sort_indices(data, sort_keys=[(k, "ascending") for k in key_names] + [("_chunk", "ascending")])
    data = data.take(order)
    vec = data.column(VECTOR).combine_chunks()
    dim = vec.type.list_size
    matrix = np.ascontiguousarray(vec.values.to_numpy(zero_copy_only=False).reshape(-1, dim), dtype=np.float32)
    change = np.zeros(data.num_rows, dtype=bool)
    if data.num_rows:
        change[0] = True
        for k in key_names:
            col = data.column(k).combine_chunks()
            change[1:] |= pc.not_equal(col.slice(1), col.slice(0, len(col) - 1)).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(change).astype(np.int64)
    lengths = np.diff(np.append(starts, data.num_rows)).astype(np.int64)
    keys = data.select(key_names).take(pa.array(starts))
    chunk_no = data.column("_chunk").to_numpy().astype(np.int32)
    return ColumnVectors(table, column, version, keys, starts, lengths, chunk_no, _Buffer(matrix), len(matrix))


def empty_vectors(table: str, column: str, version: int | None, key_fields: list[pa.Field], dim: int) -> ColumnVectors:
    return ColumnVectors(table, column, version, pa.schema(key_fields).empty_table(), np.zeros(0, np.int64),
                         np.zeros(0, np.int64), np.zeros(0, np.int32), _Buffer(np.zeros((0, dim), np.float32)), 0)


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

    def cached(self, table: str, column: str, version: int) -> ColumnVectors | None:
        with self._lock:
            return self._entries.get((table, column), {}).get(version)
