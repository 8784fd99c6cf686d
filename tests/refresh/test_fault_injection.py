"""Fault injection: hostile source files against the readers' limits (links leading out of a source's
folder, YAML aliases and deep nesting in front matter, huge or deeply nested JSON values, a catalog
that expands without bound), and catalog changes between refreshes (a source's path or options,
columns, tables removed and added back), with the embeddings each one costs counted."""

from __future__ import annotations

import os
import stat

import pytest

import hybridq
from hybridq.catalog.validate import validate_file
from refresh_helpers import TEXTS, build_shop, check_semantic, fetch, refresh_count, shop_catalog, table_rows

SECRET = "root:x:0:0:the secret text that must never be stored or embedded"


def issues_of(report, table):
    return [i.format() for i in report.tables[table].issues] if table in report.tables else []


def stored_errors(hq, table):
    return [r[0] for r in fetch(hq, f"SELECT message FROM _hq.errors WHERE table_name = '{table}' ORDER BY file")]


# -- links leading out of a source's folder ---------------------------------------------------------


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "outside" / "passwd"
    path.parent.mkdir()
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


def test_a_link_out_of_the_folder_is_skipped_and_reported(project, secret):
    p = build_shop(project)
    os.symlink(secret, p.path("docs/passwd.md"))
    p.connect()
    report = p.refresh()
    assert sorted(r[0] for r in table_rows(p.hq, "docs")) == ["a", "b", "c"]
    assert not any(SECRET in t for t in p.embedder.texts)
    issues = issues_of(report, "docs")
    assert len(issues) == 1 and issues[0].startswith("docs/passwd.md: links outside the source's folder docs: it is ")
    assert str(secret) in issues[0] and "follow_symlinks: true" in issues[0]
    status = {s.table: s for s in p.hq.status()}["docs"]
    assert status.errors == [issues[0]] and status.pending_files == 0
    assert not p.hq.sql("SELECT count(*) FROM docs WHERE body LIKE '%secret%'").rows[0][0]
    # a refresh with nothing new says nothing more, and records no refresh
    refreshes = refresh_count(p.hq)
    again = p.refresh()
    assert not again.changed and again.summary() == "no changes" and refresh_count(p.hq) == refreshes
    # the link removed: its problem goes
    os.unlink(p.path("docs/passwd.md"))
    p.refresh()
    assert stored_errors(p.hq, "docs") == []


def test_a_file_replaced_by_a_link_out_loses_its_rows(project, secret):
    p = build_shop(project)
    p.connect()
    p.refresh()
    os.unlink(p.path("data/items.csv"))
    os.symlink(secret, p.path("data/items.csv"))
    report = p.refresh()
    assert table_rows(p.hq, "items") == []
    assert issues_of(report, "items")[0].startswith("data/items.csv: links outside the source's folder data")


def test_links_inside_the_folder_and_links_allowed_by_the_catalog_are_read(project, secret):
    p = build_shop(project, docs_options=", follow_symlinks: true")
    os.symlink(p.path("docs/a.md"), p.path("docs/a_again.md"))  # inside the folder: fine
    os.symlink(secret, p.path("docs/passwd.md"))
    p.connect()
    report = p.refresh()
    assert sorted(r[0] for r in table_rows(p.hq, "docs")) == ["a", "a_again", "b", "c", "passwd"]
    assert issues_of(report, "docs") == []


# -- front matter and JSON that expand, nest or overflow --------------------------------------------


ALIAS_BOMB = """---
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
title: [*g, *g, *g, *g, *g, *g, *g, *g, *g]
---
body
"""


@pytest.mark.parametrize("name, content, message", [
    ("bomb", ALIAS_BOMB, "docs/bomb.md:3: invalid front matter: the YAML alias *a is not allowed in front matter"),
    ("deep", "---\ntitle: " + "[" * 200 + "]" * 200 + "\n---\nbody\n",
     "docs/deep.md:2: invalid front matter: front matter is nested more than 32 levels deep"),
    ("digits", "---\ntitle: " + "7" * 5000 + "\n---\nbody\n",
     "docs/digits.md:1: invalid front matter: a value cannot be read: Exceeds the limit (4300 digits)"),
])
def test_front_matter_that_expands_or_nests_is_quarantined(project, name, content, message):
    p = build_shop(project)
    p.write(f"docs/{name}.md", content)
    p.connect()
    report = p.refresh()
    assert sorted(r[0] for r in table_rows(p.hq, "docs")) == ["a", "b", "c"]
    issues = issues_of(report, "docs")
    assert len(issues) == 1 and issues[0].startswith(message), issues


def test_json_lines_that_overflow_or_nest_are_reported_and_the_rest_loaded(project):
    p = build_shop(project)
    p.write("data/events/e2.jsonl", "\n".join([
        '{"event_id": 2, "detail": "ok"}',
        '{"event_id": 3, "detail": "' + "x" * 9000 + '"}',  # over max_file_bytes (8000)
        '{"event_id": 4, "detail": ' + "[" * 2000 + "]" * 2000 + "}",  # nested too deeply
        '{"event_id": 5, "detail": ' + "9" * 5000 + "}",  # a number too long to convert
        '{"event_id": 6, "detail": "still read"}',
    ]) + "\n")
    p.connect()
    report = p.refresh()
    assert table_rows(p.hq, "events") == [(1, "created"), (2, "ok"), (6, "still read")]
    issues = issues_of(report, "events")
    assert issues[0] == "data/events/e2.jsonl:2: line is 9,030 bytes, over max_file_bytes (8,000); not read"
    assert issues[1] == "data/events/e2.jsonl:3: cannot read this JSON: nested too deeply"
    assert issues[2].startswith("data/events/e2.jsonl:4: cannot read this JSON: Exceeds the limit (4300 digits)")
    assert len(issues) == 3


def test_a_catalog_that_expands_without_bound_is_an_issue(tmp_path):
    file = tmp_path / "bomb.yaml"
    aliases = ALIAS_BOMB.split("---\n")[1].replace("title:", "glossary:")
    file.write_text("version: 1\nname: bomb\n" + aliases, encoding="utf-8")
    result = validate_file(file)
    assert [i.message for i in result.issues] == ["the catalog expands to more than 200,000 values"]
    assert "aliases" in result.issues[0].hint


# -- catalog changes between refreshes ------------------------------------------------------------


def test_reading_with_a_catalog_that_lacks_a_table_changes_nothing(project):
    p = build_shop(project)
    p.connect()
    p.refresh()
    before = {t: table_rows(p.hq, t) for t in ("items", "docs")}
    chunks = check_semantic(p.hq, "docs", "body")
    p.close()
    full = p.catalog.read_text(encoding="utf-8")
    p.set_catalog(shop_catalog(docs=False))
    with hybridq.connect(p.catalog) as hq:  # sql, explain, status and a question: reading only
        assert hq.sql("SELECT count(*) FROM items").rows == [(2,)]
        hq.explain("SELECT name FROM items")
        assert [s.table for s in hq.status()] == ["items", "events"]
        with pytest.raises(hybridq.SQLError, match="unknown table 'docs'"):
            hq.sql("SELECT * FROM docs")
    p.catalog.write_text(full, encoding="utf-8")
    hq = p.connect()
    report = p.refresh()
    assert not report.changed and p.embedder.calls == 0
    assert {t: table_rows(hq, t) for t in ("items", "docs")} == before
    assert check_semantic(hq, "docs", "body") == chunks


def test_a_table_removed_by_a_refresh_comes_back_without_embedding(project):
    p = build_shop(project)
    p.connect()
    p.refresh()
    rows = table_rows(p.hq, "docs")
    p.close()
    p.set_catalog(shop_catalog(docs=False))
    said = []
    with hybridq.connect(p.catalog, embedder=p.embedder) as hq:
        report = hq.refresh(log=said.append)
        assert report.removed == {"docs": 3}
        assert said[0].startswith("table docs is no longer in the catalog: removing it from the store (3 rows")
        assert report.summary().startswith("docs: removed from the store (no longer in the catalog; 3 rows)")
        assert hq.sql("SELECT count(*) FROM items").rows == [(2,)]
        assert fetch(hq, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'docs'") == [(0,)]
    p.set_catalog(shop_catalog())
    hq = p.connect()
    report = p.refresh()
    assert p.embedder.calls == 0  # counted: every chunk's vector came from the store's vector cache
    assert (report.tables["docs"].inserted, report.tables["docs"].chunks_reused) == (3, 3)
    assert table_rows(hq, "docs") == rows
    check_semantic(hq, "docs", "body", p.embedder.inner)
    assert fetch(hq, "SELECT count(*) FROM _hq.vector_cache") == [(0,)]  # back in their column


def test_a_changed_table_is_not_read_until_refreshed_and_reloads_without_embedding(project):
    p = build_shop(project)
    p.connect()
    p.refresh()
    p.close()
    p.set_catalog(shop_catalog().replace("      title: VARCHAR\n", "      title: VARCHAR\n      author: VARCHAR\n"))
    hq = p.connect()
    with pytest.raises(hybridq.SQLError) as info:
        hq.sql("SELECT doc_id, author FROM docs")
    assert info.value.message == "table docs changed in the catalog (columns or key) since the store was refreshed"
    assert "hybridq refresh" in info.value.hint
    report = p.refresh()
    # no document text embedded again (the new column's name is embedded once, as a catalog phrase)
    assert report.tables["docs"].chunks_embedded == 0 and report.tables["docs"].inserted == 3
    assert not [t for t in p.embedder.texts if t.strip() in {v.strip() for v in TEXTS.values()}], p.embedder.texts
    assert hq.sql("SELECT doc_id, author FROM docs ORDER BY 1").rows == [("a", None), ("b", None), ("c", None)]


def test_a_new_documents_path_reads_the_new_files_and_drops_the_old(project):
    p = build_shop(project)
    p.connect()
    p.refresh()
    for key, text in TEXTS.items():  # the same documents, moved; one new
        p.write(f"notes/{key}-v2.md", f"---\ntitle: {key.upper()}\n---\n{text}\n")
    p.write("notes/d-v2.md", "---\ntitle: D\n---\nA brand new note about invoices.\n")
    p.close()
    p.set_catalog(shop_catalog(docs_path="notes/{doc_id}-v2.md"))
    hq = p.connect()
    report = p.refresh()
    assert sorted(r[0] for r in table_rows(hq, "docs")) == ["a", "b", "c", "d"]
    assert issues_of(report, "docs") == [] and stored_errors(hq, "docs") == []
    assert p.embedder.texts == ["A brand new note about invoices."]  # the moved text reused its vectors
    check_semantic(hq, "docs", "body", p.embedder.inner)
    assert fetch(hq, "SELECT count(*) FROM _hq.files WHERE table_name = 'docs' AND path LIKE 'docs/%'") == [(0,)]


def test_a_new_csv_path_replaces_the_rows_without_duplicate_keys(project):
    p = build_shop(project)
    p.connect()
    p.refresh()
    p.write("data/items2.csv", "id,name\n1,apricot\n3,cherry\n")
    p.close()
    p.set_catalog(shop_catalog(items_path="data/items2.csv"))
    hq = p.connect()
    report = p.refresh()
    assert table_rows(hq, "items") == [(1, "apricot"), (3, "cherry")]
    assert issues_of(report, "items") == [] and stored_errors(hq, "items") == []


def test_new_reading_options_read_the_same_file_again(project):
    p = build_shop(project)
    p.write("data/items.csv", "id,name\n1,café\n2,banana\n".encode("latin-1"))
    p.connect()
    report = p.refresh()
    assert table_rows(p.hq, "items") == [(2, "banana")]  # the file is Latin-1, which the catalog does not say yet
    assert issues_of(report, "items")
    p.close()
    p.set_catalog(shop_catalog(items_options=", csv: {encoding: latin-1}"))  # the file is untouched
    hq = p.connect()
    report = p.refresh()
    assert table_rows(hq, "items") == [(1, "café"), (2, "banana")]
    assert issues_of(report, "items") == [] and stored_errors(hq, "items") == []
    assert not p.refresh().changed


# -- the store is private to its user --------------------------------------------------------------


def test_the_store_is_private_to_its_user(project):
    saved = os.umask(0o022)  # the usual umask: files readable by everyone unless the store says otherwise
    try:
        p = build_shop(project)
        p.connect()
        p.refresh()
        p.write("docs/d.md", "---\ntitle: D\n---\nAnother document, another Lance fragment.\n")
        p.refresh()
        p.hq.maintain()
        store = p.hq.store.directory
        assert stat.S_IMODE(os.stat(store).st_mode) == 0o700
        loose = []
        for folder, dirs, files in os.walk(store):
            for name in dirs + files:
                path = os.path.join(folder, name)
                if os.stat(path).st_mode & 0o077:
                    loose.append(f"{oct(stat.S_IMODE(os.stat(path).st_mode))} {os.path.relpath(path, store)}")
        assert loose == [], loose
        assert len([f for _, _, fs in os.walk(store / "lance") for f in fs]) > 5
    finally:
        os.umask(saved)


def test_an_older_store_becomes_private_at_its_next_refresh(project):
    p = build_shop(project)
    p.connect()
    p.refresh()
    os.chmod(p.hq.store.directory, 0o755)
    p.write("docs/d.md", "---\ntitle: D\n---\nOne more.\n")
    p.refresh()
    assert stat.S_IMODE(os.stat(p.hq.store.directory).st_mode) == 0o700
