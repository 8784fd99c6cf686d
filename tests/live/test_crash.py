"""Crash safety: kill -9 a refresh at random points; the next refresh must give exactly the store
that a from-scratch build of the same sources gives (DESIGN invariant 1)."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time
from pathlib import Path

import lance
import numpy as np
import pytest

import hybridq
from live_project import HashEmbedder, doc_text, make_project

CHILD = Path(__file__).with_name("refresh_child.py")
COMMIT_DELAY = 0.3


def mutate(root: Path, rng: random.Random) -> None:
    """A random batch of source changes: new, edited and deleted documents, csv edits."""
    nprng = np.random.default_rng(rng.randrange(1 << 30))
    docs = sorted((root / "docs").glob("*.md"))
    for path in rng.sample(docs, k=min(len(docs), rng.randint(8, 20))):
        action = rng.random()
        if action < 0.3:
            path.unlink()
        elif action < 0.7:
            path.write_text(doc_text(nprng, path.stem, paragraphs=rng.randint(1, 6)))
        else:  # edit one paragraph only
            text = path.read_text().split("\n\n")
            text[-1] = text[-1].replace("part", "section")
            path.write_text("\n\n".join(text))
    for _ in range(rng.randint(3, 15)):
        name = f"n{rng.randrange(10_000):04d}"
        (root / "docs" / f"{name}.md").write_text(doc_text(nprng, name, paragraphs=rng.randint(1, 5)))
    lines = (root / "items.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:]
    rows = [r for r in rows if rng.random() > 0.1]
    rows = [r if rng.random() > 0.2 else r.rsplit(",", 1)[0] + f",{rng.randrange(100)}" for r in rows]
    rows += [f"{10_000 + rng.randrange(10_000)},new item,{rng.randrange(100)}" for _ in range(3)]
    unique = {r.split(",")[0]: r for r in rows}
    (root / "items.csv").write_text("\n".join([header, *unique.values()]) + "\n")


def start_child(catalog: Path, kind: str, commit_delay: float | None = None) -> subprocess.Popen:
    extra = [str(commit_delay)] if commit_delay else []
    child = subprocess.Popen([sys.executable, str(CHILD), str(catalog), kind, *extra], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    assert line.startswith("READY"), child.stderr.read()
    return child


def refresh_in_child(catalog: Path, kind: str) -> float:
    child = start_child(catalog, kind)
    t0 = time.perf_counter()
    child.stdin.write("go\n")
    child.stdin.flush()
    out = child.stdout.readline()
    assert out.startswith("DONE"), child.stderr.read()
    child.wait()
    return float(re.search(r"\((\d+) ms\)", out).group(1)) / 1000 if "ms)" in out else time.perf_counter() - t0


def store_state(hq) -> dict:
    """Everything that must match a from-scratch build: rows, chunk keys and texts, vectors."""
    state = {}
    with hq.store.snapshot() as snap:
        for table in ("docs", "items"):
            state[table] = sorted(snap.cursor.execute(f"SELECT * FROM {table}").fetchall())
        state["chunk_index"] = sorted(snap.cursor.execute('SELECT * FROM _hq."chunks__docs__body"').fetchall())
        version = snap.version("docs", "body")
        data = lance.dataset(hq.store.lance.uri("docs__body"), version=version).to_table(
            columns=["doc_id", "_chunk", "_text", "_hash", "vector"]).sort_by([("doc_id", "ascending"), ("_chunk", "ascending")])
    state["chunks"] = list(zip(*(data.column(c).to_pylist() for c in ("doc_id", "_chunk", "_text", "_hash"))))
    state["vectors"] = np.asarray(data.column("vector").to_pylist(), np.float32)
    return state


def assert_same(got: dict, want: dict, atol: float) -> None:
    for key in ("docs", "items", "chunk_index", "chunks"):
        assert got[key] == want[key], f"{key} differs"
    assert got["vectors"].shape == want["vectors"].shape
    np.testing.assert_allclose(got["vectors"], want["vectors"], atol=atol)
    # the chunk index in DuckDB and the chunks in the pinned Lance version describe the same chunks
    assert [c[:2] for c in got["chunks"]] == [c[:2] for c in got["chunk_index"]]


def from_scratch(root: Path, trial: int, embedder) -> dict:
    catalog = root / f"fresh{trial}.yaml"
    catalog.write_text((root / "catalog.yaml").read_text().replace(".hybridq/live", f".hybridq/fresh{trial}"))
    with hybridq.connect(catalog, embedder=embedder) as hq:
        hq.refresh()
        return store_state(hq)


def run_trials(root: Path, kind: str, trials: int, seed: int, embedder, atol: float) -> dict:
    """Returns how many kills interrupted a refresh, and how many left Lance ahead of DuckDB."""
    outcomes = {"interrupted": 0, "lance_ahead": 0}
    catalog = root / "catalog.yaml"
    rng = random.Random(seed)
    refresh_in_child(catalog, kind)  # the initial build, not killed
    mutate(root, rng)
    duration = refresh_in_child(catalog, kind)  # how long a refresh of one batch of changes takes
    delays = []
    for trial in range(trials):
        mutate(root, rng)
        # every other trial holds the commit back a little, so kills also land between the
        # Lance write and the DuckDB commit
        widen = COMMIT_DELAY if trial % 2 else None
        child = start_child(catalog, kind, widen)
        delay = rng.uniform(0.0, duration + (widen or 0.0))
        child.stdin.write("go\n")
        child.stdin.flush()
        t0 = time.perf_counter()
        time.sleep(delay)
        child.kill()  # SIGKILL: no cleanup of any kind
        child.wait()
        delays.append(time.perf_counter() - t0)
        finished = "DONE" in child.stdout.read()
        outcomes["interrupted"] += not finished
        with hybridq.connect(catalog, embedder=embedder) as hq:
            recorded = hq.store.recorded_vectors().get(("docs", "body"))
            latest = hq.store.lance.latest_version("docs__body")
            outcomes["lance_ahead"] += bool(recorded and latest and latest > recorded.version)
            duration = max(0.05, hq.refresh().seconds)  # the next kill lands within a refresh this long
            got = store_state(hq)
        assert_same(got, from_scratch(root, trial, embedder), atol)
    return outcomes


def test_kill9_during_refresh_then_recover(tmp_path):
    root = tmp_path / "p"
    make_project(root, docs=60, seed=1)
    outcomes = run_trials(root, "hash", trials=20, seed=20261128, embedder=HashEmbedder(), atol=0.0)
    print("crash trials:", outcomes)
    # the kills must really land inside refreshes, some between the Lance write and the DuckDB commit
    assert outcomes["interrupted"] >= 8
    assert outcomes["lance_ahead"] >= 1


@pytest.mark.slow
def test_kill9_with_the_real_model(tmp_path, embedder):
    root = tmp_path / "p"
    make_project(root, docs=25, seed=2)
    run_trials(root, "model", trials=2, seed=7, embedder=embedder, atol=1e-5)
