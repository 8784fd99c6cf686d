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

import threading
import time
from collections import OrderedDict

import duckdb
import numpy as np
import pyarrow as pa
from sqlglot import exp

from hybridq.engine.base import QueryVectors
from hybridq.engine.requests import AttachRequest, PairRequest, ScoreSpec, SearchRequest, Step, hidden
from hybridq.engine.scoring import chunk_ranges, row_pair_blocks, score_rows, top_rows
from hybridq.errors import SQLError, duckdb_error
from hybridq.embed.chunking import chunk_spans
from hybridq.engine.fusion import VECTOR_WEIGHT, fuse_scores
from hybridq.store.cache import ColumnVectors, rows_for_keys, rows_for_keys_ordered
from hybridq.store.duck import quote
from hybridq.store.lance_store import VECTOR, ann_parameters, key_filter
from hybridq.store.store import Snapshot, lance_name

CANDIDATE_FRACTION = 0.5  # score only the filtered rows when they hold at most this share of chunks
CANDIDATE_LIMIT = 50_000  # on an ANN-indexed column, at most this many filtered chunks are scored exactly
PREFILTER_MAX_KEYS = 100_000  # larger filtered sets are applied after the ANN search
# Candidates the index proposes per wanted chunk, and partitions probed (1 in 10): PQ codes cannot
# order near neighbours finely, so many are proposed and re-scored exactly. Measured on 1M chunks
# in tight clusters (bench_semantic.py): 72 proposed at 1 in 20 partitions gave recall@10 0.76;
# 432 at 1 in 10 give 0.97.
ANN_OVERFETCH = 40
POSTFILTER_MAX_FACTOR = 20  # a filter that keeps fewer rows than 1/20 is better scored exactly
ANN_MIN_PROBES = 20
ANN_PROBE_DIVISOR = 10
MAX_PAIRS = 20_000_000


_CANDIDATE_SQL: OrderedDict[tuple, tuple[list, str]] = OrderedDict()
_CANDIDATE_LOCK = threading.Lock()


def candidate_sql(table: str, alias: str, keys: list[str], filters: list[exp.Expression]) -> str:
    """The SELECT of the filtered keys, made once per rewritten query (its filters stay the same
    objects while the query is cached; the entry holds them, so their id is not reused)."""
    memo = (table, alias, tuple(keys), id(filters))
    hit = _CANDIDATE_SQL.get(memo)
    if hit is not None:
        return hit[1]
    select = exp.select(*[exp.column(k, table=alias) for k in keys]).from_(
        exp.Table(this=exp.to_identifier(table), alias=exp.TableAlias(this=exp.to_identifier(alias))))
    text = select.where(exp.and_(*[f.copy() for f in filters]), copy=False).sql(dialect="duckdb", copy=False)
    with _CANDIDATE_LOCK:
        _CANDIDATE_SQL[memo] = (filters, text)
        if len(_CANDIDATE_SQL) > 1024:
            _CANDIDATE_SQL.popitem(last=False)
    return text


class Planner:
    def __init__(self, session, snapshot: Snapshot, sql: str = ""):
        self.session = session
        self.snap = snapshot
        self.sql = sql  # the user's query, for error positions
        self.query_vector = QueryVectors(session)

    # -- shared helpers ------------------------------------------------------------------------

    def column(self, table: str, column: str) -> ColumnVectors:
        if self.snap.version(table, column) is None:
            raise SQLError(f"{table}.{column} has no vectors yet", hint="run a refresh first: hybridq refresh CATALOG")
        return self.snap.vectors(table, column)

    def candidate_keys(self, table: str, alias: str, keys: list[str], filters: list[exp.Expression]) -> pa.Table | None:
        """Keys of the rows that pass the filters, read in the query's own snapshot."""
        if not filters:
            return None
        text = candidate_sql(table, alias, keys, filters)
        try:
            return self.snap.cursor.sql(text).to_arrow_table()
        except duckdb.InterruptException:
            raise  # the query's deadline passed: a timeout, not an error in the SQL
        except duckdb.Error as exc:
            raise duckdb_error(exc, self.sql, rewritten=True) from None

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
            ann = None
            if spec.kind == "similarity" and spec.name == req.top_score and req.top_k is not None:
                ann = self._ann(req.table, spec.column, vectors, self.query_vector(spec.text), req.top_k,
                                candidates, rows)
            if ann is not None:
                rows_, scores, _, strategy, reason = ann
            elif spec.kind == "similarity":
                rows_, scores, _ = score_rows(vectors, self.query_vector(spec.text), rows)
            elif spec.kind == "keyword":
                rows_, scores = self._keyword(req.table, spec, vectors, rows)
                strategy, reason = "full-text (BM25)", f"Lance full-text index on {req.table}.{spec.column}"
            else:
                rows_, scores = self._hybrid(req.table, spec, vectors, rows)
                strategy, reason = "hybrid (score fusion)", (f"standardised vector and BM25 scores over {len(rows_):,} rows, "
                                                             f"weighted {VECTOR_WEIGHT:g} : {1 - VECTOR_WEIGHT:g}")
            chunks = vectors.chunks if rows is None else int(len(chunk_ranges(vectors, rows)[0]))
            scored = len(rows_)  # before the top k are kept: every one of them was scored
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
            steps.append(Step(req.relation, f"{spec.function}({req.alias}.{spec.column}, {spec.text!r})", strategy, reason,
                              rows_scored=scored, chunks_scored=chunks))
        step = steps[0]
        if len(steps) > 1:
            step.call = "; ".join(s.call for s in steps)
        return relation, step

    def _ann(self, table: str, column: str, vectors: ColumnVectors, query: np.ndarray, k: int,
             candidates: pa.Table | None, rows: np.ndarray | None):
        """ANN with prefilter for a global top-k on a large indexed column, or None to score exactly.

        Lance's index proposes rows (over-fetched, the filter's rows pushed down as a prefilter);
        they are re-scored exactly from the in-memory vectors. Too few survivors: exact instead.
        """
        store = self.session.store
        name = lance_name(table, column)
        if vectors.chunks < self.session.catalog.embedding.ann_min_rows or not store.lance.has_vector_index(name, vectors.version):
            return None
        if rows is not None and len(chunk_ranges(vectors, rows)[0]) <= CANDIDATE_LIMIT:
            return None  # candidate scoring is exact and cheaper
        per_row = vectors.chunks / max(vectors.rows, 1)
        fetch = int(k * per_row * ANN_OVERFETCH) + 32
        where, prefilter, how = None, False, "no filter"
        if candidates is not None:
            if candidates.num_rows <= PREFILTER_MAX_KEYS:
                where, prefilter = key_filter(candidates), True
                how = f"prefilter: {candidates.num_rows:,} rows pushed into Lance"
            else:
                fetch = int(fetch * min(vectors.rows / max(len(rows), 1), POSTFILTER_MAX_FACTOR))
                how = f"filter keeps {len(rows):,} of {vectors.rows:,} rows: over-fetch and post-filter"
        partitions = ann_parameters(vectors.chunks, vectors.matrix.shape[1])["num_partitions"]
        nearest = {"column": VECTOR, "q": query.astype(np.float32), "k": min(fetch, vectors.chunks),
                   "nprobes": max(ANN_MIN_PROBES, partitions // ANN_PROBE_DIVISOR), "metric": "cosine"}
        # `_distance` named: Lance adds it anyway, and warns on every search when it is left out
        hits = store.lance.dataset(name, vectors.version).to_table(
            nearest=nearest, columns=[*vectors.keys.column_names, "_distance"], filter=where, prefilter=prefilter)
        found = rows_for_keys(vectors, hits, again=True)
        if rows is not None and not prefilter:
            found = np.intersect1d(found, rows)
        if len(found) < k:
            return None
        found, scores, best = score_rows(vectors, query, found, with_best_chunk=True)
        reason = (f"top {k} over {vectors.chunks:,} chunks with a vector index ({how}); "
                  f"{len(found):,} proposed rows re-scored exactly")
        return found, scores, best, "ANN with prefilter", reason

    def _exact_strategy(self, vectors: ColumnVectors, rows: np.ndarray | None, filters) -> tuple[str, str]:
        if rows is None:
            return "exact scan", f"no filter on the table: all {vectors.chunks:,} chunks scored in one matrix product"
        chunks = len(chunk_ranges(vectors, rows)[0])
        if chunks <= CANDIDATE_FRACTION * max(vectors.chunks, 1):
            cond = " AND ".join("<the role's row policy>" if f.meta.get("hq_policy") else f.sql(dialect="duckdb")
                                for f in filters)
            return "candidate scoring", f"WHERE {cond} leaves {len(rows):,} of {vectors.rows:,} rows ({chunks:,} chunks)"
        return "exact scan", f"the filter keeps {len(rows):,} of {vectors.rows:,} rows: scoring them all"

    def _keyword(self, table: str, spec: ScoreSpec, vectors: ColumnVectors, rows: np.ndarray | None):
        """BM25 per row (best chunk) from the Lance full-text index; 0 where no word matches."""
        dataset = self.session.store.lance.dataset(lance_name(table, spec.column), self.snap.version(table, spec.column))
        keys = vectors.keys.column_names
        best = keyword_hits(dataset, table, spec.column, spec.text, keys)
        by_row = np.zeros(vectors.rows, dtype=np.float64)
        if best.num_rows:
            by_row[rows_for_keys_ordered(vectors, best.select(keys))] = best.column("_score_max").to_numpy()
        all_rows = np.arange(vectors.rows, dtype=np.int64) if rows is None else rows
        return all_rows, by_row[all_rows]

    def _hybrid(self, table: str, spec: ScoreSpec, vectors: ColumnVectors, rows: np.ndarray | None):
        rows_, vec_scores, _ = score_rows(vectors, self.query_vector(spec.text), rows)
        _, kw_scores = self._keyword(table, spec, vectors, rows_)
        return rows_, fuse_scores(vec_scores, kw_scores)

    def _search(self, req: SearchRequest) -> tuple[pa.Table, Step]:
        vectors = self.column(req.table, req.column)
        query = self.query_vector(req.text)
        # the caller's row policy: only the rows it sees compete for the top k
        candidates = self.candidate_keys(req.table, req.alias, req.keys, req.filters)
        visible = self._rows(vectors, candidates)
        ann = self._ann(req.table, req.column, vectors, query, req.k, candidates, visible)
        if ann is not None:
            rows, scores, best, strategy, reason = ann
        else:
            rows, scores, best = score_rows(vectors, query, visible, with_best_chunk=True)
            scored = f"all {vectors.chunks:,} chunks" if visible is None else \
                f"the {int(len(chunk_ranges(vectors, visible)[0])):,} chunks of the {len(visible):,} rows the role sees"
            strategy, reason = "exact scan", f"{scored} scored in one matrix product; top {req.k} rows kept"
        keep = top_rows(scores, req.k)[: req.k]
        relation = self._with_chunks(vectors, req, rows[keep], scores[keep], best[keep])
        step = Step(req.relation, f"vector_search('{req.table}.{req.column}', {req.text!r}, {req.k})", strategy,
                    reason, rows_scored=len(rows), chunks_scored=vectors.chunks if ann is None else len(rows))
        return relation, step

    def _with_chunks(self, vectors: ColumnVectors, req: SearchRequest, rows, scores, best_chunks,
                     extra: dict | None = None) -> pa.Table:
        """Keys of the chosen rows, their score and the text of their best chunk (read from Lance)."""
        keys = vectors.keys.take(pa.array(rows, pa.int64()))
        texts = self._chunk_texts(req.table, req.column, vectors, keys, vectors.chunk_no[best_chunks])
        columns = dict(extra or {})
        columns.update({n: keys.column(n) for n in keys.column_names})
        columns["_score"] = pa.array(np.asarray(scores, dtype=np.float64))
        columns["_chunk"] = texts
        return pa.table(columns)

    def _chunk_texts(self, table: str, column: str, vectors: ColumnVectors, keys: pa.Table,
                     chunk_numbers: np.ndarray) -> pa.Array:
        """The text of chunk n of each key, read from the pinned Lance version."""
        if not keys.num_rows:
            return pa.array([], pa.string())
        wanted = keys.append_column("_chunk", pa.array(chunk_numbers, pa.int32()))
        dataset = self.session.store.lance.dataset(lance_name(table, column), vectors.version)
        found = dataset.to_table(columns=[*keys.column_names, "_chunk", "_text"], filter=key_filter(wanted))
        lookup = {tuple(r.values())[:-1]: r["_text"] for r in found.to_pylist()}
        chosen = [(tuple(r.values())[:-1], tuple(r.values())) for r in wanted.to_pylist()]
        out = [lookup.get(at) for _, at in chosen]
        # the text embedded is the verbatim passage unless the chunk joins paragraphs (with one blank line)
        joined = {key for (key, at), text in zip(chosen, out) if text is not None and "\n\n" in text}
        if joined:
            passages = self._passages(table, column, keys.schema.names, joined, lookup)
            out = [passages.get(at, text) for (_, at), text in zip(chosen, out)]
        return pa.array(out, pa.string())

    def _passages(self, table: str, column: str, names: list[str], keys: set[tuple],
                  embedded: dict[tuple, str]) -> dict[tuple, str]:
        """(key..., chunk number) -> the chunk verbatim from the row's text in the query's snapshot,
        for the chunks of these rows whose embedded text is not found as is in the row's text.

        The chunker is deterministic: chunking the text the snapshot holds again gives the chunks
        whose vectors the pinned Lance version holds, with their offsets in it. A chunk whose text
        differs from the stored one (never, on a consistent snapshot) keeps the stored text.
        """
        texts = self._row_texts(table, column, names, sorted(keys))
        cfg = self.session.catalog.tables[table].columns[column].semantic
        by_key: dict[tuple, list[str]] = {}
        for at, chunk in embedded.items():
            by_key.setdefault(at[:-1], []).append(chunk)
        moved = [k for k, text in texts.items() if any(chunk not in text for chunk in by_key.get(k, []))]
        out = {}
        spans = chunk_spans([texts[k] for k in moved], self.session.store.tokenizer, cfg.chunk_tokens,
                            cfg.overlap_tokens)
        for key, chunks in zip(moved, spans):
            for number, chunk in enumerate(chunks):
                if embedded.get((*key, number)) == chunk.text:
                    out[(*key, number)] = texts[key][chunk.start:chunk.end]
        return out

    def _row_texts(self, table: str, column: str, names: list[str], keys: list[tuple]) -> dict[tuple, str]:
        """key -> the row's text, read in the query's own snapshot."""
        wanted = f"_hq_rows_{id(keys)}"
        cursor = self.snap.cursor
        cursor.register(wanted, pa.table({n: [k[i] for k in keys] for i, n in enumerate(names)}))
        try:
            listed = ", ".join(f"t.{quote(k)}" for k in names)
            text = (f"SELECT {listed}, t.{quote(column)} FROM {quote(table)} AS t "
                    f"JOIN {wanted} USING ({', '.join(quote(k) for k in names)})")
            return {tuple(r[:-1]): r[-1] or "" for r in cursor.sql(text).fetchall()}
        finally:
            cursor.unregister(wanted)

    def _search_outer(self, req: SearchRequest) -> tuple[pa.Table, Step]:
        outer_vectors = self.column(req.outer.table, req.outer.column)
        inner = self.column(req.table, req.column)
        candidates = self.candidate_keys(req.outer.table, req.outer.alias, req.outer_keys, req.outer_filters)
        outer_rows = np.arange(outer_vectors.rows, dtype=np.int64) if candidates is None else \
            rows_for_keys(outer_vectors, candidates)
        inner_candidates = self.candidate_keys(req.table, req.alias, req.keys, req.filters)
        inner_rows = np.arange(inner.rows, dtype=np.int64) if inner_candidates is None else \
            rows_for_keys(inner, inner_candidates)
        r_idx, r_off = chunk_ranges(inner, inner_rows)
        r_end = np.append(r_off[1:], len(r_idx))
        k = min(req.k, len(inner_rows))
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
                    out_inner.append(inner_rows[j])
                    out_score.append(by_row[i, j])
                    out_chunk.append(r_idx[chunk])
        outer_keys = outer_vectors.keys.take(pa.array(out_outer, pa.int64()))
        extra = {hidden(f"q_{k_}"): outer_keys.column(k_) for k_ in req.outer_keys}
        relation = self._with_chunks(inner, req, np.asarray(out_inner, np.int64), np.asarray(out_score),
                                     np.asarray(out_chunk, np.int64), extra)
        step = Step(req.relation, f"vector_search('{req.table}.{req.column}', {req.outer.alias}.{req.outer.column}, {req.k})",
                    "per-row top-k", f"{len(outer_rows):,} outer rows x {len(inner_rows):,} rows in blocked matrix products",
                    rows_scored=len(outer_rows) * len(inner_rows), chunks_scored=len(r_idx))
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


def keyword_hits(dataset, table: str, column: str, text: str, keys: list[str]) -> pa.Table:
    """keys..., _score_max: the best BM25 score per row among its chunks, from the Lance full-text
    index of the pinned version (rows where no word matches are absent)."""
    try:
        found = dataset.to_table(full_text_query=text, columns=[*keys, "_score"])
    except ValueError as exc:
        if "INVERTED" in str(exc):
            raise SQLError(f"{table}.{column} has no full-text index yet",
                           hint="run a refresh; the index is built with the column's vectors") from None
        raise
    return found.group_by(keys).aggregate([("_score", "max")])
