"""HTTP JSON sources against a JSON API on loopback: pagination, headers from the environment,
and failures (a 500, a timeout, malformed JSON) that are reported while nothing stored is lost."""

from __future__ import annotations

import textwrap

import pytest

import hybridq

CATALOG = textwrap.dedent("""\
    version: 1
    name: api
    store: .hybridq/api
    sources:
      items_api:
        kind: http
        http:
          url: "{url}/items?page={{{{ page }}}}&size={{{{ limit }}}}"
          headers: {{Authorization: "Bearer {{{{ env.ITEMS_TOKEN }}}}"}}
          records: data.items
          pagination: {{style: page, size: 2}}
          timeout_seconds: 0.5
      events_api:
        kind: http
        http:
          url: "{url}/events{{% if cursor %}}?after={{{{ cursor }}}}{{% endif %}}"
          records: events
          pagination: {{style: cursor, next_path: next}}
    tables:
      items:
        source: items_api
        primary_key: id
        columns: {{id: INTEGER, name: VARCHAR, price: DOUBLE}}
      events:
        source: events_api
        primary_key: event_id
        columns: {{event_id: VARCHAR, kind: VARCHAR}}
    """)


def pages(records: list[dict], size: int = 2) -> dict:
    chunks = [records[i:i + size] for i in range(0, len(records), size)] or [[]]
    if len(chunks[-1]) == size:
        chunks.append([])
    return {f"/items?page={n}&size={size}": {"data": {"items": chunk}} for n, chunk in enumerate(chunks, start=1)}


ITEMS = [{"id": i, "name": f"item {i}", "price": i * 1.5} for i in range(1, 6)]


@pytest.fixture
def project(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ITEMS_TOKEN", "s3cret")
    (tmp_path / "catalog.yaml").write_text(CATALOG.format(url=api.url))
    api.pages.update(pages(ITEMS))
    api.pages["/events"] = {"events": [{"event_id": "a", "kind": "open"}], "next": "a"}
    api.pages["/events?after=a"] = {"events": [{"event_id": "b", "kind": "close"}], "next": None}
    return tmp_path / "catalog.yaml"


def items(hq) -> dict:
    return {r[0]: (r[1], r[2]) for r in hq.sql("SELECT id, name, price FROM items").rows}


def test_pages_and_cursor_with_secret_header_from_environment(project, api):
    with hybridq.connect(project) as hq:
        report = hq.refresh()
        assert report.issues == []
        assert items(hq) == {i["id"]: (i["name"], i["price"]) for i in ITEMS}
        item_requests = [r for r in api.requests if r["path"].startswith("/items")]
        assert [r["path"] for r in item_requests] == ["/items?page=1&size=2", "/items?page=2&size=2", "/items?page=3&size=2"]
        assert all(r["headers"]["Authorization"] == "Bearer s3cret" for r in item_requests)
        assert sorted(r[0] for r in hq.sql("SELECT event_id FROM events").rows) == ["a", "b"]
        # a second poll with the same answers writes nothing
        assert not hq.refresh().changed


@pytest.mark.parametrize("failure, message", [
    ("500", "HTTP 500"),
    ("slow", "no answer within 0.5s"),
    ("malformed", "not valid JSON"),
])
def test_failures_are_reported_and_lose_nothing(project, api, failure, message):
    with hybridq.connect(project) as hq:
        hq.refresh()
        stored = items(hq)
        changed = [dict(i, price=99.0) if i["id"] == 1 else i for i in ITEMS[:4]]  # 1 changed, 5 gone
        api.pages.clear()
        api.pages.update(pages(changed))
        api.fail["/items?page=2&size=2"] = failure
        report = hq.refresh(["items"])
        assert len(report.issues) == 1
        problem = report.issues[0][1]
        assert message in problem.message and "page 2 of" in problem.message
        assert "s3cret" not in problem.message
        assert items(hq) == stored  # a partial listing changes nothing
        status = hq.status().table("items")
        assert message in status.last_error and status.error_count == 1
        del api.fail["/items?page=2&size=2"]
        report = hq.refresh(["items"])
        assert report.issues == []
        assert items(hq) == {i["id"]: (i["name"], i["price"]) for i in changed}
        assert hq.status().table("items").error_count == 0


def test_bad_record_quarantined_rest_applied(project, api):
    with hybridq.connect(project) as hq:
        hq.refresh()
        records = ITEMS[:3] + [{"id": 4, "name": "item 4", "price": "free"}, "not an object"]
        api.pages.clear()
        api.pages.update(pages(records))
        report = hq.refresh(["items"])
        messages = sorted(i.format() for _, i in report.issues)
        assert any("(key 4): column price: cannot read 'free' as DOUBLE" in m for m in messages)
        assert any("record 5 is not an object" in m for m in messages)
        # the row with the bad value keeps its stored version; nothing is taken as deleted
        # while a record without a readable key is among the answers
        assert items(hq)[4] == ("item 4", 6.0) and 5 in items(hq)


def test_missing_environment_variable_is_a_source_problem(project, api, monkeypatch):
    monkeypatch.delenv("ITEMS_TOKEN")
    with hybridq.connect(project) as hq:
        report = hq.refresh(["items"])
        assert report.issues[0][1].message == "cannot read the source: environment variable ITEMS_TOKEN is not set"
        assert items(hq) == {}
