"""A refresh with no source change writes nothing and embeds nothing; touching files re-reads nothing."""

from __future__ import annotations

import os

from hybridq.refresh import sources
from refresh_helpers import fetch, lance_versions, refresh_count, table_rows

CATALOG = """
version: 1
name: noop
store: .store
sources:
  accounts: {kind: csv, path: data/accounts.csv}
  events:   {kind: jsonl, path: "data/events/*.jsonl"}
  notes:    {kind: documents, path: "notes/{account_id}/{note_id}.md"}
tables:
  accounts:
    source: accounts
    primary_key: account_id
    columns:
      account_id: {type: INTEGER}
      name: {type: VARCHAR}
  events:
    source: events
    primary_key: event_id
    columns:
      event_id: {type: INTEGER}
      account_id: {type: INTEGER}
      text: {type: TEXT, semantic: true}
  notes:
    source: notes
    primary_key: note_id
    columns:
      note_id: {type: VARCHAR}
      account_id: {type: INTEGER}
      body: {type: TEXT, semantic: true}
"""


def build(project):
    p = project(CATALOG)
    p.write("data/accounts.csv", "account_id,name\n1,Globex\n2,Initech\n")
    p.write("data/events/a.jsonl", '{"event_id": 1, "account_id": 1, "text": "login failures after the upgrade"}\n'
                                   '{"event_id": 2, "account_id": 2, "text": "invoice paid late"}\n')
    p.write("data/events/b.jsonl", '{"event_id": 3, "account_id": 1, "text": "exported the quarterly report"}\n')
    p.write("notes/1/n1.md", "---\n---\nKickoff call went well; they want SSO next.\n")
    p.write("notes/2/n2.md", "Renewal is at risk because of the price increase.\n")
    p.connect()
    report = p.refresh()
    assert report.changed and report.embedded == 5 and not report.issues
    return p


def state(hq):
    return ({t: table_rows(hq, t) for t in hq.catalog.tables}, lance_versions(hq), refresh_count(hq),
            fetch(hq, "SELECT * FROM _hq.vectors ORDER BY ALL"))


def test_second_refresh_changes_nothing(project):
    p = build(project)
    before = state(p.hq)
    report = p.refresh()
    assert not report.changed and report.refresh_id is None
    assert report.embedded == 0 and p.embedder.calls == 0
    assert report.summary() == "no changes"
    assert state(p.hq) == before
    # also from a new session on the same store
    p.connect()
    report = p.refresh()
    assert not report.changed and p.embedder.calls == 0
    assert state(p.hq) == before


def test_touched_files_are_not_read(project, monkeypatch):
    p = build(project)
    before = state(p.hq)
    reads = []
    for kind, reader in list(sources.READERS.items()):
        def counting(ctx, files, _reader=reader):
            reads.extend(files)
            return _reader(ctx, files)
        monkeypatch.setitem(sources.READERS, kind, counting)
    for rel in ("data/accounts.csv", "data/events/a.jsonl", "notes/1/n1.md", "notes/2/n2.md"):
        path = p.path(rel)
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    p.write("data/events/b.jsonl", p.path("data/events/b.jsonl").read_text())  # rewritten, same bytes

    report = p.refresh()
    assert reads == []
    assert p.embedder.calls == 0 and report.embedded == 0
    assert all(t.inserted == t.updated == t.deleted == 0 for t in report.tables.values())
    data, versions, _, vectors = state(p.hq)
    assert (data, versions, vectors) == (before[0], before[1], before[3])
    stored = dict(fetch(p.hq, "SELECT path, mtime_ns FROM _hq.files WHERE table_name = 'notes'"))
    assert stored["notes/1/n1.md"] == p.path("notes/1/n1.md").stat().st_mtime_ns  # new stat remembered

    after_touch = state(p.hq)
    report = p.refresh()  # the new mtimes were recorded: nothing is even hashed again
    assert not report.changed and reads == [] and p.embedder.calls == 0
    assert state(p.hq) == after_touch
