"""Bulk embedding as a Daft job: a refresh on the Daft engine embeds large batches with one model
per worker and stores the same vectors as the in-process model; the content-hash cache still
decides what is embedded, and small batches stay in process."""

from __future__ import annotations

import lance
import numpy as np

import hybridq
from tests.live.live_project import make_project


def stored(session) -> dict[tuple, tuple[str, np.ndarray]]:
    with session.store.snapshot() as snap:
        version = snap.version("docs", "body")
    data = lance.dataset(session.store.lance.uri("docs__body"), version=version).to_table(
        columns=["doc_id", "_chunk", "_text", "vector"]).to_pylist()
    return {(r["doc_id"], r["_chunk"]): (r["_text"], np.asarray(r["vector"], np.float32)) for r in data}


class Recording:
    """The session's model, remembering the texts embedded in this process (catalog phrases included)."""

    def __init__(self, inner):
        self.inner, self.texts = inner, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed(self, texts, progress=None):
        texts = list(texts)
        self.texts += texts
        return self.inner.embed(texts, progress=progress)


def test_refresh_embeds_in_a_daft_job(tmp_path, embedder):
    catalog = make_project(tmp_path, docs=10)
    with catalog.open("a") as f:
        f.write("engine: {kind: daft, bulk_embed_min_chunks: 10}\n")
    recording = Recording(embedder)
    with hybridq.connect(catalog, embedder=recording) as session:
        first = session.refresh()
        assert first.embedded >= 10
        chunks = stored(session)
        in_process = set(recording.texts) & {text for text, _ in chunks.values()}
        assert not in_process, "the chunks were embedded by the job's workers, not in process"
        assert len(chunks) == first.embedded
        texts = [text for text, _ in chunks.values()]
        local = embedder.embed(texts)
        assert np.allclose(np.stack([v for _, v in chunks.values()]), local, atol=1e-5)

        assert session.refresh().embedded == 0  # nothing changed: the content-hash cache holds

        doc = tmp_path / "docs" / "d0004.md"
        doc.write_text(doc.read_text() + "\nA new paragraph about penguins on the ice shelf.\n")
        before = len(recording.texts)
        edited = session.refresh()
        assert 0 < edited.embedded < 10
        assert len(recording.texts) == before + edited.embedded  # a small batch: embedded in process
