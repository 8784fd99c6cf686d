"""Concurrency: a refresh loop applies changes while a thread and another process query without
pause. No query may fail and none may see a torn snapshot (DESIGN invariants 1 and 5)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

import hybridq
from live_project import doc_text, make_project

CHILD = Path(__file__).with_name("query_child.py")
SECONDS = 8.0


def writer(root: Path, hq, stop: threading.Event, counts: dict) -> None:
    rng = np.random.default_rng(5)
    n = 0
    while not stop.is_set():
        n += 1
        docs = sorted((root / "docs").glob("*.md"))
        changed = []
        for i in rng.choice(len(docs), size=3, replace=False):
            path = docs[i]
            if rng.random() < 0.2:
                path.unlink()
            else:
                path.write_text(doc_text(rng, path.stem, paragraphs=int(rng.integers(1, 5))))
            changed.append(str(path))
        new = root / "docs" / f"w{n:05d}.md"
        new.write_text(doc_text(rng, new.stem))
        changed.append(str(new))
        # alternate live (file-limited) refreshes and full ones
        report = hq.refresh(paths={"docs": changed}) if n % 2 else hq.refresh()
        counts["refreshes"] += int(report.changed)


def reader(hq, stop: threading.Event, counts: dict, problems: list) -> None:
    while not stop.is_set():
        with hq.store.snapshot() as snap:
            in_duckdb = {r[0] for r in snap.cursor.execute("SELECT doc_id FROM docs WHERE body <> ''").fetchall()}
            in_lance = set(snap.vectors("docs", "body").keys.column("doc_id").to_pylist())
        if in_duckdb != in_lance:
            problems.append(f"torn: {len(in_duckdb ^ in_lance)} rows differ")
        try:
            rows = hq.sql("SELECT count(*) FROM docs WHERE similarity(body, 'refund') IS NULL AND body <> ''").rows
            if rows[0][0]:
                problems.append(f"{rows[0][0]} rows without vectors")
        except Exception as exc:
            problems.append(f"query failed: {exc}")
        counts["reads"] += 1


def test_refresh_loop_with_readers_in_thread_and_process(tmp_path, embedder):
    root = tmp_path / "p"
    catalog = make_project(root, docs=60, seed=3)
    hq = hybridq.connect(catalog, embedder=embedder)
    try:
        hq.refresh()
        child = subprocess.Popen([sys.executable, str(CHILD), str(catalog), str(SECONDS)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        stop = threading.Event()
        counts = {"refreshes": 0, "reads": 0}
        problems: list[str] = []
        threads = [threading.Thread(target=writer, args=(root, hq, stop, counts)),
                   threading.Thread(target=reader, args=(hq, stop, counts, problems))]
        for t in threads:
            t.start()
        out, err = child.communicate(timeout=SECONDS + 120)
        stop.set()
        for t in threads:
            t.join(timeout=60)
    finally:
        hq.close()
    assert child.returncode == 0, err
    remote = json.loads(out.strip().splitlines()[-1])
    assert remote["session"] == "RemoteSession"  # the other process went through the owner
    assert remote["errors"] == []
    assert remote["violations"] == []
    assert remote["queries"] >= 20
    assert problems == []
    assert counts["refreshes"] >= 5 and counts["reads"] >= 20
