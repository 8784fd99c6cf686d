"""After a write: derive the new version's in-memory vectors from the previous version and the delta.

A live store makes many small writes; reloading a whole column from Lance after each would cost
more than the write itself. The rows whose chunk lists changed are dropped from the previous view
and appended again with their complete chunk lists (unchanged chunks copy their old vectors).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hybridq.refresh.embed_stage import ColumnChanges
from hybridq.store.cache import rows_for_keys_ordered
from hybridq.store.lance_store import VECTOR
from hybridq.store.store import Store


def advance_cache(store: Store, changes: ColumnChanges, old_version: int | None, new_version: int) -> bool:
    """Put the view of `new_version` in the cache; False when the old view is not cached (loaded lazily later)."""
    if changes.overwrite or old_version is None:
        return False
    old = store.vectors.cached(changes.table, changes.column, old_version)
    if old is None:
        return False
    keys = store.catalog.tables[changes.table].primary_key
    shrunk = pa.Table.from_pylist([k for k, _ in changes.shrink], schema=changes.deleted_keys.schema) \
        if changes.shrink else changes.deleted_keys.slice(0, 0)
    touched = pa.concat_tables([
        changes.upserts.select(keys).cast(changes.deleted_keys.schema),
        shrunk, changes.deleted_keys,
    ]).group_by(keys).aggregate([])
    index = changes.chunk_index.join(touched, keys=keys, join_type="inner")
    index = index.sort_by([(k, "ascending") for k in keys] + [("_chunk", "ascending")])
    # Arrow joins cannot carry the vector column: join on a row number and take the vectors by it.
    upserts = changes.upserts.select([*keys, "_chunk"]).append_column(
        "__i", pa.array(np.arange(changes.upserts.num_rows), pa.int64()))
    with_new = index.join(upserts, keys=[*keys, "_chunk"], join_type="left outer")
    with_new = with_new.sort_by([(k, "ascending") for k in keys] + [("_chunk", "ascending")])
    dim = old.dim
    matrix = np.empty((with_new.num_rows, dim), np.float32)
    has_new = pc.is_valid(with_new.column("__i")).to_numpy(zero_copy_only=False)
    if has_new.any():
        fresh = changes.upserts.column(VECTOR).combine_chunks().values.to_numpy(zero_copy_only=False).reshape(-1, dim)
        matrix[has_new] = fresh[with_new.column("__i").to_numpy(zero_copy_only=False)[has_new].astype(np.int64)]
    if (~has_new).any():
        kept = with_new.filter(pa.array(~has_new))
        rows = rows_for_keys_ordered(old, kept.select(keys))
        slots = old.starts[rows] + kept.column("_chunk").to_numpy()
        matrix[~has_new] = old.matrix[slots]
    counts = with_new.group_by(keys, use_threads=False).aggregate([("_chunk", "count")])
    counts = counts.sort_by([(k, "ascending") for k in keys])
    view = old.apply(new_version, touched, counts.select(keys), counts.column("_chunk_count").to_numpy(),
                     with_new.column("_chunk").to_numpy().astype(np.int32), matrix)
    store.vectors.put(view)
    return True
