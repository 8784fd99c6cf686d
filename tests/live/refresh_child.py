"""A refresh in its own process, for crash and concurrency tests.

    python refresh_child.py CATALOG [hash|model]

Prints READY once connected, waits for a line on stdin, refreshes, prints DONE and exits.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hybridq  # noqa: E402
from live_project import HashEmbedder  # noqa: E402

catalog, kind = sys.argv[1], sys.argv[2]
if len(sys.argv) > 3:
    # Widen the window between the Lance write and the DuckDB commit, so that random kills
    # land inside it often enough to exercise the repair.
    import time

    import hybridq.refresh.pipeline as pipeline

    commit = pipeline.write_duckdb

    def slow_commit(*args, **kwargs):
        time.sleep(float(sys.argv[3]))
        return commit(*args, **kwargs)

    pipeline.write_duckdb = slow_commit
embedder = HashEmbedder() if kind == "hash" else None
hq = hybridq.connect(catalog, embedder=embedder)
if kind == "model":
    hq.embedder.embed(["warm up"])
print("READY", flush=True)
sys.stdin.readline()
report = hq.refresh()
print("DONE", report.summary(), flush=True)
hq.close()
