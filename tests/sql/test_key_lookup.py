"""Rows of given keys in a column's in-memory vectors: the binary search over sorted integer keys
(a search looks keys up time after time) finds the same rows as probing every row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from hybridq.store.cache import rows_for_keys
from hybridq.store.cache import ColumnVectors, _Buffer


def vectors_with_keys(keys: pa.Array) -> ColumnVectors:
    n = len(keys)
    return ColumnVectors("t", "c", 1, pa.table({"id": keys}), np.arange(n, dtype=np.int64), np.ones(n, np.int64),
                         np.zeros(n, np.int32), _Buffer(np.zeros((n, 4), np.float32)), n)


def test_sorted_lookup_finds_the_rows_probing_finds():
    rng = np.random.default_rng(0)
    keys = rng.permutation(5_000).astype(np.int64) * 3  # unsorted, with gaps
    wanted = pa.table({"id": pa.array(list(rng.choice(keys, 40, replace=False)) + [1, 2, None, 10**9, -5],
                                      pa.int64())})
    probed = rows_for_keys(vectors_with_keys(pa.array(keys)), wanted)
    view = vectors_with_keys(pa.array(keys))
    searched = rows_for_keys(view, wanted, again=True)
    assert view.key_order is not None  # sorted once, kept with this version
    assert searched.tolist() == probed.tolist() and len(searched) == 40
    assert sorted(keys[searched].tolist()) == sorted(k for k in wanted.column("id").to_pylist()
                                                     if k is not None and k in set(keys.tolist()))
    # later lookups on the same version use the sorted keys, whatever their count
    assert rows_for_keys(view, pa.table({"id": pa.array([keys[7]])})).tolist() == [7]


def test_text_keys_are_probed():
    view = vectors_with_keys(pa.array(["b", "a", "c"]))
    assert rows_for_keys(view, pa.table({"id": ["c", "x", "b"]}), again=True).tolist() == [0, 2]
    assert view.key_order is None
