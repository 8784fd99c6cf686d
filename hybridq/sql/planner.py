"""The planner: decides how each semantic request is evaluated and computes its relation.

Strategies (shown by explain):
- exact scan: every chunk of the column scored in one matrix product, a group max per row;
- candidate scoring: a WHERE filter on the same table leaves few rows; only their chunks are scored;
- ANN with prefilter: a global top-k on a large indexed column uses Lance's vector index (the
  filter's rows pushed into Lance), over-fetches, re-scores exactly, and falls back to exact when
  too few rows survive;
- full-text: BM25 from the column's Lance full-text index;
- per-row top-k and pair scores: one blocked matrix product between two columns' chunks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from hybridq.errors import SQLError
from hybridq.sql.scoring import chunk_ranges, row_pair_blocks, rows_for_keys, score_rows, top_rows
from hybridq.sql.semantic import AttachRequest, PairRequest, ScoreSpec, SearchRequest, hidden
from hybridq.store.cache import ColumnVectors
from hybridq.store.duck import quote
from hybridq.store.store import Snapshot, lance_name

CANDIDATE_FRACTION = 0.5  # score only the filtered rows when they hold at most this share of chunks
MAX_PAIRS = 20_000_000
RRF_K = 60


@dataclass
class Step:
    """How one semantic request was evaluated (one line of explain)."""

    relation: str
    call: str
    strategy: str
    reason: str
    rows_scored: int = 0
    chunks_scored: int = 0
    output_rows: int = 0
    millis: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class Planner:
    def __init__(self, session, snapshot: Snapshot):
        self.session = session
        self.snap = snapshot
        self._vectors: dict[str, np.ndarray] = {}

    # -- shared helpers ------------------------------------------------------------------------

    def query_vector(self, text: str) -> np.ndarray:
        """Each distinct query text is embedded once per query (and remembered by the embedder)."""
        if text not in self._vectors:
            embedder = self.session.embedder
            embed_one = getattr(embedder, "embed_query", None)
            self._vectors[text] = embed_one(text) if embed_one else embedder.embed([text])[0]
        return self._vectors[text]

    def column(self, table: str, column: str) -> ColumnVectors:
        if self.snap.version(table, column) is None:
            raise SQLError(f"{table}.{column} has no vectors yet", hint="run a refresh first: hybridq refresh CATALOG")
        return self.snap.vectors(table, column)

    def candidate_keys(self, table: str, alias: str, keys: list[str], filters: list[exp.Expression]) -> pa.Table | None:
        """Keys of the rows that pass the filters, read in the query's own snapshot."""
        if not filters:
            return None
        select = exp.select(*[exp.column(k, table=alias) for k in keys]).from_(
            exp.Table(this=exp.to_identifier(table), alias=exp.TableAlias(this=exp.to_identifier(alias))))
        select = select.where(exp.and_(*[f.copy() for f in filters]))
        return self.snap.cursor.sql(select.sql(dialect="duckdb")).to_arrow_table()

    def _rows(self, vectors: ColumnVectors, candidates: pa.Table | None) -> np.ndarray | None:
        return None if candidates is None else rows_for_keys(vectors, candidates)

    # -- requests ------------------------------------------------------------------------------

    def compute(self, request) -> tuple[pa.Table, Step]:
        t0 = time.perf_counter()
        if isinstance(request, AttachRequest):
            table, step = self._attach(request)
        elif isinstance(request, SearchRequest):
            table, step = self._search_outer(request) if request.outer else self._search(request)
        elif isinstance(request, PairRequest):
            table, step = self._pairs(request)
        else:  # pragma: no cover
            raise TypeError(request)
        step.millis = (time.perf_counter() - t0) * 1000
        step.output_rows = table.num_rows
        return table, step

    def _attach(self, req: AttachRequest) -> tuple[pa.Table, Step]:
        candidates = self.candidate_keys(req.table, req.alias, req.keys, req.filters)
        ordered = sorted(req.scores, key=lambda s: s.name != req.top_score)  # the ordering score first
        relation: pa.Table | None = None
        steps = []
        for spec in ordered:
            vectors = self.column(req.table, spec.column)
            rows = self._rows(vectors, candidates)
            strategy, reason = self._exact_strategy(vectors, rows, req.filters)
            if spec.kind == "similarity":
                rows_, scores, _ = score_rows(vectors, self.query_vector(spec.text), rows)
            elif spec.kind == "keyword":
                rows_, scores = self._keyword(req.table, spec, vectors, rows)
                strategy, reason = "full-text (BM25)", f"Lance full-text index on {req.table}.{spec.column}"
            else:
                rows_, scores = self._hybrid(req.table, spec, vectors, rows)
                strategy, reason = "hybrid (RRF)", f"fuses vector and BM25 rankings over {len(rows_):,} rows"
            chunks = vectors.chunks if rows is None else int(len(chunk_ranges(vectors, rows)[0]))
            if spec.name == req.top_score and req.top_k is not None:
                keep = top_rows(scores, req.top_k)
                rows_, scores = rows_[keep], scores[keep]
                reason += f"; only the top {req.top_k} rows can reach the output"
            part = vectors.keys.take(pa.array(rows_)).append_column(spec.name, pa.array(scores.astype(np.float64)))
            if relation is None:
                relation = part
            else:
                how = "left outer" if req.top_k is not None else "full outer"
                relation = relation.join(part, keys=req.keys, join_type=how)
            steps.append(Step(req.relation, f"{_fn(spec)}({req.alias}.{spec.column}, {spec.text!r})", strategy, reason,
                              rows_scored=len(rows_) if rows is None else len(rows), chunks_scored=chunks))
        step = steps[0]
        if len(steps) > 1:
            step.call = "; ".join(s.call for s in steps)
        return relation, step

    def _exact_strategy(self, vectors: ColumnVectors, rows: np.ndarray | None, filters) -> tuple[str, str]:
        if rows is None:
            return "exact scan", f"no filter on the table: all {vectors.chunks:,} chunks scored in one matrix product"
        chunks = len(chunk_ranges(vectors, rows)[0])
        if chunks <= CANDIDATE_FRACTION * max(vectors.chunks, 1):
            cond = " AND ".join(f.sql(dialect="duckdb") for f in filters)
            return "candidate scoring", f"WHERE {cond} leaves {len(rows):,} of {vectors.rows:,} rows ({chunks:,} chunks)"
        return "exact scan", f"the filter keeps {len(rows):,} of {vectors.rows:,} rows: scoring them all"

    def _keyword(self, table: str, spec: ScoreSpec, vectors: ColumnVectors, rows: np.ndarray | None):
        """BM25 per row (best chunk) from the Lance full-text index; 0 where no word matches."""
        dataset = self.session.store.lance.dataset(lance_name(table, spec.column), self.snap.version(table, spec.column))
        keys = vectors.keys.column_names
        try:
            found = dataset.to_table(full_text_query=spec.text, columns=[*keys, "_score"])
        except ValueError as exc:
            if "INVERTED" in str(exc):
                raise SQLError(f"{table}.{spec.column} has no full-text index yet",
                               hint="run a refresh; the index is built with the column's vectors") from None
            raise
        by_row = np.zeros(vectors.rows, dtype=np.float64)
        if found.num_rows:
            best = found.group_by(keys).aggregate([("_score", "max")])
            by_row[rows_for_keys_ordered(vectors, best.select(keys))] = best.column("_score_max").to_numpy()
        all_rows = np.arange(vectors.rows, dtype=np.int64) if rows is None else rows
        return all_rows, by_row[all_rows]

    def _hybrid(self, table: str, spec: ScoreSpec, vectors: ColumnVectors, rows: np.ndarray | None):
        rows_, vec_scores, _ = score_rows(vectors, self.query_vector(spec.text), rows)
        _, kw_scores = self._keyword(table, spec, vectors, rows_)
        rank_v = np.empty(len(rows_)); rank_v[np.argsort(-vec_scores, kind="stable")] = np.arange(1, len(rows_) + 1)
        rank_k = np.empty(len(rows_)); rank_k[np.argsort(-kw_scores, kind="stable")] = np.arange(1, len(rows_) + 1)
        fused = 1.0 / (RRF_K + rank_v) + np.where(kw_scores > 0, 1.0 / (RRF_K + rank_k), 0.0)
        return rows_, fused

    def _search(self, req: SearchRequest) -> tuple[pa.Table, Step]:
        vectors = self.column(req.table, req.column)
        rows, scores, best = score_rows(vectors, self.query_vector(req.text))
        keep = top_rows(scores, req.k)[: req.k]
        relation = self._with_chunks(vectors, req, rows[keep], scores[keep], best[keep])
        step = Step(req.relation, f"vector_search('{req.table}.{req.column}', {req.text!r}, {req.k})", "exact scan",
                    f"all {vectors.chunks:,} chunks scored in one matrix product; top {req.k} rows kept",
                    rows_scored=vectors.rows, chunks_scored=vectors.chunks)
        return relation, step

    def _with_chunks(self, vectors: ColumnVectors, req: SearchRequest, rows, scores, best_chunks,
                     extra: dict | None = None) -> pa.Table:
        """Keys of the chosen rows, their score and the text of their best chunk (read from Lance)."""
        dataset = self.session.store.lance.dataset(lance_name(req.table, req.column), vectors.version)
        texts = (dataset.take(vectors.positions[best_chunks].tolist(), columns=["_text"]).column("_text")
                 if len(best_chunks) else pa.array([], pa.string()))
        keys = vectors.keys.take(pa.array(rows, pa.int64()))
        columns = dict(extra or {})
        columns.update({n: keys.column(n) for n in keys.column_names})
        columns["_score"] = pa.array(np.asarray(scores, dtype=np.float64))
        columns["_chunk"] = texts
        return pa.table(columns)

    def _search_outer(self, req: SearchRequest) -> tuple[pa.Table, Step]:
        outer_vectors = self.column(req.outer.table, req.outer.column)
        inner = self.column(req.table, req.column)
        candidates = self.candidate_keys(req.outer.table, req.outer.alias, req.outer_keys, req.outer_filters)
        outer_rows = np.arange(outer_vectors.rows, dtype=np.int64) if candidates is None else \
            rows_for_keys(outer_vectors, candidates)
        inner_rows = np.arange(inner.rows, dtype=np.int64)
        r_idx, r_off = chunk_ranges(inner, inner_rows)
        r_end = np.append(r_off[1:], len(r_idx))
        k = min(req.k, inner.rows)
        out_outer, out_inner, out_score, out_chunk = [], [], [], []
        for positions, by_chunk, by_row in row_pair_blocks(outer_vectors, outer_rows, inner, inner_rows):
            if k == 0:
                break
            top = np.argpartition(-by_row, k - 1, axis=1)[:, :k] if k < by_row.shape[1] else \
                np.tile(np.arange(by_row.shape[1]), (len(positions), 1))
            for i, cols in zip(range(len(positions)), top):
                cols = cols[np.argsort(-by_row[i, cols], kind="stable")]
                for j in cols:
                    chunk = r_off[j] + int(np.argmax(by_chunk[i, r_off[j]:r_end[j]]))
                    out_outer.append(outer_rows[positions[i]])
                    out_inner.append(j)
                    out_score.append(by_row[i, j])
                    out_chunk.append(r_idx[chunk])
        outer_keys = outer_vectors.keys.take(pa.array(out_outer, pa.int64()))
        extra = {hidden(f"q_{k_}"): outer_keys.column(k_) for k_ in req.outer_keys}
        relation = self._with_chunks(inner, req, np.asarray(out_inner, np.int64), np.asarray(out_score),
                                     np.asarray(out_chunk, np.int64), extra)
        step = Step(req.relation, f"vector_search('{req.table}.{req.column}', {req.outer.alias}.{req.outer.column}, {req.k})",
                    "per-row top-k", f"{len(outer_rows):,} outer rows x {inner.rows:,} rows in blocked matrix products",
                    rows_scored=len(outer_rows) * inner.rows, chunks_scored=len(r_idx))
        return relation, step

    def _pairs(self, req: PairRequest) -> tuple[pa.Table, Step]:
        left = self.column(req.left.table, req.left.column)
        right = self.column(req.right.table, req.right.column)
        lc = self.candidate_keys(req.left.table, req.left.alias, req.left_keys, req.left_filters)
        rc = self.candidate_keys(req.right.table, req.right.alias, req.right_keys, req.right_filters)
        l_rows = np.arange(left.rows, dtype=np.int64) if lc is None else rows_for_keys(left, lc)
        r_rows = np.arange(right.rows, dtype=np.int64) if rc is None else rows_for_keys(right, rc)
        if len(l_rows) * len(r_rows) > MAX_PAIRS:
            raise SQLError(
                f"similarity() between {req.left} and {req.right} would score {len(l_rows) * len(r_rows):,} pairs "
                f"(limit {MAX_PAIRS:,})",
                hint=f"for each row's closest rows use LATERAL vector_search('{req.right}', {req.left.alias}.{req.left.column}, k), "
                "or filter the tables first")
        blocks = [(pos, by_row) for pos, _, by_row in row_pair_blocks(left, l_rows, right, r_rows)]
        scores = np.concatenate([b.reshape(-1) for _, b in blocks]) if blocks else np.zeros(0)
        alias = req.relation.replace("__hq_rel_", "__hq_p")
        l_take = np.repeat(l_rows, len(r_rows))
        r_take = np.tile(r_rows, len(l_rows))
        lk, rk = left.keys.take(pa.array(l_take)), right.keys.take(pa.array(r_take))
        columns = {f"{alias}_l_{k}": lk.column(k) for k in req.left_keys}
        columns.update({f"{alias}_r_{k}": rk.column(k) for k in req.right_keys})
        columns[f"{alias}_score"] = pa.array(scores.astype(np.float64))
        step = Step(req.relation, f"similarity({req.left.alias}.{req.left.column}, {req.right.alias}.{req.right.column})",
                    "pair scores", f"{len(l_rows):,} x {len(r_rows):,} rows in blocked matrix products",
                    rows_scored=len(l_rows) * len(r_rows))
        return pa.table(columns), step


def rows_for_keys_ordered(vectors: ColumnVectors, keys: pa.Table) -> np.ndarray:
    """Row index of each key, in the keys' order (keys must exist)."""
    names = vectors.keys.column_names
    if len(names) == 1:
        return pc.index_in(keys.column(names[0]).cast(vectors.keys.schema.field(0).type),
                           value_set=vectors.keys.column(0)).to_numpy(zero_copy_only=False).astype(np.int64)
    lookup = {tuple(r.values()): i for i, r in enumerate(vectors.keys.to_pylist())}
    return np.asarray([lookup[tuple(r.values())] for r in keys.to_pylist()], dtype=np.int64)


def _fn(spec: ScoreSpec) -> str:
    return {"similarity": "similarity", "keyword": "keyword_score", "hybrid": "hybrid_score"}[spec.kind]
