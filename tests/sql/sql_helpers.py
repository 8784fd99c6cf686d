"""Helpers of the SQL tests: rejected queries and their positions, reference scores."""

from __future__ import annotations

import numpy as np
import pytest

import hybridq


def sql_error(session, query: str, cls: type = hybridq.SQLError) -> hybridq.SQLError:
    """The error `session.sql(query)` raises; fails when it raises none or one of another class."""
    with pytest.raises(hybridq.SQLError) as info:
        session.sql(query)
    err = info.value
    assert type(err) is cls, f"expected {cls.__name__}, got {type(err).__name__}: {err}"
    return err


def caret_line(err: hybridq.HybridqError) -> str:
    """The line of `str(err)` that marks the offending part of the SQL with carets, or ''."""
    return next((line for line in str(err).splitlines() if line.strip() and set(line.strip()) == {"^"}), "")


def marked(err: hybridq.HybridqError) -> str:
    """The SQL text the error's position covers."""
    where = err.where
    assert where is not None and where.sql is not None and where.start is not None, f"no SQL position: {err!r}"
    return where.sql[where.start:where.end]


def normalize(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


# -- a brute-force reference, read straight from the Lance dataset a query pinned ----------------


class Chunks:
    """Every chunk of a semantic column at one Lance version: key, chunk number, text, unit vector."""

    def __init__(self, session, table: str, column: str):
        import lance

        cursor = session.store.db.cursor()
        try:
            name, version = cursor.execute(
                "SELECT lance_name, version FROM _hq.vectors WHERE table_name = ? AND column_name = ?",
                [table, column]).fetchone()
        finally:
            cursor.close()
        self.version = version
        self.key = session.catalog.tables[table].primary_key[0]
        dataset = lance.dataset(str(session.store.directory / "lance" / f"{name}.lance"), version=version)
        data = dataset.to_table(columns=[self.key, "_chunk", "_text", "vector"]).to_pylist()
        data.sort(key=lambda r: (r[self.key], r["_chunk"]))
        self.keys = [r[self.key] for r in data]
        self.chunk_no = [r["_chunk"] for r in data]
        self.texts = [r["_text"] for r in data]
        self.vectors = normalize(np.array([r["vector"] for r in data]))

    def chunks_per_key(self) -> dict:
        out: dict = {}
        for key in self.keys:
            out[key] = out.get(key, 0) + 1
        return out

    def scores(self, query: np.ndarray) -> dict:
        """key -> (best cosine over the key's chunks, that chunk's text, its chunk number)."""
        cosine = self.vectors @ normalize(query)
        best: dict = {}
        for key, number, text, score in zip(self.keys, self.chunk_no, self.texts, cosine):
            if key not in best or score > best[key][0]:
                best[key] = (float(score), text, number)
        return best

    def pair_scores(self, other: "Chunks") -> dict:
        """(self key, other key) -> best cosine over all pairs of their chunks."""
        cosine = self.vectors @ other.vectors.T
        best: dict = {}
        for i, a in enumerate(self.keys):
            for j, b in enumerate(other.keys):
                value = float(cosine[i, j])
                if value > best.get((a, b), -2.0):
                    best[(a, b)] = value
        return best


def ranked(scores: dict, keys=None) -> list[tuple]:
    """(key, score) best first, ties broken by key; only `keys` when given."""
    items = [(k, s) for k, s in scores.items() if keys is None or k in keys]
    return sorted(items, key=lambda kv: (-kv[1], kv[0]))


def assert_ranking(got: list[tuple], reference: dict, keys=None, k: int | None = None, tol: float = 1e-5) -> None:
    """`got` (key, score) rows are the reference's top k, in order, with the same scores.

    Two rows may trade places, or one just past the k-th take the last place, only when their
    reference scores are within `tol` (float32 against float64 arithmetic).
    """
    want = ranked(reference, keys)
    want = want if k is None else want[:k]
    assert len(got) == len(want), f"{len(got)} rows, expected {len(want)}"
    for position, ((key, score), (want_key, want_score)) in enumerate(zip(got, want)):
        assert key in reference and (keys is None or key in keys), f"row {key!r} should not be in the result"
        assert abs(score - reference[key]) <= tol, f"{key!r}: score {score} vs reference {reference[key]}"
        assert abs(score - want_score) <= tol, f"position {position}: {key!r} {score} vs {want_key!r} {want_score}"
        if key != want_key:
            assert abs(reference[key] - want_score) <= tol, f"position {position}: {key!r} instead of {want_key!r}"
    assert len({key for key, _ in got}) == len(got), "a row appears twice"


def with_roles(catalog, roles: dict):
    """A copy of `catalog` whose access section declares `roles` (the same tables, file and store)."""
    from hybridq.catalog.model import Catalog

    copy = Catalog.model_validate({**catalog.model_dump(by_alias=True, exclude={"access"}), "access": {"roles": roles}})
    copy._file, copy._located = catalog._file, catalog._located
    return copy


def as_role(session, roles: dict, role: str, attributes: dict | None = None):
    """`session` as a caller of `role` (one of `roles`) sees it."""
    from hybridq.session import ScopedSession
    from hybridq.sql.access import bind_view

    return ScopedSession(session, bind_view(with_roles(session.catalog, roles), role, attributes))
