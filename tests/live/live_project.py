"""Small document projects and a fast deterministic embedder for live-store tests."""

from __future__ import annotations

import hashlib
import re
import textwrap
import time
from pathlib import Path

import numpy as np

WORDS = ("refund outage invoice login export latency contract renewal residency credit audit backup "
         "dashboard connector schema billing seat upgrade discount security incident report alert").split()


class HashEmbedder:
    """A deterministic bag-of-words embedder for tests of store mechanics (crash, concurrency).

    Store mechanics do not depend on what the vectors mean; this keeps child processes from
    loading the real model dozens of times. Feature tests use the real model.
    """

    name = "all-MiniLM-L6-v2"  # vectors are stored under the catalog's model name
    dim = 384

    def __init__(self):
        self.calls = 0

    def embed(self, texts, progress=None):
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        self.calls += len(texts)
        if progress:
            progress(len(texts))
        return out

    def embed_query(self, text):
        return self.embed([text])[0]


def doc_text(rng: np.random.Generator, doc_id: str, paragraphs: int = 4) -> str:
    paras = []
    for p in range(paragraphs):
        words = rng.choice(WORDS, size=int(rng.integers(20, 60)))
        paras.append(f"{doc_id} part {p}: " + " ".join(words) + ".")
    return f"---\ntitle: Document {doc_id}\nversion: {int(rng.integers(1, 1000))}\n---\n" + "\n\n".join(paras) + "\n"


CATALOG = textwrap.dedent("""\
    version: 1
    name: live
    store: {store}
    sources:
      docs: {{kind: documents, path: "docs/{{doc_id}}.md", refresh: {{mode: watch, debounce_ms: 20}}}}
      items: {{kind: csv, path: items.csv}}
    tables:
      docs:
        source: docs
        primary_key: doc_id
        columns:
          doc_id: VARCHAR
          title: VARCHAR
          version: INTEGER
          body: {{type: TEXT, semantic: {{chunk_tokens: 60, overlap_tokens: 10}}}}
      items:
        source: items
        primary_key: item_id
        columns:
          item_id: INTEGER
          label: VARCHAR
          qty: INTEGER
    """)


def make_project(root: Path, docs: int = 40, seed: int = 0, store: str = ".hybridq/live") -> Path:
    rng = np.random.default_rng(seed)
    (root / "docs").mkdir(parents=True, exist_ok=True)
    for i in range(docs):
        (root / "docs" / f"d{i:04d}.md").write_text(doc_text(rng, f"d{i:04d}"))
    lines = ["item_id,label,qty"] + [f"{i},item {i},{int(rng.integers(1, 100))}" for i in range(docs)]
    (root / "items.csv").write_text("\n".join(lines) + "\n")
    catalog = root / "catalog.yaml"
    catalog.write_text(CATALOG.format(store=store))
    return catalog


def wait_for(predicate, timeout: float = 20.0, step: float = 0.02):
    """The first true value of `predicate()`, polled every `step` seconds; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout}s")
