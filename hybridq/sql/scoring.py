"""Exact vector scoring on in-memory chunk vectors: one matrix product, then a group max per row."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hybridq.store.cache import ColumnVectors, first_best, segment_slots

BLOCK_CHUNKS = 4096  # outer chunks per block in row-by-row products (bounds memory)


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


def chunk_ranges(vectors: ColumnVectors, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(slots of the chunks of `rows`, in order; start offset of each row within them)."""
    lengths = vectors.lengths[rows]
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if len(rows) else np.zeros(0, np.int64)
    return segment_slots(vectors.starts[rows], lengths), offsets


def score_rows(vectors: ColumnVectors, query: np.ndarray, rows: np.ndarray | None = None,
               with_best_chunk: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(row indices, best score per row, slot of the best chunk per row when asked) for all rows or `rows`."""
    if rows is None:
        scores, best = vectors.row_scores(query, with_best_chunk)
        return np.arange(vectors.rows, dtype=np.int64), scores, best
    if not len(rows):
        return rows, np.zeros(0, np.float32), np.zeros(0, np.int64)
    idx, offsets = chunk_ranges(vectors, rows)
    scores = vectors.matrix[idx] @ query.astype(np.float32, copy=False)
    best = np.maximum.reduceat(scores, offsets)
    if not with_best_chunk:
        return rows, best, None
    first = first_best(scores, offsets, vectors.lengths[rows], best)
    return rows, best, idx[first]


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best scores, plus any tied with the k-th, best first (stable)."""
    if k <= 0:
        return np.zeros(0, np.int64)
    if len(scores) <= k:
        return np.argsort(-scores, kind="stable")
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]
    keep = np.flatnonzero(scores >= kth)
    return keep[np.argsort(-scores[keep], kind="stable")]


def row_pair_blocks(left: ColumnVectors, left_rows: np.ndarray, right: ColumnVectors, right_rows: np.ndarray):
    """Best chunk-pair scores between left rows and right rows, a block of left rows at a time.

    Yields (positions in `left_rows`, per-left-row best score against each right chunk,
    per-left-row best score against each right row). One matrix product per block.
    """
    if not len(right_rows) or not len(left_rows):
        return
    r_idx, r_off = chunk_ranges(right, right_rows)
    r_matrix = right.matrix[r_idx]
    lengths = left.lengths[left_rows]
    start = 0
    while start < len(left_rows):
        stop, chunks = start, 0
        while stop < len(left_rows) and (chunks == 0 or chunks + lengths[stop] <= BLOCK_CHUNKS):
            chunks += lengths[stop]
            stop += 1
        l_idx, l_off = chunk_ranges(left, left_rows[start:stop])
        by_left = np.maximum.reduceat(left.matrix[l_idx] @ r_matrix.T, l_off, axis=0)
        yield np.arange(start, stop), by_left, np.maximum.reduceat(by_left, r_off, axis=1)
        start = stop
