"""Exact vector scoring on in-memory chunk vectors: one matrix product, then a group max per row."""

from __future__ import annotations

import numpy as np

from hybridq.store.cache import ColumnVectors, first_best, segment_slots

BLOCK_CHUNKS = 4096  # outer chunks per block in row-by-row products (bounds memory)


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
