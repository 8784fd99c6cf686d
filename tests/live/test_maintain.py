"""Maintenance: the many small fragments and index deltas that live writes leave behind are folded
together while the store is idle, without changing any answer."""

from __future__ import annotations

import threading
import time

import lance
import numpy as np

import hybridq
from live_project import doc_text, make_project

SCORES = "SELECT doc_id, similarity(body, 'refund outage latency') AS s FROM docs ORDER BY doc_id"


def indexed_project(tmp_path, hash_embedder):
    catalog = make_project(tmp_path / "p", docs=150, seed=11)
    catalog.write_text(catalog.read_text() + "embedding: {ann_min_rows: 300}\n")
    hq = hybridq.connect(catalog, embedder=hash_embedder)
    hq.refresh()
    return hq, tmp_path / "p" / "docs"


def lance_dataset(hq) -> lance.LanceDataset:
    with hq.store.snapshot() as snap:
        return hq.store.lance.dataset("docs__body", snap.version("docs", "body"))


def test_maintain_compacts_small_writes_and_keeps_every_answer(tmp_path, hash_embedder):
    hq, docs = indexed_project(tmp_path, hash_embedder)
    try:
        assert any(d.name == "vector_idx" for d in lance_dataset(hq).describe_indices())
        rng = np.random.default_rng(3)
        for i in range(24):  # one live write each: one new Lance fragment each
            path = docs / f"live{i:02d}.md"
            path.write_text(doc_text(rng, path.stem, paragraphs=2))
            hq.refresh(paths={"docs": [str(path)]})
        (docs / "d0003.md").unlink()
        hq.refresh(paths={"docs": [str(docs / "d0003.md")]})
        before_ds = lance_dataset(hq)
        assert len(before_ds.get_fragments()) > 16
        scores_before = hq.sql(SCORES).rows
        top_before = hq.sql("SELECT doc_id FROM vector_search('docs.body', 'refund outage latency', 10)").rows

        done = hq.maintain()

        assert any(line.startswith("docs.body: compacted to version") for line in done), done
        assert any("old version(s)" in line for line in done), done
        after = lance_dataset(hq)
        assert len(after.get_fragments()) <= 3
        assert after.count_rows() == before_ds.count_rows()
        vector_index = next(d for d in after.describe_indices() if d.name == "vector_idx")
        assert vector_index.num_rows_indexed == after.count_rows()  # the new rows joined the index
        assert len(after.versions()) == 1  # nothing pins an older version
        scores_after = hq.sql(SCORES).rows
        assert [k for k, _ in scores_after] == [k for k, _ in scores_before]
        assert np.allclose([s for _, s in scores_after], [s for _, s in scores_before], atol=1e-6)
        top_after = hq.sql("SELECT doc_id FROM vector_search('docs.body', 'refund outage latency', 10)").rows
        assert len(set(top_after) & set(top_before)) >= 9
        # a reopened store reads the compacted version (its in-memory vectors were carried over)
        hq.close()
        hq = hybridq.connect(tmp_path / "p" / "catalog.yaml", embedder=hash_embedder)
        assert hq.sql(SCORES).rows == scores_after
        assert not any("compacted" in line for line in hq.maintain())  # nothing left to do
    finally:
        hq.close()


def test_watch_maintains_only_once_idle(tmp_path, hash_embedder):
    hq, docs = indexed_project(tmp_path, hash_embedder)
    log: list[tuple[float, str]] = []
    stop = threading.Event()
    watcher = threading.Thread(target=hq.watch, kwargs={"stop": stop, "log": lambda line: log.append(
        (time.monotonic(), line))}, daemon=True)
    watcher.start()
    try:
        time.sleep(0.5)
        rng = np.random.default_rng(5)
        for i in range(22):
            (docs / f"w{i:02d}.md").write_text(doc_text(rng, f"w{i:02d}", paragraphs=1))
            deadline = time.monotonic() + 10
            while not any(f"w{i:02d}.md" in line for _, line in log) and time.monotonic() < deadline:
                time.sleep(0.01)
        last_change = max(t for t, line in log if "docs:" in line)
        deadline = time.monotonic() + 15
        while not any("maintenance:" in line for _, line in log) and time.monotonic() < deadline:
            time.sleep(0.05)
        maintained = [t for t, line in log if "maintenance:" in line]
        assert maintained, [line for _, line in log]
        assert maintained[0] - last_change >= 1.0  # never in the middle of a burst
        assert hq.sql("SELECT count(*) FROM docs").rows == [(172,)]
    finally:
        stop.set()
        watcher.join(timeout=10)
        hq.close()
