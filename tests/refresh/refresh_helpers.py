"""Helpers for the refresh tests: a throwaway project with its own catalog, a counting embedder,
and checks that compare what the store holds (DuckDB rows, side tables, Lance chunks at the
pinned version) with what the sources say."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import lance
import numpy as np

import hybridq
from hybridq.embed.chunking import chunk_hash, chunk_text
from hybridq.store.duck import chunks_table, quote, rows_table
from hybridq.store.store import lance_name


class CountingEmbedder:
    """Wraps the real model and remembers every text the refresh asked it to embed.

    Query strings go through `embed_query` and are not counted, nor are the catalog's phrases (table,
    column and glossary names, embedded once per catalog for reading questions): set `phrases`.
    """

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.texts: list[str] = []
        self.phrases: set[str] = set()

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def calls(self) -> int:
        return len(self.texts)

    def embed(self, texts, progress=None):
        texts = list(texts)
        if not set(texts) <= self.phrases:
            self.texts.extend(texts)
        return self.inner.embed(texts, progress=progress)

    def embed_query(self, text: str):
        return self.inner.embed_query(text)

    def reset(self) -> None:
        self.texts.clear()


class Project:
    """A folder with a catalog and its data; `connect()` (re)opens the store with a counting embedder."""

    def __init__(self, root: Path, catalog: str, embedder):
        self.root = root
        self.catalog = root / "catalog.yaml"
        self.catalog.write_text(textwrap.dedent(catalog).lstrip(), encoding="utf-8")
        self.embedder = CountingEmbedder(embedder)
        self.hq = None

    def path(self, rel: str) -> Path:
        return self.root / rel

    def write(self, rel: str, content: str | bytes) -> Path:
        p = self.path(rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        old = p.stat().st_mtime_ns if p.exists() else None
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
        if old is not None and p.stat().st_mtime_ns == old:  # coarse clocks: make the change visible
            os.utime(p, ns=(old + 1_000_000, old + 1_000_000))
        return p

    def remove(self, rel: str) -> None:
        self.path(rel).unlink()

    def set_catalog(self, text: str) -> None:
        self.catalog.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")

    def connect(self):
        self.close()
        self.hq = hybridq.connect(self.catalog, embedder=self.embedder)
        self.embedder.phrases = set(self.hq.catalog.phrases())
        return self.hq

    def refresh(self):
        self.embedder.reset()
        report = self.hq.refresh()
        return report

    def close(self) -> None:
        if self.hq is not None:
            self.hq.close()
            self.hq = None


# -- reading the store back ------------------------------------------------------------------------


def fetch(hq, sql: str) -> list[tuple]:
    with hq.store.snapshot() as snap:
        return snap.cursor.execute(sql).fetchall()


def table_rows(hq, table: str) -> list[tuple]:
    keys = hq.catalog.tables[table].primary_key
    order = ", ".join(quote(k) for k in keys) or "ALL"
    return fetch(hq, f"SELECT * FROM {quote(table)} ORDER BY {order}")


def side_rows(hq, table: str) -> dict:
    """key (a value, or a tuple for composite keys) -> file recorded in _hq.rows__<table>."""
    keys = hq.catalog.tables[table].primary_key
    rows = fetch(hq, f"SELECT * FROM {rows_table(table)}")
    out = {}
    for r in rows:
        key = r[0] if len(keys) == 1 else tuple(r[: len(keys)])
        assert r[len(keys) + 1] is not None, f"row {key} has no content hash"
        assert key not in out, f"key {key} is recorded twice in {rows_table(table)}"
        out[key] = r[len(keys)]
    return out


def lance_chunks(hq, table: str, column: str) -> list[dict]:
    """The column's chunks in Lance at the version the current DuckDB snapshot pins."""
    with hq.store.snapshot() as snap:
        version = snap.version(table, column)
    if version is None:
        return []
    ds = lance.dataset(hq.store.lance.uri(lance_name(table, column)), version=version)
    return ds.to_table().to_pylist()


def lance_versions(hq) -> dict:
    """The latest version of every Lance table on disk (what a write would move)."""
    out = {}
    for table, column in hq.catalog.semantic_columns():
        uri = hq.store.lance.uri(lance_name(table, column))
        out[(table, column)] = lance.dataset(uri).version if os.path.isdir(uri) else None
    return out


def check_semantic(hq, table: str, column: str, model=None) -> dict:
    """Lance at the pinned version holds exactly the chunks of the current DuckDB text, each with a
    vector (of that text, when `model` is given), and the DuckDB chunk index agrees with it.

    Returns key -> list of chunk texts.
    """
    spec = hq.catalog.tables[table]
    keys = spec.primary_key
    cfg = spec.columns[column].semantic
    select = ", ".join(quote(c) for c in [*keys, column])
    expected = {}
    for row in fetch(hq, f"SELECT {select} FROM {quote(table)}"):
        key = row[0] if len(keys) == 1 else tuple(row[: len(keys)])
        expected[key] = chunk_text(row[-1] or "", hq.store.tokenizer, cfg.chunk_tokens, cfg.overlap_tokens)
    chunks = lance_chunks(hq, table, column)
    got: dict = {}
    for c in sorted(chunks, key=lambda c: c["_chunk"]):
        key = c[keys[0]] if len(keys) == 1 else tuple(c[k] for k in keys)
        got.setdefault(key, []).append((c["_chunk"], c["_text"]))
        assert c["_hash"] == chunk_hash(c["_text"]), f"chunk {key}/{c['_chunk']} has a stale hash"
        vec = c["vector"]
        assert vec is not None and len(vec) == hq.embedder.dim, f"chunk {key}/{c['_chunk']} has no vector"
        assert abs(float(np.linalg.norm(np.asarray(vec, dtype=np.float32))) - 1.0) < 1e-3
    got_texts = {k: [t for _, t in v] for k, v in got.items()}
    for k, v in got.items():
        assert [n for n, _ in v] == list(range(len(v))), f"chunk numbers of {k} are not 0..n-1: {v}"
    want = {k: v for k, v in expected.items() if v}
    assert got_texts == want, "Lance chunks differ from the chunks of the stored text"
    mirror = fetch(hq, f"SELECT * FROM {chunks_table(table, column)}")
    mirror = sorted((tuple(r[: len(keys)]), r[len(keys)], r[len(keys) + 1]) for r in mirror)
    lance_index = sorted((tuple(c[k] for k in keys), c["_chunk"], c["_hash"]) for c in chunks)
    assert mirror == lance_index, "the DuckDB chunk index disagrees with Lance"
    if model is not None and chunks:
        texts = [c["_text"] for c in chunks]
        fresh = model.embed(texts)
        stored = np.asarray([c["vector"] for c in chunks], dtype=np.float32)
        cos = np.sum(fresh * stored, axis=1)
        assert cos.min() > 0.999, f"a stored vector is not the vector of its chunk text: {texts[int(cos.argmin())]!r}"
    return got_texts


def refresh_count(hq) -> int:
    return fetch(hq, "SELECT count(*) FROM _hq.refreshes")[0][0]


def paragraphs(seed: int, n: int, words: tuple[int, int] = (120, 150)) -> list[str]:
    """`n` distinct paragraphs of plain words (about one token per word), deterministic per seed."""
    import random

    vocab = ("account billing contract renewal invoice seat region customer support outage latency export "
             "dashboard report connector pipeline warehouse schema column audit policy retention backup "
             "storage query cluster migration upgrade license usage quota alert incident review security "
             "access token identity domain partner market budget forecast quarter revenue growth churn "
             "risk health adoption training onboarding workshop feedback roadmap feature release").split()
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        count = rnd.randint(*words)
        body = " ".join(rnd.choice(vocab) for _ in range(count))
        out.append(f"Section {seed} {i} {body}.")
    return out


# -- a small project of a csv, a documents and a jsonl source, its catalog variants ----------------

SHOP_CATALOG = """
version: 1
name: shop
store: .store
sources:
  items: {{kind: csv, path: {items_path}{items_options}}}
  docs:  {{kind: documents, path: "{docs_path}"{docs_options}}}
  events: {{kind: jsonl, path: "data/events/*.jsonl", max_file_bytes: 8000}}
tables:
  items:
    source: items
    primary_key: id
    columns:
      id: INTEGER
      name: VARCHAR
{docs_table}  events:
    source: events
    primary_key: event_id
    columns:
      event_id: INTEGER
      detail: VARCHAR
"""

DOCS_TABLE = """  docs:
    source: docs
    primary_key: doc_id
    columns:
      doc_id: VARCHAR
      title: VARCHAR
      body: {type: TEXT, semantic: true}
"""

TEXTS = {"a": "Refunds take two weeks and customers are unhappy about it.",
         "b": "The dashboard is slow when the report has many columns.",
         "c": "Single sign-on fails for new employees after the upgrade."}


def shop_catalog(items_path="data/items.csv", docs_path="docs/{doc_id}.md", docs=True, items_options="",
                 docs_options="") -> str:
    return SHOP_CATALOG.format(items_path=items_path, docs_path=docs_path, items_options=items_options,
                               docs_options=docs_options, docs_table=DOCS_TABLE if docs else "")


def build_shop(project, **kw):
    """A project of items (csv), docs (documents with front matter) and events (jsonl), refreshed by the test."""
    p = project(shop_catalog(**kw))
    p.write("data/items.csv", "id,name\n1,apple\n2,banana\n")
    for key, text in TEXTS.items():
        p.write(f"docs/{key}.md", f"---\ntitle: {key.upper()}\n---\n{text}\n")
    p.write("data/events/e1.jsonl", '{"event_id": 1, "detail": "created"}\n')
    return p


def docs_catalog(name: str, semantic: str = "true") -> str:
    """A catalog of one table of Markdown documents, docs/{doc_id}.md, with a semantic body."""
    return f"""
version: 1
name: {name}
store: .store
sources:
  docs: {{kind: documents, path: "docs/{{doc_id}}.md"}}
tables:
  docs:
    source: docs
    primary_key: doc_id
    columns:
      doc_id: {{type: VARCHAR}}
      body: {{type: TEXT, semantic: {semantic}}}
"""
