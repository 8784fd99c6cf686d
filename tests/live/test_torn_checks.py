"""The snapshot checks that the concurrency tests and the serving benchmark count torn snapshots
with (tests/torn_checks.py), asked over HTTP of a store's owner endpoint: 0 on a consistent store,
also when a text's paragraphs are parted by more than one blank line (its chunks were embedded with
one, and vector_search returns them verbatim), and more than 0 when DuckDB's rows meet the Lance chunks of an older state."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import hybridq
from hybridq.embed.chunking import chunk_text
from live_project import make_project

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.torn_checks import torn_checks  # noqa: E402

CHECKS = torn_checks("docs", "doc_id", "body", "refund outage")


def spaced_document(edition: str) -> str:
    """Short headings, each followed by a paragraph two blank lines below it: the chunker joins a
    heading with its paragraph by one blank line."""
    sections = [f"## Section {i}\n\n\nThe {edition} edition on refund outage number {i}: customers wait for "
                f"credits after an outage, billing reviews each refund within a week, and support "
                f"writes to every account that was charged twice during incident {i}."
                for i in range(4)]
    return f"---\ntitle: Spaced\nversion: 1\n---\n" + "\n\n\n".join(sections) + "\n"


def ask(endpoint, sql: str):
    request = urllib.request.Request(f"http://127.0.0.1:{endpoint.port}/v1/sql", data=json.dumps({"sql": sql}).encode(),
                                     headers={"X-Hybridq-Token": endpoint.token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())["rows"]


def test_snapshot_checks_over_http(tmp_path, embedder):
    root = tmp_path / "p"
    catalog = make_project(root, docs=4, seed=2)
    spaced = root / "docs" / "spaced.md"
    spaced.write_text(spaced_document("first"))
    hq = hybridq.connect(catalog, embedder=embedder)
    try:
        hq.refresh()
        endpoint = hq.owner_endpoint.info
        body = ask(endpoint, "SELECT body FROM docs WHERE doc_id = 'spaced'")[0][0]
        chunks = chunk_text(body, hq.store.tokenizer, 60, 10)
        assert len(chunks) > 1 and any(c not in body for c in chunks), "the document must have re-joined chunks"

        assert {name: ask(endpoint, sql)[0][0] for name, sql in CHECKS.items()} == dict.fromkeys(CHECKS, 0)
        found = ask(endpoint, "SELECT _chunk FROM vector_search('docs.body', 'refund outage', 100) WHERE doc_id = 'spaced'")
        assert found and all(chunk in body for (chunk,) in found)
        assert any(chunk not in chunks for (chunk,) in found), "the passage, not the text embedded"

        # A torn pairing, made on purpose: DuckDB holds the next state (every paragraph of the
        # document edited, one document more) but records the Lance version of the state before.
        older = hq.store.recorded_vectors()[("docs", "body")].version
        spaced.write_text(spaced_document("second"))
        (root / "docs" / "extra.md").write_text("---\ntitle: Extra\nversion: 1\n---\nA refund outage note.\n")
        assert hq.refresh().changed
        hq.store.db.execute("UPDATE _hq.vectors SET version = ? WHERE table_name = 'docs' AND column_name = 'body'",
                            [older])
        torn = {name: ask(endpoint, sql)[0][0] for name, sql in CHECKS.items()}
        assert all(count > 0 for count in torn.values()), torn
    finally:
        hq.close()
