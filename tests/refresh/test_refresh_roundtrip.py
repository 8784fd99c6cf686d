"""Round trips per source kind: load, then insert / update / delete at the source, refresh, and check
DuckDB rows, the row side table and the Lance chunks at the pinned version exactly."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from refresh_helpers import check_semantic, paragraphs, side_rows, table_rows

TEXTS = {
    1: "The nightly export to the data warehouse failed with a timeout error.",
    2: "Our invoice shows the wrong VAT number and must be reissued.",
    3: "Single sign-on with Okta stopped working after the certificate rotation.",
    4: "The mobile app crashes when opening the dashboard on Android tablets.",
    5: "Please add more seats to our subscription before the quarterly review.",
    6: "We want to cancel the contract because of repeated outages in Europe.",
}
NEW_TEXT_3 = "Password reset emails arrive hours late for everyone in the sales team."


def item(i: int, **changes) -> dict:
    row = {"id": i, "name": f"item {i}", "price": Decimal(f"{i * 10}.50"), "added": dt.date(2024, 1, i),
           "active": i % 2 == 1, "body": TEXTS[i]}
    row.update(changes)
    return row


def as_tuple(row: dict) -> tuple:
    return (row["id"], row["name"], row["price"], row["added"], row["active"], row["body"])


# -- one writer per kind: rows -> file content -------------------------------------------------------


def csv_text(rows: list[dict]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "name", "price", "added", "active", "body"])
    for r in rows:
        w.writerow([r["id"], r["name"], r["price"], r["added"].isoformat(), str(r["active"]).lower(), r["body"]])
    return out.getvalue()


def parquet_bytes(rows: list[dict]) -> bytes:
    table = pa.table({
        "id": pa.array([r["id"] for r in rows], pa.int32()),
        "name": pa.array([r["name"] for r in rows], pa.string()),
        "price": pa.array([r["price"] for r in rows], pa.decimal128(10, 2)),
        "added": pa.array([r["added"] for r in rows], pa.date32()),
        "active": pa.array([r["active"] for r in rows], pa.bool_()),
        "body": pa.array([r["body"] for r in rows], pa.string()),
    })
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _json_ready(r: dict) -> dict:
    return {**r, "price": float(r["price"]), "added": r["added"].isoformat()}


def jsonl_text(rows: list[dict]) -> str:
    return "".join(json.dumps(_json_ready(r)) + "\n" for r in rows)


def json_text(rows: list[dict]) -> str:
    return json.dumps([_json_ready(r) for r in rows], indent=2)


# kind -> (source path, writer, {file: keys} for the first load, {file: keys} after the edits);
# in the globs, row 1 also moves to another file
KINDS = {
    "csv": ("data/items.csv", csv_text, {"data/items.csv": [1, 2, 3, 4, 5]},
            {"data/items.csv": [1, 2, 3, 5, 6]}),
    "json": ("data/items.json", json_text, {"data/items.json": [1, 2, 3, 4, 5]},
             {"data/items.json": [1, 2, 3, 5, 6]}),
    "parquet": ("data/items/*.parquet", parquet_bytes,
                {"data/items/a.parquet": [1, 2, 3], "data/items/b.parquet": [4, 5]},
                {"data/items/a.parquet": [2, 3], "data/items/b.parquet": [5], "data/items/c.parquet": [1, 6]}),
    "jsonl": ("data/items/*.jsonl", jsonl_text,
              {"data/items/a.jsonl": [1, 2, 3], "data/items/b.jsonl": [4, 5]},
              {"data/items/a.jsonl": [2, 3], "data/items/b.jsonl": [5], "data/items/c.jsonl": [1, 6]}),
}

CATALOG = """
version: 1
name: roundtrip
store: .store
sources:
  items: {{kind: {kind}, path: "{path}"}}
tables:
  items:
    source: items
    primary_key: id
    columns:
      id: {{type: INTEGER}}
      name: {{type: VARCHAR}}
      price: {{type: "DECIMAL(10,2)"}}
      added: {{type: DATE}}
      active: {{type: BOOLEAN}}
      body: {{type: TEXT, semantic: true}}
"""


def write_files(p, writer, layout: dict, rows: dict[int, dict]) -> None:
    for file, keys in layout.items():
        p.write(file, writer([rows[k] for k in keys]))


def check_items(p, rows: dict[int, dict], files: dict[int, str], model) -> None:
    hq = p.hq
    assert table_rows(hq, "items") == [as_tuple(rows[k]) for k in sorted(rows)]
    assert side_rows(hq, "items") == files
    chunks = check_semantic(hq, "items", "body", model)
    assert chunks == {k: [rows[k]["body"]] for k in rows}


@pytest.mark.parametrize("kind", list(KINDS))
def test_tabular_round_trip(kind, project, embedder):
    path, writer, first, second = KINDS[kind]
    p = project(CATALOG.format(kind=kind, path=path))
    rows = {i: item(i) for i in range(1, 6)}
    write_files(p, writer, first, rows)
    hq = p.connect()

    report = p.refresh()
    t = report.tables["items"]
    assert (t.inserted, t.updated, t.deleted, t.chunks_embedded) == (5, 0, 0, 5)
    assert not report.issues
    assert sorted(p.embedder.texts) == sorted(TEXTS[i] for i in range(1, 6))
    check_items(p, rows, {k: f for f, keys in first.items() for k in keys}, embedder)
    before = hq.sql("SELECT id FROM vector_search('items.body', 'app crashes on android tablets', 3)").rows
    assert before[0][0] == 4

    # insert 6; change only the price of 2; change the text of 3; delete 4 (and move 1, in a glob)
    moved = 1 if len(second) > 1 else 0
    rows[6] = item(6)
    rows[2] = item(2, price=Decimal("99.99"))
    rows[3] = item(3, body=NEW_TEXT_3)
    del rows[4]
    write_files(p, writer, second, rows)
    report = p.refresh()
    t = report.tables["items"]
    assert (t.inserted, t.updated, t.deleted) == (1, 2 + moved, 1)
    assert t.chunks_embedded == 2 and sorted(p.embedder.texts) == sorted([TEXTS[6], NEW_TEXT_3])
    assert not report.issues
    files = {k: f for f, keys in second.items() for k in keys}
    check_items(p, rows, files, embedder)

    # the deleted row is never returned again, by ordering or by vector_search
    ranked = hq.sql("SELECT id, similarity(body, 'app crashes on android tablets') AS s FROM items ORDER BY s DESC").rows
    assert [r[0] for r in ranked] and 4 not in [r[0] for r in ranked]
    found = hq.sql("SELECT id FROM vector_search('items.body', 'app crashes on android tablets', 10)").rows
    assert sorted(r[0] for r in found) == sorted(rows)
    old_text = hq.sql(f"SELECT id FROM vector_search('items.body', '{TEXTS[3]}', 10)").rows
    assert sorted(r[0] for r in old_text) == sorted(rows)  # no stale chunk of 3's old text

    if len(second) > 1:  # a glob: deleting one file removes exactly its rows
        gone = next(iter(second))
        p.remove(gone)
        report = p.refresh()
        t = report.tables["items"]
        assert (t.inserted, t.updated, t.deleted, t.chunks_embedded) == (0, 0, len(second[gone]), 0)
        for k in second[gone]:
            del rows[k]
            del files[k]
        check_items(p, rows, files, embedder)

    report = p.refresh()
    assert not report.changed and report.embedded == 0 and p.embedder.calls == 0


# -- documents -------------------------------------------------------------------------------------

DOC_CATALOG = """
version: 1
name: documents
store: .store
sources:
  docs:  {kind: documents, path: "docs/{customer_id}/{doc_id}.md"}
  notes: {kind: documents, path: "notes/{note_id}.txt"}
  pages: {kind: documents, path: "pages/{page_id}.html"}
tables:
  docs:
    source: docs
    primary_key: doc_id
    columns:
      doc_id: {type: VARCHAR}
      customer_id: {type: INTEGER}
      title: {type: VARCHAR}
      priority: {type: INTEGER}
      signed: {type: DATE}
      body: {type: TEXT, semantic: true}
  notes:
    source: notes
    primary_key: note_id
    columns:
      note_id: {type: VARCHAR}
      body: {type: TEXT, semantic: true}
  pages:
    source: pages
    primary_key: page_id
    columns:
      page_id: {type: VARCHAR}
      body: {type: TEXT, semantic: true}
"""

DOC_TEXT = {
    "a": "The customer asks for a refund because the annual invoice was charged twice.",
    "b": "Renewal terms: the agreement renews automatically for twelve months unless cancelled.",
    "c": "Data processing addendum: personal data stays in the European Union region.",
    "d": "Escalation: the reporting dashboard has been down for three days and nothing loads.",
    "e": "Order form for forty additional analyst seats on the Growth plan.",
    "f": "Security review: the vendor must support SAML single sign-on and audit log export.",
}
NEW_C = "Data processing addendum: personal data may be processed in the United States as well."


def long_body() -> list[str]:
    return paragraphs(seed=3, n=4)


def doc(title: str, priority: int, body: str, signed: str = "2025-03-01") -> str:
    return f"---\ntitle: {title}\npriority: {priority}\nsigned: {signed}\n---\n\n{body}\n"


def test_documents_round_trip(project, embedder):
    p = project(DOC_CATALOG)
    place = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 1, "long": 3}
    meta = {k: (f"Doc {k}", i) for i, k in enumerate(place)}
    bodies = dict(DOC_TEXT)
    bodies["long"] = "\n\n".join(long_body())
    del bodies["f"]
    for k, cust in place.items():
        p.write(f"docs/{cust}/{k}.md", doc(meta[k][0], meta[k][1], bodies[k]))
    p.write("notes/n1.txt", "Remember to rotate the API keys every ninety days.\n")
    p.write("notes/n2.txt", "The warehouse migration is planned for the second quarter.\n")
    p.write("pages/p1.html", "<html><head><title>ignored</title><script>var x = 'hidden';</script></head>"
                             "<body><h1>Rate limits</h1><p>The API allows 600 requests&nbsp;per minute.</p>"
                             "<p>Retry with exponential backoff.</p></body></html>")
    p.write("pages/p2.html", "<html><body><p>Invoices can be downloaded as PDF from the billing page.</p></body></html>")
    hq = p.connect()

    report = p.refresh()
    assert not report.issues
    assert report.tables["docs"].inserted == 6 and report.tables["docs"].chunks_embedded == 5 + 4
    assert report.tables["notes"].inserted == 2 and report.tables["pages"].inserted == 2

    def expected_docs():
        return [(k, place[k], meta[k][0], meta[k][1], dt.date(2025, 3, 1), bodies[k]) for k in sorted(place)]

    assert table_rows(hq, "docs") == expected_docs()
    assert side_rows(hq, "docs") == {k: f"docs/{c}/{k}.md" for k, c in place.items()}
    chunks = check_semantic(hq, "docs", "body", embedder)
    assert chunks["long"] == long_body() and len(chunks) == 6
    assert table_rows(hq, "pages") == [
        ("p1", "Rate limits\n\nThe API allows 600 requests\xa0per minute.\n\nRetry with exponential backoff."),
        ("p2", "Invoices can be downloaded as PDF from the billing page."),
    ]
    assert table_rows(hq, "notes")[0] == ("n1", "Remember to rotate the API keys every ninety days.")
    check_semantic(hq, "pages", "body", embedder)
    query = "the dashboard is down and nothing loads"
    top = hq.sql(f"SELECT doc_id, similarity(body, '{query}') AS s FROM docs ORDER BY s DESC LIMIT 1").rows
    assert top[0][0] == "d"
    assert hq.sql(f"SELECT doc_id FROM vector_search('docs.body', '{query}', 1)").rows[0][0] == "d"

    # new doc f; front matter only of b; body of c; delete d; move e from customer 1 to 3;
    # the long doc loses its last two paragraphs
    place["f"] = 2
    meta["f"] = ("Doc f", 9)
    bodies["f"] = DOC_TEXT["f"]
    p.write("docs/2/f.md", doc("Doc f", 9, bodies["f"]))
    meta["b"] = ("Doc b, renamed", meta["b"][1])
    p.write("docs/1/b.md", doc(meta["b"][0], meta["b"][1], bodies["b"]))
    bodies["c"] = NEW_C
    p.write("docs/2/c.md", doc(meta["c"][0], meta["c"][1], NEW_C))
    p.remove("docs/2/d.md")
    del place["d"]
    p.remove("docs/1/e.md")
    p.write("docs/3/e.md", doc(meta["e"][0], meta["e"][1], bodies["e"]))
    place["e"] = 3
    bodies["long"] = "\n\n".join(long_body()[:2])
    p.write("docs/3/long.md", doc(meta["long"][0], meta["long"][1], bodies["long"]))
    p.remove("notes/n2.txt")
    p.remove("notes/n1.txt")  # renamed: a new key with the same text
    p.write("notes/n3.txt", "Remember to rotate the API keys every ninety days.\n")
    p.write("pages/p2.html", "<html><body><p>Invoices are emailed to the billing contact each month.</p></body></html>")

    report = p.refresh()
    assert not report.issues
    t = report.tables["docs"]
    assert (t.inserted, t.updated, t.deleted) == (1, 4, 1)
    assert t.chunks_embedded == 2  # f and the new text of c; b, e and the shortened doc reuse vectors
    assert sorted(p.embedder.texts) == sorted([DOC_TEXT["f"], NEW_C,
                                               "Invoices are emailed to the billing contact each month."])
    assert table_rows(hq, "docs") == expected_docs()
    assert side_rows(hq, "docs") == {k: f"docs/{c}/{k}.md" for k, c in place.items()}
    chunks = check_semantic(hq, "docs", "body", embedder)
    assert chunks["long"] == long_body()[:2] and "d" not in chunks and chunks["c"] == [NEW_C]
    t = report.tables["notes"]
    assert (t.inserted, t.deleted, t.chunks_embedded) == (1, 2, 0)
    assert [r[0] for r in table_rows(hq, "notes")] == ["n3"]
    assert check_semantic(hq, "notes", "body") == {"n3": ["Remember to rotate the API keys every ninety days."]}
    assert check_semantic(hq, "pages", "body", embedder)["p2"] == [
        "Invoices are emailed to the billing contact each month."]

    # the deleted document is never returned again
    ranked = hq.sql(f"SELECT doc_id, similarity(body, '{query}') AS s FROM docs ORDER BY s DESC").rows
    assert "d" not in [r[0] for r in ranked] and len(ranked) == 6
    found = hq.sql(f"SELECT doc_id, _chunk FROM vector_search('docs.body', '{query}', 20)").rows
    assert "d" not in [r[0] for r in found] and DOC_TEXT["d"] not in [r[1] for r in found]
    assert len(found) == 6
    moved = hq.sql("SELECT customer_id FROM docs WHERE doc_id = 'e'").rows
    assert moved == [(3,)]

    report = p.refresh()
    assert not report.changed and p.embedder.calls == 0


def test_byte_order_mark_and_glob_characters_in_the_project_folder(project):
    p = project("""
        version: 1
        name: odd
        store: .store
        sources:
          items: {kind: csv, path: data/items.csv}
          docs:  {kind: documents, path: "docs/{doc_id}.md"}
        tables:
          items:
            source: items
            primary_key: id
            columns:
              id: {type: INTEGER}
              name: {type: VARCHAR}
          docs:
            source: docs
            primary_key: doc_id
            columns:
              doc_id: {type: VARCHAR}
              body: {type: VARCHAR}
        """, name="project [2024]")
    p.write("data/items.csv", "\ufeffid,name\n1,Globex\n,Initech\n3,Umbrella\n".encode("utf-8"))
    p.write("docs/a.md", "hello\n")
    hq = p.connect()
    report = p.refresh()
    assert [(i.file, i.line) for _, i in report.issues] == [("data/items.csv", 3)]  # the row without its key
    assert table_rows(hq, "items") == [(1, "Globex"), (3, "Umbrella")]
    assert table_rows(hq, "docs") == [("a", "hello")]
    p.remove("docs/a.md")
    assert p.refresh().tables["docs"].deleted == 1


def test_composite_key_quotes_and_emptied_text(project, embedder):
    p = project("""
        version: 1
        name: composite
        store: .store
        sources:
          sites: {kind: csv, path: data/sites.csv}
        tables:
          sites:
            source: sites
            primary_key: [region, id]
            columns:
              region: {type: VARCHAR}
              id: {type: INTEGER}
              body: {type: TEXT, semantic: true}
        """)
    p.write("data/sites.csv", 'region,id,body\n'
                              'EU,1,Frankfurt data center runs on renewable power.\n'
                              'EU,2,Dublin office handles invoicing questions.\n'
                              'US,1,Virginia region had a network outage in March.\n'
                              '"O\'Hare",1,The airport kiosk prints boarding passes.\n')
    hq = p.connect()
    p.refresh()
    assert check_semantic(hq, "sites", "body", embedder)[("O'Hare", 1)] == ["The airport kiosk prints boarding passes."]

    p.write("data/sites.csv", 'region,id,body\n'
                              'EU,1,Frankfurt data center runs on renewable power.\n'
                              'EU,2,\n'
                              'US,1,Virginia region had a storage outage in April.\n'
                              'US,2,Oregon region is the disaster recovery site.\n')
    report = p.refresh()
    t = report.tables["sites"]
    assert (t.inserted, t.updated, t.deleted, t.chunks_embedded) == (1, 2, 1, 2)
    assert table_rows(hq, "sites") == [
        ("EU", 1, "Frankfurt data center runs on renewable power."), ("EU", 2, None),
        ("US", 1, "Virginia region had a storage outage in April."),
        ("US", 2, "Oregon region is the disaster recovery site.")]
    assert check_semantic(hq, "sites", "body", embedder) == {
        ("EU", 1): ["Frankfurt data center runs on renewable power."],
        ("US", 1): ["Virginia region had a storage outage in April."],
        ("US", 2): ["Oregon region is the disaster recovery site."]}
    found = hq.sql("SELECT region, id, _score FROM vector_search('sites.body', 'airport boarding passes', 10)").rows
    assert sorted((r[0], r[1]) for r in found) == [("EU", 1), ("US", 1), ("US", 2)]
    ranked = hq.sql("SELECT region, id, similarity(body, 'invoicing questions') AS s FROM sites "
                    "ORDER BY s DESC NULLS LAST").rows
    assert ranked[-1][:2] == ("EU", 2) and ranked[-1][2] is None
