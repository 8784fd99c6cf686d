"""A Lance write that DuckDB never recorded (a crash between the two) is undone by the next refresh,
and the result is the same as a store built from scratch."""

from __future__ import annotations

import shutil

import lance
import numpy as np
import pyarrow as pa

from hybridq.store.lance_store import chunk_schema
from hybridq.store.store import lance_name
from refresh_helpers import check_semantic, lance_chunks, lance_versions, refresh_count, side_rows, table_rows

CATALOG = """
version: 1
name: repair
store: .store
sources:
  docs: {kind: documents, path: "docs/{customer_id}/{doc_id}.md"}
tables:
  docs:
    source: docs
    primary_key: doc_id
    columns:
      doc_id: {type: VARCHAR}
      customer_id: {type: INTEGER}
      body: {type: TEXT, semantic: true}
"""

DOCS = {
    "docs/1/a.md": "The customer may terminate the agreement early for convenience.",
    "docs/1/b.md": "Invoices are payable within thirty days of receipt.",
    "docs/2/c.md": "Support is available around the clock for priority one incidents.",
}


def build(project, name: str):
    p = project(CATALOG, name=name)
    for rel, text in DOCS.items():
        p.write(rel, text + "\n")
    p.connect()
    p.refresh()
    return p


def stray_write(hq) -> None:
    """What a refresh that died before its DuckDB commit leaves behind: new Lance versions."""
    name = lance_name("docs", "body")
    schema = chunk_schema(hq.store.key_fields("docs"), hq.embedder.dim)
    junk = np.ones(hq.embedder.dim, np.float32) / np.sqrt(hq.embedder.dim)
    rows = pa.Table.from_pylist([
        {"doc_id": "ghost", "_chunk": 0, "_text": "never committed", "_hash": "0" * 32, "vector": junk.tolist()},
        {"doc_id": "a", "_chunk": 0, "_text": "overwritten text", "_hash": "1" * 32, "vector": junk.tolist()},
    ], schema=schema)
    hq.store.lance.write(name, ["doc_id"], rows, None, "`doc_id` = 'b'")
    lance.write_dataset(rows.slice(0, 1), hq.store.lance.uri(name), mode="append")


def snapshot_of(hq) -> tuple:
    chunks = sorted(lance_chunks(hq, "docs", "body"), key=lambda c: (c["doc_id"], c["_chunk"]))
    return (table_rows(hq, "docs"), side_rows(hq, "docs"),
            [(c["doc_id"], c["_chunk"], c["_text"], c["_hash"]) for c in chunks],
            np.asarray([c["vector"] for c in chunks], dtype=np.float32))


def assert_same(a: tuple, b: tuple) -> None:
    assert a[:3] == b[:3]
    assert a[3].shape == b[3].shape and np.allclose(a[3], b[3], atol=1e-5)


def test_unrecorded_lance_write_is_undone(project, embedder):
    p = build(project, "crashed")
    recorded = snapshot_of(p.hq)
    stray_write(p.hq)
    p.close()

    hq = p.connect()
    assert_same(snapshot_of(hq), recorded)  # readers pin the recorded version: the stray rows are invisible
    report = p.refresh()
    assert not report.issues and report.embedded == 0
    name = lance_name("docs", "body")
    latest = lance.dataset(hq.store.lance.uri(name)).to_table().to_pylist()
    assert sorted((c["doc_id"], c["_chunk"], c["_text"]) for c in latest) == [
        (k, n, t) for k, n, t, _ in recorded[2]]  # the newest Lance version is the recorded content again
    check_semantic(hq, "docs", "body", embedder)

    assert_same(snapshot_of(hq), snapshot_of(scratch(project, p, "scratch1").hq))

    # a change after the repair applies normally
    p.write("docs/2/d.md", "Data is stored in the European Union.\n")
    p.remove("docs/1/b.md")
    p.refresh()
    assert_same(snapshot_of(hq), snapshot_of(scratch(project, p, "scratch2").hq))


def scratch(project, like, name: str):
    """A new store built from a copy of `like`'s documents."""
    p = project(CATALOG, name=name)
    shutil.copytree(like.path("docs"), p.path("docs"))
    p.connect()
    p.refresh()
    return p


def test_refresh_after_repair_writes_nothing(project):
    p = build(project, "crashed")
    stray_write(p.hq)
    p.close()
    hq = p.connect()
    p.refresh()  # repairs
    versions, refreshes = lance_versions(hq), refresh_count(hq)
    for _ in range(2):  # the same session, then a new one
        report = p.refresh()
        assert not report.changed and p.embedder.calls == 0
        assert refresh_count(p.hq) == refreshes
        assert lance_versions(p.hq) == versions
        p.connect()
