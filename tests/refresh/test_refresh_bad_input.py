"""Bad input is reported (report, _hq.errors, status) with its file and line or key; the rest of the
refresh proceeds; rows already stored are never removed because their file could not be read."""

from __future__ import annotations

import datetime as dt
import os


from refresh_helpers import check_semantic, fetch, table_rows

CATALOG = """
version: 1
name: bad
store: .store
sources:
  items:  {kind: csv, path: "data/items/*.csv"}
  events: {kind: jsonl, path: "data/events/*.jsonl"}
  things: {kind: json, path: "data/things/*.json"}
  docs:   {kind: documents, path: "docs/{doc_id}.md", max_file_bytes: 3000}
tables:
  items:
    source: items
    primary_key: id
    columns:
      id: {type: INTEGER}
      name: {type: VARCHAR}
      qty: {type: INTEGER}
  events:
    source: events
    primary_key: event_id
    columns:
      event_id: {type: INTEGER}
      kind: {type: VARCHAR}
      n: {type: INTEGER}
  things:
    source: things
    primary_key: id
    columns:
      id: {type: INTEGER}
      n: {type: INTEGER}
  docs:
    source: docs
    primary_key: doc_id
    columns:
      doc_id: {type: VARCHAR}
      title: {type: VARCHAR}
      priority: {type: INTEGER}
      body: {type: TEXT, semantic: true}
"""


def issues_of(report, table: str) -> set[tuple]:
    return {(i.file, i.line, i.key) for i in report.tables[table].issues}


def stored_errors(hq, table: str) -> set[tuple]:
    return set(fetch(hq, f"SELECT file, line, key FROM _hq.errors WHERE table_name = '{table}'"))


def status_errors(hq, table: str) -> list[str]:
    return next(s for s in hq.status() if s.table == table).errors


def assert_reported(p, report, table: str, expected: set[tuple]) -> None:
    assert issues_of(report, table) == expected
    assert stored_errors(p.hq, table) == expected
    shown = status_errors(p.hq, table)
    assert len(shown) == len(expected)
    for file, line, key in expected:
        where = file + (f":{line}" if line else "") + (f" (key {key})" if key else "")
        assert any(s.startswith(where + ":") for s in shown), (where, shown)


def test_bad_csv_rows(project):
    p = project(CATALOG)
    p.write("data/items/a.csv", "id,name,qty\n1,alpha,10\n2,beta,20\n3,gamma,30\n4,delta,40\n")
    p.write("data/items/b.csv", "id,name,qty\n10,kappa,100\n11,lambda,110\n")
    p.write("data/items/c.csv", "id,name,qty\n20,rho,200\n21,sigma,210\n")
    hq = p.connect()
    assert not p.refresh().issues

    p.write("data/items/a.csv",
            "id,name,qty\n"
            "1,alpha,15\n"          # 2: a real update
            "2,beta,20,extra\n"     # 3: one column too many
            "3,gamma,lots\n"        # 4: not an INTEGER
            ",nokey,5\n"            # 5: no primary key
            "4,delta,40\n"          # 6
            "4,delta-dup,41\n"      # 7: duplicate key in the same file
            "5,epsilon,50\n")       # 8: a real insert
    p.write("data/items/b.csv", "id,name,qty\n10,kappa,100\n1,alpha-again,99\n")  # key 1 is a.csv's; 11 deleted
    p.write("data/items/c.csv", "id,name\n20,rho\n")  # a column is missing: the file cannot be read
    report = p.refresh()
    assert_reported(p, report, "items", {
        ("data/items/a.csv", 3, None), ("data/items/a.csv", 4, None), ("data/items/a.csv", 5, None),
        ("data/items/a.csv", 7, "4"), ("data/items/b.csv", 3, "1"), ("data/items/c.csv", 1, None),
    })
    messages = {(i.file, i.line): i.message for i in report.tables["items"].issues}
    assert "qty" in messages[("data/items/a.csv", 4)] and "primary key" in messages[("data/items/a.csv", 5)]
    assert "qty" in messages[("data/items/c.csv", 1)]
    t = report.tables["items"]
    assert (t.inserted, t.updated, t.deleted) == (1, 1, 1)
    assert table_rows(hq, "items") == [
        (1, "alpha", 15), (2, "beta", 20), (3, "gamma", 30), (4, "delta", 40), (5, "epsilon", 50),
        (10, "kappa", 100), (20, "rho", 200), (21, "sigma", 210)]

    report = p.refresh()  # nothing changed: nothing to do, and the problems are still shown
    assert not report.changed
    assert len(status_errors(hq, "items")) == 6

    p.write("data/items/a.csv", "id,name,qty\n1,alpha,15\n3,gamma,35\n4,delta,41\n5,epsilon,50\n")
    p.write("data/items/b.csv", "id,name,qty\n10,kappa,100\n12,mu,120\n")
    p.write("data/items/c.csv", "id,name,qty\n20,rho,200\n")
    report = p.refresh()
    assert_reported(p, report, "items", set())
    t = report.tables["items"]
    assert (t.inserted, t.updated, t.deleted) == (1, 2, 2)
    assert table_rows(hq, "items") == [
        (1, "alpha", 15), (3, "gamma", 35), (4, "delta", 41), (5, "epsilon", 50), (10, "kappa", 100),
        (12, "mu", 120), (20, "rho", 200)]


def test_duplicate_rows_are_quarantined_with_their_lines_and_counted(project):
    """Rows left out for their key change counts against the source: each is reported where it
    is, counted in the summary, and kept with the source's problems (status)."""
    p = project(CATALOG)
    p.write("data/items/a.csv", "id,name,qty\n1,alpha,10\n2,beta,20\n3,gamma,30\n")
    hq = p.connect()
    p.refresh()
    p.write("data/items/a.csv", "id,name,qty\n1,alpha,10\n2,beta,20\n3,gamma,30\n2,beta,20\n2,beta-2,21\n")
    p.write("data/items/b.csv", "id,name,qty\n7,eta,70\n\n3,gamma-b,31\n")
    report = p.refresh()
    assert_reported(p, report, "items", {("data/items/a.csv", 5, "2"), ("data/items/a.csv", 6, "2"),
                                         ("data/items/b.csv", 4, "3")})
    messages = sorted(i.message for i in report.tables["items"].issues)
    assert messages == ["duplicate primary key 2 (first seen at data/items/a.csv:3); this row is quarantined, not loaded"] * 2 + \
        ["duplicate primary key 3 (first seen at data/items/a.csv:4); this row is quarantined, not loaded"]
    assert report.summary().startswith("items: +1 ~0 -0 rows, 3 duplicate row(s) quarantined (")
    assert table_rows(hq, "items") == [(1, "alpha", 10), (2, "beta", 20), (3, "gamma", 30), (7, "eta", 70)]


def test_csv_with_mixed_line_endings_is_read_whole(project):
    p = project(CATALOG)
    p.write("data/items/a.csv", b"id,name,qty\r\n1,alpha,10\r\n2,beta,20\n3,gamma,30\r\n4,delta,40\n")
    hq = p.connect()
    report = p.refresh()
    assert issues_of(report, "items") == set()
    assert table_rows(hq, "items") == [(1, "alpha", 10), (2, "beta", 20), (3, "gamma", 30), (4, "delta", 40)]


def test_an_unclosed_quote_costs_its_line_only(project):
    """One quote that never closes does not change how the other lines are read: the bad line is
    reported, the good rows, quoted or multi-line, are loaded as they are."""
    p = project(CATALOG)
    p.write("data/items/a.csv", 'id,name,qty\n1,alpha,10\n2,"beta,20\n3,gamma,30\n4,"delta, the fourth",40\n'
                                '5,"multi\nline",50\n6,zeta,60\n')
    hq = p.connect()
    report = p.refresh()
    assert_reported(p, report, "items", {("data/items/a.csv", 3, None)})
    assert "never closes" in report.tables["items"].issues[0].message
    assert table_rows(hq, "items") == [(1, "alpha", 10), (3, "gamma", 30), (4, "delta, the fourth", 40),
                                       (5, "multi\nline", 50), (6, "zeta", 60)]
    p.write("data/items/a.csv", 'id,name,qty\n1,alpha,10\n2,"beta",20\n3,gamma,30\n')  # fixed
    report = p.refresh()
    assert_reported(p, report, "items", set())
    assert table_rows(hq, "items") == [(1, "alpha", 10), (2, "beta", 20), (3, "gamma", 30)]


def test_a_broken_key_cell_does_not_delete_the_row(project):
    p = project(CATALOG)
    p.write("data/items/a.csv", "id,name,qty\n1,alpha,10\n2,beta,20\n")
    hq = p.connect()
    p.refresh()
    p.write("data/items/a.csv", "id,name,qty\n1,alpha,10\n,beta,21\n")
    report = p.refresh()
    assert_reported(p, report, "items", {("data/items/a.csv", 3, None)})
    assert table_rows(hq, "items") == [(1, "alpha", 10), (2, "beta", 20)]


def test_bad_json_records(project):
    p = project(CATALOG)
    p.write("data/events/e1.jsonl", "".join(
        f'{{"event_id": {i}, "kind": "k{i}", "n": {i}}}\n' for i in (1, 2, 3)))
    p.write("data/events/e2.jsonl", '{"event_id": 10, "kind": "k10", "n": 10}\n')
    p.write("data/things/t.json", '[{"id": 1, "n": 1}, {"id": 2, "n": 2}]')
    hq = p.connect()
    assert not p.refresh().issues

    p.write("data/events/e1.jsonl",
            '{"event_id": 1, "kind": "k1", "n": 1}\n'
            '{"event_id": 2, "kind": \n'                  # 2: not JSON
            '{"event_id": 3, "kind": "k3", "n": 33}\n'    # 3: a real update
            '{"event_id": 4, "kind": "k4", "n": 4}\n'     # 4: a real insert
            '[1, 2]\n'                                    # 5: not an object
            '{"kind": "nokey", "n": 6}\n')                # 6: no primary key
    p.write("data/events/e2.jsonl", '{"event_id": 10, "kind": "k10", "n": "many"}\n'
                                    '{"event_id": 11, "kind": "k11", "n": 11}\n')
    p.write("data/events/e3.jsonl", '{"event_id": 3, "kind": "again", "n": 3}\n')  # key 3 is e1's
    p.write("data/things/t.json", '[{"id": 1, "n": 1}, {"id": 2, "n": "two"}, 5, {"id": 3, "n": 3}]')
    report = p.refresh()
    assert_reported(p, report, "events", {
        ("data/events/e1.jsonl", 2, None), ("data/events/e1.jsonl", 5, None), ("data/events/e1.jsonl", 6, None),
        ("data/events/e2.jsonl", 1, "10"), ("data/events/e3.jsonl", 1, "3"),
    })
    assert_reported(p, report, "things", {("data/things/t.json", None, "2"), ("data/things/t.json", None, None)})
    assert table_rows(hq, "events") == [
        (1, "k1", 1), (2, "k2", 2), (3, "k3", 33), (4, "k4", 4), (10, "k10", 10), (11, "k11", 11)]
    assert table_rows(hq, "things") == [(1, 1), (2, 2), (3, 3)]

    p.write("data/events/e1.jsonl", '{"event_id": 1, "kind": "k1", "n": 1}\n{"event_id": 3, "kind": "k3", "n": 33}\n'
                                    '{"event_id": 4, "kind": "k4", "n": 4}\n')
    p.write("data/events/e2.jsonl", '{"event_id": 10, "kind": "k10", "n": 100}\n'
                                    '{"event_id": 11, "kind": "k11", "n": 11}\n')
    p.remove("data/events/e3.jsonl")
    p.write("data/things/t.json", '[{"id": 1, "n": 1}, {"id": 3, "n": 3}]')
    report = p.refresh()
    assert_reported(p, report, "events", set())
    assert_reported(p, report, "things", set())
    assert table_rows(hq, "events") == [(1, "k1", 1), (3, "k3", 33), (4, "k4", 4), (10, "k10", 100), (11, "k11", 11)]
    assert table_rows(hq, "things") == [(1, 1), (3, 3)]


def doc(title: str, priority, body: str) -> str:
    return f"---\ntitle: {title}\npriority: {priority}\n---\n{body}\n"


BODIES = {
    "d1": "Cafeteria vendors are paid on net thirty terms.",
    "d2": "The disaster recovery plan is tested twice a year.",
    "d3": "Laptops must use full disk encryption.",
    "d4": "Travel above five hundred dollars needs approval.",
}


def test_bad_documents(project, embedder):
    p = project(CATALOG)
    for i, (k, text) in enumerate(BODIES.items(), start=1):
        p.write(f"docs/{k}.md", doc(f"Title {k}", i, text))
    hq = p.connect()
    assert not p.refresh().issues
    original = table_rows(hq, "docs")

    p.write("docs/d1.md", "---\ntitle: Caf\xe9\n---\nlatin-1 text\n".encode("latin-1"))
    p.write("docs/d2.md", doc("Big", 2, "word " * 1000))
    p.write("docs/d3.md", "---\ntitle: [unclosed\npriority: 3\n---\nbody\n")
    p.write("docs/d4.md", doc("Title d4", 4, "Travel above one thousand dollars needs approval."))
    p.write("docs/d5.md", doc("Title d5", "high", "Priority is not a number here."))
    p.write("docs/d6.md", doc("Title d6", 6, "Visitors sign in at the front desk."))
    report = p.refresh()
    issues = {i.file: i for i in report.tables["docs"].issues}
    assert set(issues) == {"docs/d1.md", "docs/d2.md", "docs/d3.md", "docs/d5.md"}
    assert issues["docs/d1.md"].line == 2 and "UTF-8" in issues["docs/d1.md"].message
    assert "max_file_bytes" in issues["docs/d2.md"].message
    assert issues["docs/d3.md"].line in (2, 3) and "front matter" in issues["docs/d3.md"].message
    assert issues["docs/d5.md"].key == "d5" and "priority" in issues["docs/d5.md"].message
    assert_reported(p, report, "docs", {(i.file, i.line, i.key) for i in issues.values()})
    t = report.tables["docs"]
    assert (t.inserted, t.updated, t.deleted, t.chunks_embedded) == (1, 1, 0, 2)
    rows = table_rows(hq, "docs")
    assert rows[:3] == original[:3]  # unreadable files keep their rows
    assert rows[3] == ("d4", "Title d4", 4, "Travel above one thousand dollars needs approval.")
    assert [r[0] for r in rows] == ["d1", "d2", "d3", "d4", "d6"]
    chunks = check_semantic(hq, "docs", "body", embedder)
    assert chunks["d1"] == [BODIES["d1"]] and chunks["d2"] == [BODIES["d2"]]
    top = hq.sql("SELECT doc_id FROM vector_search('docs.body', 'how often is disaster recovery tested', 1)").rows
    assert top == [("d2",)]

    p.write("docs/d1.md", doc("Café", 1, "Café vendors are paid on net sixty terms."))
    p.write("docs/d2.md", doc("Small", 2, "The recovery plan is tested every quarter."))
    p.write("docs/d3.md", doc("Fixed", 3, BODIES["d3"]))
    p.write("docs/d5.md", doc("Title d5", 5, "Priority is a number now."))
    report = p.refresh()
    assert_reported(p, report, "docs", set())
    t = report.tables["docs"]
    assert (t.inserted, t.updated, t.deleted, t.chunks_embedded) == (1, 3, 0, 3)
    assert table_rows(hq, "docs")[:3] == [
        ("d1", "Café", 1, "Café vendors are paid on net sixty terms."),
        ("d2", "Small", 2, "The recovery plan is tested every quarter."),
        ("d3", "Fixed", 3, BODIES["d3"])]
    check_semantic(hq, "docs", "body", embedder)


def test_touching_a_bad_file_keeps_its_problems(project):
    p = project(CATALOG)
    p.write("data/items/a.csv", "id,name,qty\n1,alpha,10\n2,beta,many\n")
    hq = p.connect()
    report = p.refresh()
    assert issues_of(report, "items") == {("data/items/a.csv", 3, None)}
    path = p.path("data/items/a.csv")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    p.refresh()
    assert stored_errors(hq, "items") == {("data/items/a.csv", 3, None)}
    assert len(status_errors(hq, "items")) == 1


def test_duplicate_key_comes_back_when_the_first_file_drops_it(project):
    p = project(CATALOG)
    p.write("data/events/a.jsonl", '{"event_id": 1, "kind": "from a", "n": 1}\n')
    p.write("data/events/b.jsonl", '{"event_id": 1, "kind": "from b", "n": 1}\n{"event_id": 2, "kind": "b", "n": 2}\n')
    hq = p.connect()
    report = p.refresh()
    assert issues_of(report, "events") == {("data/events/b.jsonl", 1, "1")}
    p.write("data/events/a.jsonl", "")
    p.refresh()
    assert table_rows(hq, "events") == [(1, "from b", 1), (2, "b", 2)]
    assert stored_errors(hq, "events") == set()


KEYLESS = """
version: 1
name: keyless
store: .store
sources:
  log: {kind: csv, path: "data/log/*.csv"}
tables:
  log:
    source: log
    columns:
      at: {type: DATE}
      message: {type: VARCHAR}
"""


def test_keyless_table_keeps_rows_of_an_unreadable_file(project):
    p = project(KEYLESS)
    p.write("data/log/a.csv", "at,message\n2024-01-01,started\n2024-01-02,stopped\n")
    p.write("data/log/b.csv", "at,message\n2024-02-01,started\n2024-02-01,started\n")
    hq = p.connect()
    assert not p.refresh().issues
    rows = fetch(hq, "SELECT * FROM log ORDER BY ALL")
    assert len(rows) == 4

    p.write("data/log/a.csv", "at\n2024-01-01\n")  # a column is missing: the file cannot be read
    p.write("data/log/b.csv", "at,message\n2024-02-01,started\n2024-02-03,resumed\n")
    report = p.refresh()
    assert issues_of(report, "log") == {("data/log/a.csv", 1, None)}
    assert fetch(hq, "SELECT * FROM log ORDER BY ALL") == [
        (dt.date(2024, 1, 1), "started"), (dt.date(2024, 1, 2), "stopped"),
        (dt.date(2024, 2, 1), "started"), (dt.date(2024, 2, 3), "resumed")]

    p.write("data/log/a.csv", "at,message\n2024-01-05,fixed\n")
    report = p.refresh()
    assert not report.issues
    assert fetch(hq, "SELECT * FROM log ORDER BY ALL") == [
        (dt.date(2024, 1, 5), "fixed"), (dt.date(2024, 2, 1), "started"), (dt.date(2024, 2, 3), "resumed")]
