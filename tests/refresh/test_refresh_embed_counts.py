"""Only chunks whose text has no vector yet are embedded: edits, inserted paragraphs, shared text."""

from __future__ import annotations

from hybridq.embed.chunking import chunk_text
from hybridq.embed.tokens import load_tokenizer
from refresh_helpers import check_semantic, paragraphs

CATALOG = """
version: 1
name: counts
store: .store
sources:
  docs: {kind: documents, path: "docs/{doc_id}.md"}
tables:
  docs:
    source: docs
    primary_key: doc_id
    columns:
      doc_id: {type: VARCHAR}
      body: {type: TEXT, semantic: {chunk_tokens: 200, overlap_tokens: 30}}
"""


def body(paras: list[str]) -> str:
    return "\n\n".join(paras)


def test_only_changed_chunks_are_embedded(project, embedder):
    p = project(CATALOG)
    paras = paragraphs(seed=11, n=24)
    assert chunk_text(body(paras), load_tokenizer("all-MiniLM-L6-v2"), 200, 30) == paras  # each paragraph is a chunk of its own
    p.write("docs/big.md", body(paras))
    hq = p.connect()
    report = p.refresh()
    assert report.tables["docs"].chunks_embedded == 24 and p.embedder.calls == 24

    # edit one word of one paragraph: exactly that chunk is embedded
    paras[10] = paras[10].replace("Section", "Chapter", 1)
    p.write("docs/big.md", body(paras))
    report = p.refresh()
    t = report.tables["docs"]
    assert (t.updated, t.chunks_embedded, t.chunks_reused) == (1, 1, 0)
    assert p.embedder.texts == [paras[10]]
    assert check_semantic(hq, "docs", "body", embedder)["big"] == paras

    # insert a paragraph in the middle: only it is embedded; the 11 shifted chunks reuse their vectors
    new = paragraphs(seed=12, n=1)[0]
    paras.insert(13, new)
    p.write("docs/big.md", body(paras))
    report = p.refresh()
    t = report.tables["docs"]
    assert (t.chunks_embedded, t.chunks_reused) == (1, 11)
    assert p.embedder.texts == [new]
    assert check_semantic(hq, "docs", "body", embedder)["big"] == paras

    # remove a paragraph from the middle: nothing to embed, and no chunk is left behind
    del paras[5]
    p.write("docs/big.md", body(paras))
    report = p.refresh()
    assert report.tables["docs"].chunks_embedded == 0 and p.embedder.calls == 0
    assert check_semantic(hq, "docs", "body", embedder)["big"] == paras

    # two new documents share a paragraph; one also repeats a paragraph of big.md
    shared, only_x, only_y = paragraphs(seed=13, n=3)
    p.write("docs/x.md", body([shared, only_x]))
    p.write("docs/y.md", body([shared, only_y, paras[3]]))
    report = p.refresh()
    t = report.tables["docs"]
    assert (t.inserted, t.chunks_embedded, t.chunks_reused) == (2, 3, 2)
    assert sorted(p.embedder.texts) == sorted([shared, only_x, only_y])
    chunks = check_semantic(hq, "docs", "body", embedder)
    assert chunks["x"] == [shared, only_x] and chunks["y"] == [shared, only_y, paras[3]]

    # a new document identical to another: nothing embedded
    p.write("docs/z.md", body([shared, only_x]))
    report = p.refresh()
    assert report.tables["docs"].inserted == 1 and p.embedder.calls == 0
    check_semantic(hq, "docs", "body")
