"""DaftEngine: the same queries on Daft, on its native runner or on a Ray cluster.

One snapshot on both sides: the chunk vectors are read from Lance at the versions the query's
DuckDB snapshot pins (`daft.read_lance(version=)`), and the catalog tables from that same DuckDB
transaction. Scores are exact: `cosine_similarity` over every chunk of the pinned version, a group
max per row, computed by Daft (in parallel on the runner's workers). The rewritten SQL runs in
`daft.sql`, without QUALIFY (hybridq.sql.lower rewrites it).
"""

from __future__ import annotations

import os
import time

# Daft reports usage statistics unless told not to; a library does not phone home.
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("DAFT_ANALYTICS_ENABLED", "0")
os.environ.setdefault("DAFT_PROGRESS_BAR", "0")  # library code does not print

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
from sqlglot import exp  # noqa: E402

from hybridq.engine.base import QueryVectors  # noqa: E402
from hybridq.engine.planner import candidate_sql, keyword_hits  # noqa: E402
from hybridq.engine.requests import AttachRequest, SearchRequest, Step  # noqa: E402
from hybridq.errors import EngineError, SQLError  # noqa: E402
from hybridq.store.duck import quote  # noqa: E402
from hybridq.store.lance_store import VECTOR  # noqa: E402
from hybridq.store.store import Snapshot, lance_name  # noqa: E402

try:
    import daft
    from daft import DataType, col, lit
    from daft.functions import cosine_similarity
except ImportError:  # pragma: no cover - reported when the engine is chosen
    daft = None

SCORE = "__hq_score"
RUNNERS = ("native", "ray")


_runner: tuple[str, str | None] | None = None  # the (runner, address) this process set


def set_runner(runner: str, address: str | None) -> None:
    """Daft has one runner per process: the first Daft engine sets it; later ones must want the same."""
    global _runner
    if daft is None:
        raise EngineError("the daft engine needs the daft package, which is not installed",
                          hint="pip install 'hybridq[daft]'")
    if runner not in RUNNERS:
        raise EngineError(f"unknown daft runner {runner!r}", hint=f"one of: {', '.join(RUNNERS)}")
    if _runner is not None:
        if _runner != (runner, address):
            where = f" at {_runner[1]}" if _runner[1] else ""
            raise EngineError(f"this process already runs Daft on the {_runner[0]} runner{where}; "
                              f"it cannot also run it on {runner}",
                              hint="use one Daft runner per process (engine: {kind: daft, runner: ...})")
        return
    try:
        if runner == "ray":
            daft.set_runner_ray(address=address, noop_if_initialized=True)
        else:
            daft.set_runner_native()
    except Exception as exc:
        raise EngineError(f"Daft's {runner} runner could not be started: {exc}",
                          hint="check the Ray address, or use runner: native") from None
    _runner = (runner, address)


class DaftEngine:
    kind = "daft"
    dialect = "daft"
    features = frozenset({"similarity", "vector_search", "keyword"})
    plain_sql_is_consistent = False  # the tables are read from a DuckDB snapshot, handed in

    def __init__(self, runner: str = "native", address: str | None = None, *, embed_workers: int | None = None,
                 bulk_embed_min_chunks: int = 4096):
        set_runner(runner, address)
        self.runner = runner
        self.address = address
        self.embed_workers = embed_workers
        self.bulk_embed_min_chunks = bulk_embed_min_chunks

    def bulk_embedder(self, embedder):
        if getattr(embedder, "path", None) is None:
            return embedder  # not a model that workers can load from a folder
        return DaftEmbedder(embedder, self.embed_workers, self.bulk_embed_min_chunks, self.runner == "ray")

    def relations(self, session, snap: Snapshot, sql: str) -> "DaftRelations":
        return DaftRelations(session, snap, sql)

    def run(self, session, snap: Snapshot, text: str, relations: dict, tables: frozenset[str],
            original: str, stop=None, values: list | dict | None = None) -> pa.Table:
        frames = {name: table_frame(snap, name) for name in tables}
        frames.update(relations)
        return like_duckdb(run_sql(text, frames, original))

    def close(self) -> None:
        pass  # the runner belongs to the process (a Ray cluster Daft started stops with it)

    def __repr__(self) -> str:
        return f"DaftEngine(runner={self.runner!r}" + (f", address={self.address!r})" if self.address else ")")


# Daft's Arrow types where DuckDB's differ for the same value: results look the same on both engines.
_SAME_AS_DUCKDB = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary(), pa.uint64(): pa.int64()}


def like_duckdb(table: pa.Table) -> pa.Table:
    """Strings as `string`, counts as `int64`, as the DuckDB engine returns them."""
    fields = [pa.field(f.name, _SAME_AS_DUCKDB.get(f.type, f.type), f.nullable) for f in table.schema]
    schema = pa.schema(fields)
    return table if schema == table.schema else table.cast(schema)


def io_config_for(lance) -> "daft.io.IOConfig | None":
    """Daft's settings to reach the store's Lance datasets: the same S3 endpoint and credentials
    (from the environment) that the store uses; None for a local directory."""
    if not lance.location.startswith("s3://"):
        return None
    from daft.io import IOConfig, S3Config

    env = os.environ.get
    endpoint = lance.storage_options.get("aws_endpoint")
    return IOConfig(s3=S3Config(
        endpoint_url=endpoint, use_ssl=not (endpoint or "").startswith("http://"),
        region_name=env("AWS_REGION") or env("AWS_DEFAULT_REGION"), key_id=env("AWS_ACCESS_KEY_ID"),
        access_key=env("AWS_SECRET_ACCESS_KEY"), session_token=env("AWS_SESSION_TOKEN")))


def table_frame(snap: Snapshot, table: str) -> "daft.DataFrame":
    """A catalog table as of the snapshot's DuckDB transaction."""
    return daft.from_arrow(snap.cursor.sql(f"SELECT * FROM {quote(table)}").to_arrow_table())


def run_sql(text: str, frames: dict, original: str) -> pa.Table:
    try:
        return daft.sql(text, register_globals=False, **frames).to_arrow()
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SQLError(f"the daft engine could not run the query: {first}",
                       hint="run it on the duckdb engine, which reads every DuckDB construct") from None


class DaftRelations:
    """The relations of one query, computed by Daft from the pinned Lance versions."""

    def __init__(self, session, snap: Snapshot, sql: str):
        self.session = session
        self.snap = snap
        self.sql = sql
        self.query_vector = QueryVectors(session)

    def compute(self, request) -> tuple["daft.DataFrame", Step]:
        t0 = time.perf_counter()
        if isinstance(request, AttachRequest):
            frame, step = self._attach(request)
        elif isinstance(request, SearchRequest) and request.outer is None:
            frame, step = self._search(request)
        else:  # pragma: no cover - hybridq.sql.lower rejects these first
            raise SQLError(f"the daft engine cannot compute {type(request).__name__}")
        frame = frame.collect()  # computed once, read by the SQL as often as it refers to it
        step.millis = (time.perf_counter() - t0) * 1000
        step.output_rows = len(frame)
        return frame, step

    def _version(self, table: str, column: str) -> int:
        version = self.snap.version(table, column)
        if version is None:
            raise SQLError(f"{table}.{column} has no vectors yet", hint="run a refresh first: hybridq refresh CATALOG")
        return version

    def _chunks(self, table: str, column: str) -> tuple["daft.DataFrame", int]:
        """The column's chunks at the pinned Lance version, and how many there are."""
        version = self._version(table, column)
        lance = self.session.store.lance
        name = lance_name(table, column)
        count = lance.dataset(name, version).count_rows()
        return daft.read_lance(lance.uri(name), version=version, io_config=io_config_for(lance)), count

    def _scored(self, table: str, column: str, text: str, keep: list[str]) -> tuple["daft.DataFrame", int]:
        """Every chunk with its exact cosine score against the text."""
        chunks, count = self._chunks(table, column)
        query = np.asarray(self.query_vector(text), np.float32)
        q = lit(query.tolist()).cast(DataType.embedding(DataType.float32(), len(query)))
        score = cosine_similarity(col(VECTOR), q).cast(DataType.float64()).alias(SCORE)
        return chunks.select(*[col(c) for c in keep], score), count

    def _attach(self, req: AttachRequest) -> tuple["daft.DataFrame", Step]:
        frame, chunks, strategies = None, 0, []
        for spec in req.scores:
            if spec.kind == "keyword":
                part = self._keyword(req, spec)
                strategies.append(("full-text (BM25)", f"Lance full-text index on {req.table}.{spec.column}"))
            else:
                scored, count = self._scored(req.table, spec.column, spec.text, req.keys)
                chunks += count
                part = scored.groupby(*req.keys).agg(col(SCORE).max().alias(spec.name))
                strategies.append(("exact scan (daft)", f"all {count:,} chunks of the pinned Lance version scored "
                                                        "by Daft's cosine_similarity; a group max per row"))
            frame = part if frame is None else frame.join(part, on=req.keys, how="outer")
        calls = "; ".join(f"{s.function}({req.alias}.{s.column}, {s.text!r})" for s in req.scores)
        strategy, reason = strategies[0]
        return frame, Step(req.relation, calls, strategy, reason, chunks_scored=chunks)

    def _keyword(self, req: AttachRequest, spec) -> "daft.DataFrame":
        """BM25 per row from the Lance full-text index (a lookup in the index, not a scan); 0 for
        the rows where no word matches, as on the DuckDB engine."""
        version = self._version(req.table, spec.column)
        lance = self.session.store.lance
        name = lance_name(req.table, spec.column)
        best = keyword_hits(lance.dataset(name, version), req.table, spec.column, spec.text, req.keys)
        rows = daft.read_lance(lance.uri(name), version=version, io_config=io_config_for(lance)).select(
            *[col(k) for k in req.keys]).distinct()
        hits = daft.from_arrow(best.rename_columns([*req.keys, spec.name]))
        return rows.join(hits, on=req.keys, how="left").with_column(
            spec.name, col(spec.name).cast(DataType.float64()).fill_null(0.0))

    def _search(self, req: SearchRequest) -> tuple["daft.DataFrame", Step]:
        scored, count = self._scored(req.table, req.column, req.text, [*req.keys, "_chunk", "_text"])
        if req.filters:  # the caller's row policy: only the rows it sees compete for the top k
            catalog = self.session.store.catalog
            read = {req.table} | {catalog.find_table(t.name) for f in req.filters for t in f.find_all(exp.Table)}
            frames = {name: table_frame(self.snap, name) for name in read - {None}}  # policies may use subqueries
            visible = run_sql(candidate_sql(req.table, req.alias, req.keys, req.filters), frames, self.sql)
            scored = scored.join(daft.from_arrow(visible), on=req.keys, how="semi")
        # the k best rows first (a group max, then a top k); only their chunks are ranked for the text
        top = (scored.groupby(*req.keys).agg(col(SCORE).max().alias("_score"))
               .sort([col("_score"), *[col(k) for k in req.keys]], desc=[True] + [False] * len(req.keys))
               .limit(int(req.k)))
        candidates = scored.join(top, on=req.keys).where(col(SCORE) == col("_score"))
        keys = ", ".join(quote(k) for k in req.keys)
        best = f"""
            SELECT {keys}, _score, _text AS _chunk FROM (
                SELECT *, ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY _chunk) AS __hq_n FROM candidates) AS ranked
            WHERE __hq_n = 1 ORDER BY _score DESC, {keys}"""
        frame = daft.sql(best, register_globals=False, candidates=candidates)
        step = Step(req.relation, f"vector_search('{req.table}.{req.column}', {req.text!r}, {req.k})",
                    "exact scan (daft)", f"all {count:,} chunks scored by Daft's cosine_similarity; "
                    f"the best chunk per row, top {req.k} rows kept", chunks_scored=count)
        return frame, step


class DaftEmbedder:
    """An Embedder whose large batches run as a Daft job: each worker loads the model once from its
    folder, texts are streamed through it in batches, and the vectors come back in order as the
    partitions finish. The refresh around it is unchanged: it embeds only chunks whose content hash
    has no vector yet, and commits once at the end. Small batches (watch mode, a few edits) are
    embedded in this process, where the model is already loaded."""

    def __init__(self, local, workers: int | None, min_texts: int, partition: bool):
        self.local = local
        self.name = local.name
        self.workers = workers
        self.min_texts = min_texts
        self.partition = partition  # split the texts across the cluster (Ray); the native runner streams them
        self.jobs = 0  # bulk jobs run (tests and the bench read it)

    @property
    def dim(self) -> int:
        return self.local.dim

    def embed_query(self, text: str) -> np.ndarray:
        return self.local.embed_query(text)

    def embed(self, texts, progress=None) -> np.ndarray:
        texts = list(texts)
        if len(texts) < self.min_texts:
            return self.local.embed(texts, progress=progress)
        encode = daft.cls(encode_class(), max_concurrency=self.workers, use_process=False)
        batch = max(getattr(self.local, "batch_size", 64), 1)
        frame = daft.from_pydict({"i": list(range(len(texts))), "text": texts})
        if self.partition:
            frame = frame.into_partitions(max(self.workers or 0, 2) * 4)
        frame = frame.select(col("i"), encode(str(self.local.path), batch)(col("text")).alias(VECTOR))
        out = np.zeros((len(texts), self.dim), np.float32)
        for part in frame.iter_partitions():
            table = part.to_arrow() if hasattr(part, "to_arrow") else ray_get(part).to_arrow()
            rows = table.column("i").to_numpy()
            vectors = table.column(VECTOR).combine_chunks()
            out[rows] = vectors.values.to_numpy(zero_copy_only=False).reshape(-1, self.dim)
            if progress:
                progress(len(rows))
        self.jobs += 1
        return out


def ray_get(ref):
    import ray

    return ray.get(ref)


def encode_class():
    """A Daft class holding one model per worker: constructed once per worker, called per batch."""

    class Encode:
        def __init__(self, path: str, batch_size: int):
            from pathlib import Path

            from hybridq.embed.embedder import load_sentence_transformer

            self.model = load_sentence_transformer(Path(path), "cpu")
            self.batch_size = batch_size

        @daft.method.batch(return_dtype=DataType.list(DataType.float32()), batch_size=512)
        def __call__(self, texts):
            vectors = self.model.encode(texts.to_pylist(), batch_size=self.batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
            return list(np.asarray(vectors, np.float32))

    return Encode
