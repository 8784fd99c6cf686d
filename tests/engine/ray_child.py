"""Run by test_daft_ray.py in its own process (Daft has one runner per process): builds a small
document store, runs the same queries on DuckDB and on Daft over a local Ray cluster that Daft
starts on loopback, and prints both results as JSON. The cluster stops with the process."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import hybridq
from hybridq.embed import SentenceTransformerEmbedder
from tests.live.live_project import make_project

QUERIES = [
    "SELECT doc_id, similarity(body, 'refund for the outage') AS s FROM docs ORDER BY s DESC, doc_id LIMIT 5",
    "SELECT d.version > 500 AS late, d.doc_id, similarity(d.body, 'security incident report') AS s FROM docs d "
    "QUALIFY row_number() OVER (PARTITION BY d.version > 500 ORDER BY s DESC, d.doc_id) <= 2 ORDER BY s DESC, d.doc_id",
    "SELECT doc_id, _score FROM vector_search('docs.body', 'contract renewal discount', 3) ORDER BY _score DESC, doc_id",
]


def main(root: str) -> None:
    catalog = make_project(Path(root), docs=20)
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    out = {}
    with hybridq.connect(catalog, embedder=embedder) as duck:
        duck.refresh()
        out["duckdb"] = [duck.sql(q).rows for q in QUERIES]
        with hybridq.connect(catalog, embedder=embedder, engine={"kind": "daft", "runner": "ray"}) as ray:
            out["ray"] = [ray.sql(q).rows for q in QUERIES]
            out["strategy"] = [s.strategy for s in ray.explain(QUERIES[0]).steps]
        import ray as ray_module

        out["ray_initialized"] = ray_module.is_initialized()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
