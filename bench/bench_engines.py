"""The same semantic queries on each engine: DuckDB (the default), Daft's native runner, Daft on Ray.

    .venv/bin/python bench/bench_engines.py                    # 200,000 chunks
    .venv/bin/python bench/bench_engines.py --chunks 1000000

Figures are each engine's median latency through `Session.sql()` as a ratio to the DuckDB engine's
on the same query, measured in the same run. The store holds synthetic documents whose vectors are
drawn around real embeddings (bench_semantic.clustered_vectors); queries are real embedded phrases
and every engine scores exactly. Daft on Ray runs in a child process (one Daft runner per process)
on a local Ray cluster it starts and stops; the parent closes the store first so the child opens it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import hybridq  # noqa: E402
from bench_semantic import CACHE, QUERIES, clustered_vectors, synthetic_store, timeit  # noqa: E402
from common import command_line, load_average, machine, median, today, write_section  # noqa: E402

SHAPES = {
    "global top-10": "SELECT doc_id, similarity(body, '{q}') AS s FROM docs ORDER BY s DESC, doc_id LIMIT 10",
    "thresholded count per group": "SELECT grp, count(*) AS n FROM docs WHERE semantic_match(body, '{q}', 0.5) "
                                   "GROUP BY grp ORDER BY n DESC, grp LIMIT 10",
    "top-3 per group (QUALIFY)": "SELECT grp, doc_id, similarity(body, '{q}') AS s FROM docs "
                                 "QUALIFY row_number() OVER (PARTITION BY grp ORDER BY s DESC, doc_id) <= 3 "
                                 "ORDER BY grp, s DESC, doc_id",
    "vector_search top-10": "SELECT doc_id, _score FROM vector_search('docs.body', '{q}', 10) ORDER BY _score DESC, doc_id",
}
TEXTS = QUERIES[:5]


def measure(session, repeat: int) -> tuple[dict[str, float], dict[str, list]]:
    """Median ms per query shape (over the texts) and the rows of each query."""
    medians, rows = {}, {}
    for shape, template in SHAPES.items():
        times = []
        for text in TEXTS:
            sql = template.format(q=text)
            times.append(median(timeit(lambda: session.sql(sql), repeat)))
            rows[f"{shape} | {text}"] = session.sql(sql).rows
        medians[shape] = median(times)
    return medians, rows


def same(a: list, b: list) -> bool:
    """The same rows, the last value (a score) within float tolerance; rows from JSON are lists."""
    return len(a) == len(b) and all(
        list(x[:-1]) == list(y[:-1]) and (math.isclose(x[-1], y[-1], rel_tol=1e-5, abs_tol=1e-6)
                              if isinstance(x[-1], float) else x[-1] == y[-1]) for x, y in zip(a, b))


def worker(args) -> None:
    """The child: Daft on a local Ray cluster over the same store; prints medians and rows as JSON."""
    from hybridq.embed import SentenceTransformerEmbedder

    catalog = CACHE / f"engines_{args.chunks}" / "catalog.yaml"
    model = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    t0 = time.perf_counter()
    with hybridq.connect(catalog, embedder=model, engine={"kind": "daft", "runner": "ray"}) as session:
        session.sql("SELECT 1 FROM docs LIMIT 1")
        started = time.perf_counter() - t0
        medians, rows = measure(session, args.repeat)
    print(json.dumps({"medians": medians, "rows": rows, "started_s": started}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-ray", action="store_true", help="skip Daft on Ray")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    from hybridq.embed import SentenceTransformerEmbedder

    model = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    vectors = clustered_vectors(model, args.chunks, centres=2_000)
    lines = [f"Command: `{command_line()}`", "",
             f"Measured {today()} on {machine()}; load average {load_average()} at the start. "
             f"{args.chunks:,} chunks (one per document, 100 groups), exact scoring on every engine; "
             f"per query shape the median over {len(TEXTS)} query texts of each text's median of {args.repeat} "
             f"runs after a warm-up.", ""]
    duck = synthetic_store(f"engines_{args.chunks}", vectors, model, ann_min_rows=10**9)
    daft_session = hybridq.connect(duck.catalog, embedder=duck.embedder, engine="daft")
    base, base_rows = measure(duck, args.repeat)
    native, native_rows = measure(daft_session, args.repeat)
    results = {"Daft native": (native, native_rows)}
    daft_session.close()
    duck.close()
    if not args.no_ray:
        env = dict(os.environ, RAY_AUTH_MODE="disabled", HYBRIDQ_OWNER="off")
        done = subprocess.run([sys.executable, __file__, "--worker", "--chunks", str(args.chunks),
                               "--repeat", str(args.repeat)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"the Ray worker failed:\n{done.stderr[-3000:]}")
        out = json.loads(done.stdout.strip().splitlines()[-1])
        results["Daft on Ray"] = (out["medians"], out["rows"])
        lines.append(f"Daft on Ray: a local cluster on this machine, started in {out['started_s']:.1f} s "
                     "(connect and first query).")
        lines.append("")
    header = "| query | DuckDB ms | " + " | ".join(f"{n} ms | ratio" for n in results) + " |"
    lines += [header, "|---|---:|" + "---:|---:|" * len(results)]
    for shape in SHAPES:
        cells = [f"{base[shape]:.1f}"]
        for name, (medians, _) in results.items():
            cells += [f"{medians[shape]:.1f}", f"**{medians[shape] / base[shape]:.2f}**"]
        lines.append(f"| {shape} | " + " | ".join(cells) + " |")
    lines.append("")
    for name, (_, rows) in results.items():
        equal = sum(same(rows[k], base_rows[k]) for k in base_rows)
        lines.append(f"- {name}: {equal} of {len(base_rows)} queries return the DuckDB engine's rows")
    lines.append(f"\nLoad average {load_average()} at the end.")
    print("\n".join(lines))
    write_section("Engines: DuckDB vs Daft (native, Ray)", "\n".join(lines))


if __name__ == "__main__":
    main()
