"""Embed stage: chunk the semantic text of changed rows and find a vector for every new chunk.

A chunk is embedded only when no vector exists yet for its text hash: unchanged chunks of an
edited document keep their rows, chunks that moved reuse their vector, and identical chunks are
embedded once.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hybridq.catalog.model import SemanticConfig
from hybridq.embed.chunking import chunk_hash, chunk_texts
from hybridq.embed.embedder import Embedder, Progress
from hybridq.embed.tokens import Tokenizer
from hybridq.store.duck import chunks_table, quote
from hybridq.store.lance_store import VECTOR

_names = itertools.count()


@dataclass
class ColumnChanges:
    table: str
    column: str
    upserts: pa.Table  # key..., _chunk, _text, _hash, vector (+ _existing): chunks to write to Lance
    chunk_index: pa.Table  # key..., _chunk, _hash: the full chunk lists of `replaced` rows
    replaced: pa.Table  # keys whose chunk lists are replaced (changed or deleted rows)
    shrink: list[tuple[dict, int]]  # (key, new chunk count) for rows that lost chunks
    deleted_keys: pa.Table  # keys of deleted rows
    overwrite: bool  # write the whole column anew (first load, new chunking or model)
    only_new_rows: bool = False  # every replaced row is new: no old chunks to remove
    embedded: int = 0
    reused: int = 0
    from_cache: list[str] = field(default_factory=list)  # hashes whose vectors came from the vector cache

    @property
    def any(self) -> bool:
        return bool(self.overwrite or self.upserts.num_rows or self.shrink or self.deleted_keys.num_rows)


def chunk_rows(texts: pa.Table, keys: list[str], column: str, cfg: SemanticConfig, tokenizer: Tokenizer) -> pa.Table:
    """One row per chunk: key..., _chunk, _text, _hash."""
    per_row = chunk_texts(texts.column(column).to_pylist(), tokenizer, cfg.chunk_tokens, cfg.overlap_tokens)
    lengths = np.fromiter((len(c) for c in per_row), np.int64, len(per_row))
    flat = [c for chunks in per_row for c in chunks]
    take = pa.array(np.repeat(np.arange(len(per_row), dtype=np.int64), lengths))
    data = {k: texts.column(k).take(take) for k in keys}
    numbers = np.arange(len(flat), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    data.update(_chunk=pa.array(numbers.astype(np.int32), pa.int32()), _text=pa.array(flat, pa.string()),
                _hash=pa.array([chunk_hash(c) for c in flat], pa.string()))
    return pa.table(data)


def plan_column(con: duckdb.DuckDBPyConnection, table: str, column: str, keys: list[str], cfg: SemanticConfig,
                tokenizer: Tokenizer, texts: pa.Table, deleted: pa.Table, overwrite: bool,
                only_new_rows: bool = False) -> tuple[ColumnChanges, pa.Table]:
    """What changes in the column's chunks; and the chunks that need a vector (key..., _chunk, _text, _hash)."""
    chunks = chunk_rows(texts, keys, column, cfg, tokenizer)
    replaced = pa.concat_tables([texts.select(keys), deleted.select(keys).cast(texts.select(keys).schema)])
    if not texts.num_rows and not overwrite:  # only deletions
        empty = chunks.append_column("_existing", pa.array([], pa.bool_()))
        return ColumnChanges(table, column, empty, chunks.select([*keys, "_chunk", "_hash"]), replaced, [],
                             deleted.select(keys), False), empty
    if overwrite or only_new_rows:  # every chunk is new: nothing stored to compare with
        need = chunks if overwrite else chunks.append_column("_existing", pa.array([False] * chunks.num_rows))
        changes = ColumnChanges(table, column, need, chunks.select([*keys, "_chunk", "_hash"]), replaced, [],
                                deleted.select(keys), overwrite, only_new_rows=only_new_rows)
        return changes, need
    n = next(_names)
    new, rows = f"_hq_nc_{n}", f"_hq_rows_{n}"
    con.register(new, chunks)
    con.register(rows, texts.select(keys))
    join = " AND ".join(f"n.{quote(k)} = m.{quote(k)}" for k in keys)
    mirror = chunks_table(table, column)
    try:
        need = con.sql(
            f"SELECT n.*, m._hash IS NOT NULL AS _existing FROM {new} n "
            f"LEFT JOIN {mirror} m ON {join} AND n._chunk = m._chunk "
            f"WHERE m._hash IS NULL OR m._hash <> n._hash"
        ).to_arrow_table()
        key_join = " AND ".join(f"r.{quote(k)} = m.{quote(k)}" for k in keys)
        new_counts = f"(SELECT {', '.join(quote(k) for k in keys)}, count(*) AS n FROM {new} GROUP BY ALL)"
        shrunk = con.sql(
            f"""
            SELECT {', '.join(f'r.{quote(k)}' for k in keys)}, coalesce(c.n, 0) AS n
            FROM {rows} r
            JOIN (SELECT {', '.join(f'm.{quote(k)}' for k in keys)}, max(m._chunk) + 1 AS old_n
                  FROM {mirror} m JOIN {rows} r ON {key_join} GROUP BY ALL) m
              ON {key_join}
            LEFT JOIN {new_counts} c ON {" AND ".join(f"r.{quote(k)} = c.{quote(k)}" for k in keys)}
            WHERE coalesce(c.n, 0) < m.old_n
            """
        ).to_arrow_table()
    finally:
        con.unregister(new)
        con.unregister(rows)
    shrink = [({k: r[k] for k in keys}, r["n"]) for r in shrunk.to_pylist()]
    changes = ColumnChanges(table, column, need, chunks.select([*keys, "_chunk", "_hash"]), replaced, shrink,
                            deleted.select(keys), False)
    return changes, need


def attach_vectors(changes: ColumnChanges, need: pa.Table, known: dict[str, np.ndarray], embedder: Embedder,
                   dim: int, progress: Progress | None = None) -> None:
    """Give each chunk in `need` a vector: from `known` (hash -> vector) or by embedding its text once."""
    hashes = need.column("_hash").to_pylist()
    texts = need.column("_text").to_pylist()
    missing: dict[str, str] = {}
    for h, t in zip(hashes, texts):
        if h not in known and h not in missing:
            missing[h] = t
    if missing:
        vectors = embedder.embed(list(missing.values()), progress=progress)
        known.update(zip(missing.keys(), vectors))
    changes.embedded = len(missing)
    changes.reused = len(hashes) - len(missing)
    matrix = np.stack([known[h] for h in hashes]).astype(np.float32) if hashes else np.zeros((0, dim), np.float32)
    flat = pa.array(matrix.reshape(-1), pa.float32())
    changes.upserts = need.append_column(VECTOR, pa.FixedSizeListArray.from_arrays(flat, dim))


def stored_vectors(dataset, hashes: list[str]) -> dict[str, np.ndarray]:
    """hash -> vector for the hashes that the (pinned) Lance dataset already holds."""
    if dataset is None or not hashes:
        return {}
    wanted = pa.array(sorted(set(hashes)), pa.string())
    if len(wanted) <= 512:
        listed = ", ".join("'" + h + "'" for h in wanted.to_pylist())
        found = dataset.to_table(columns=["_hash", VECTOR], filter=f"_hash IN ({listed})")
    else:
        found = dataset.to_table(columns=["_hash", VECTOR])
        found = found.filter(pc.is_in(found.column("_hash"), value_set=wanted))
    out: dict[str, np.ndarray] = {}
    if not found.num_rows:
        return out
    vec = found.column(VECTOR).combine_chunks()
    matrix = vec.values.to_numpy(zero_copy_only=False).reshape(-1, vec.type.list_size)
    for h, row in zip(found.column("_hash").to_pylist(), matrix):
        out.setdefault(h, row)
    return out
