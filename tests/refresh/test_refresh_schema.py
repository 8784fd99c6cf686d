"""Catalog changes that change the store: a column type, chunking settings, a removed table."""

from __future__ import annotations

import os

from hybridq.embed.chunking import chunk_text
from hybridq.embed.tokens import load_tokenizer
from hybridq.store.store import lance_name
from refresh_helpers import check_semantic, fetch, paragraphs, table_rows

CATALOG = """
version: 1
name: schema
store: .store
sources:
  items: {{kind: csv, path: data/items.csv}}
  docs:  {{kind: documents, path: "docs/{{doc_id}}.md"}}
tables:
  items:
    source: items
    primary_key: id
    columns:
      id: {{type: INTEGER}}
      score: {{type: {score_type}}}
      note: {{type: TEXT, semantic: true}}
{docs_table}"""

DOCS_TABLE = """  docs:
    source: docs
    primary_key: doc_id
    columns:
      doc_id: {{type: VARCHAR}}
      body: {{type: TEXT, semantic: {{chunk_tokens: {chunk_tokens}, overlap_tokens: 30}}}}
"""


def catalog(score_type="INTEGER", chunk_tokens=200, docs=True) -> str:
    return CATALOG.format(score_type=score_type,
                          docs_table=DOCS_TABLE.format(chunk_tokens=chunk_tokens) if docs else "")


def build(project):
    p = project(catalog())
    p.write("data/items.csv", "id,score,note\n1,10,first note about billing\n2,20,second note about outages\n")
    big = paragraphs(seed=21, n=20)  # ~140 tokens each: one chunk per paragraph at 200 and at 250 tokens
    small = paragraphs(seed=22, n=3, words=(66, 72))  # 210-228 tokens: one chunk per paragraph at 200; one at 250
    p.write("docs/big.md", "\n\n".join(big))
    p.write("docs/small.md", "\n\n".join(small))
    p.connect()
    report = p.refresh()
    assert report.tables["docs"].chunks_embedded == 23
    return p, big, small


def column_types(hq, table: str) -> dict:
    return dict(fetch(hq, f"SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = '{table}' "
                          "AND schema_name = 'main'"))


def test_changed_column_type_rebuilds_the_table(project, embedder):
    p, _, _ = build(project)
    assert column_types(p.hq, "items")["score"] == "INTEGER"
    p.close()
    p.set_catalog(catalog(score_type="DOUBLE"))
    hq = p.connect()
    report = p.refresh()
    assert column_types(hq, "items")["score"] == "DOUBLE"
    assert report.tables["items"].inserted == 2 and "docs" not in [t for t, r in report.tables.items() if r.changed]
    assert table_rows(hq, "items") == [(1, 10.0, "first note about billing"), (2, 20.0, "second note about outages")]
    check_semantic(hq, "items", "note", embedder)
    report = p.refresh()
    assert not report.changed


def test_changed_chunking_rechunks_and_reuses_vectors(project, embedder):
    p, big, small = build(project)
    p.close()
    p.set_catalog(catalog(chunk_tokens=250))
    hq = p.connect()
    report = p.refresh()
    assert chunk_text("\n\n".join(small), load_tokenizer("all-MiniLM-L6-v2"), 250, 30) == ["\n\n".join(small)]
    t = report.tables["docs"]
    assert (t.chunks_embedded, t.chunks_reused) == (1, 20)
    assert p.embedder.texts == ["\n\n".join(small)]
    assert report.tables["items"].chunks_embedded == 0
    chunks = check_semantic(hq, "docs", "body", embedder)
    assert chunks == {"big": big, "small": ["\n\n".join(small)]}
    report = p.refresh()
    assert not report.changed


def test_removed_table_is_dropped(project):
    p, _, _ = build(project)
    lance_dir = p.hq.store.lance.uri(lance_name("docs", "body"))
    assert os.path.isdir(lance_dir)
    p.close()
    p.set_catalog(catalog(docs=False))
    hq = p.connect()
    p.refresh()
    tables = {r[0] for r in fetch(hq, "SELECT schema_name || '.' || table_name FROM duckdb_tables()")}
    assert "main.docs" not in tables and "main.items" in tables
    assert not any("docs" in t for t in tables if t.startswith("_hq."))
    for internal in ("vectors", "files", "sources", "errors"):
        assert fetch(hq, f"SELECT count(*) FROM _hq.{internal} WHERE table_name = 'docs'") == [(0,)]
    assert not os.path.exists(lance_dir)
    assert len(table_rows(hq, "items")) == 2
