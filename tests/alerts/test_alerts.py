"""Standing queries end to end with the real model: a new enterprise ticket mentioning a data breach
alerts exactly once, an edit that no longer matches is a removal, a restart does not alert again,
a webhook failing 3 times then succeeding delivers once, and it never holds up a refresh."""

from __future__ import annotations

import json
import textwrap
import threading
import time
from pathlib import Path

import pytest

import hybridq
from hybridq.errors import CatalogError

from tests.sources.conftest import wait_for

CATALOG = textwrap.dedent("""\
    version: 1
    name: support
    sources:
      customers: {{kind: csv, path: customers.csv}}
      tickets: {{kind: jsonl, path: tickets.jsonl, refresh: {{mode: watch, debounce_ms: 10}}}}
    tables:
      customers:
        source: customers
        primary_key: customer_id
        columns: {{customer_id: INTEGER, name: VARCHAR, segment: VARCHAR}}
      tickets:
        source: tickets
        primary_key: ticket_id
        columns:
          ticket_id: INTEGER
          customer_id: INTEGER
          subject: VARCHAR
          body: {{type: TEXT, semantic: {{threshold: 0.5}}}}
    relationships:
      - {{from: tickets.customer_id, to: customers.customer_id}}
    glossary:
      - {{term: enterprise customer, kind: filter, sql: "customers.segment = 'Enterprise'"}}
    alerts:
      - name: enterprise_breach
        sql: >-
          SELECT t.ticket_id, c.name, t.subject FROM tickets t JOIN customers c USING (customer_id)
          WHERE c.segment = 'Enterprise' AND semantic_match(t.body, 'data breach')
        key: ticket_id
        notify:
          - stdout: true
          - file: alerts/breach.jsonl
          - webhook: "{hook}/hook"
            headers: {{Authorization: "Bearer {{{{ env.HOOK_TOKEN }}}}"}}
            backoff_seconds: 0.3
    """)

TICKETS = [
    {"ticket_id": 1, "customer_id": 1, "subject": "Invoice", "body": "The invoice total is wrong for March."},
    {"ticket_id": 2, "customer_id": 2, "subject": "Login", "body": "Login fails with a timeout after the upgrade."},
]
BREACH = "We suspect a data breach: customer records were exposed to outsiders."


def write_tickets(root: Path, tickets: list[dict]) -> None:
    (root / "tickets.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tickets))


@pytest.fixture
def support(tmp_path, api, monkeypatch):
    monkeypatch.setenv("HOOK_TOKEN", "hook-secret")
    (tmp_path / "customers.csv").write_text("customer_id,name,segment\n1,Acme,Enterprise\n2,Tiny,SMB\n")
    write_tickets(tmp_path, TICKETS)
    (tmp_path / "catalog.yaml").write_text(CATALOG.format(hook=api.url))
    return tmp_path


def alert_lines(root: Path) -> list[dict]:
    path = root / "alerts" / "breach.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_breach_alert_once_removal_restart_and_webhook_retries(support, api, embedder):
    seen = []
    with hybridq.connect(support / "catalog.yaml", embedder=embedder) as hq:
        hq.refresh()  # the first evaluation records a baseline and alerts nothing
        subscription = hq.subscribe(
            "SELECT ticket_id FROM tickets WHERE semantic_match(body, 'data breach')", seen.append, key=["ticket_id"])
        assert alert_lines(support) == [] and seen == []

        api.hook_failures = 3
        api.hook_gate.clear()  # the webhook does not answer until the refresh is over
        write_tickets(support, TICKETS + [
            {"ticket_id": 10, "customer_id": 1, "subject": "Security", "body": BREACH},
            {"ticket_id": 11, "customer_id": 2, "subject": "Security", "body": BREACH},  # not enterprise
        ])
        hq.refresh()
        assert api.accepted == []  # the refresh did not wait for the webhook
        api.hook_gate.set()
        lines = alert_lines(support)
        assert len(lines) == 1
        assert lines[0]["alert"] == "enterprise_breach" and lines[0]["removed"] == []
        assert lines[0]["added"] == [{"ticket_id": 10, "name": "Acme", "subject": "Security"}]
        assert [sorted(r["ticket_id"] for r in c.added) for c in seen] == [[10, 11]]

        wait_for(lambda: api.accepted, timeout=30)
        posts = [r for r in api.requests if r["path"] == "/hook"]
        assert len(posts) == 4 and len(api.accepted) == 1  # 3 failures, then delivered once
        assert {p["headers"]["Idempotency-Key"] for p in posts} == {lines[0]["id"]}
        assert api.accepted[0]["headers"]["Authorization"] == "Bearer hook-secret"
        assert api.accepted[0]["body"] == lines[0]

        status = {a.name: a for a in hq.status().alerts}
        breach = status["enterprise_breach"]
        assert (breach.last_added, breach.last_removed, breach.rows, breach.pending_deliveries) == (1, 0, 1, 0)
        assert breach.tables == ["customers", "tickets"] and breach.last_change is not None

        # the ticket is edited so that it no longer matches: a removal
        write_tickets(support, TICKETS + [
            {"ticket_id": 10, "customer_id": 1, "subject": "Security", "body": "Please reset my password."},
            {"ticket_id": 11, "customer_id": 2, "subject": "Security", "body": BREACH},
        ])
        hq.refresh()
        lines = alert_lines(support)
        assert len(lines) == 2 and lines[1]["added"] == [] and [r["ticket_id"] for r in lines[1]["removed"]] == [10]
        assert [r["ticket_id"] for r in seen[1].removed] == [10]
        wait_for(lambda: len(api.accepted) == 2, timeout=30)
        subscription.cancel()

    # a restart evaluates again and finds the result it stored: nothing is repeated
    with hybridq.connect(support / "catalog.yaml", embedder=embedder) as hq:
        hq.refresh()
        (support / "customers.csv").write_text("customer_id,name,segment\n1,Acme,Enterprise\n2,Tiny,Enterprise\n")
        hq.refresh()  # Tiny becomes an enterprise customer: its breach ticket now matches
        lines = alert_lines(support)
        assert len(lines) == 3 and [r["ticket_id"] for r in lines[2]["added"]] == [11]
        wait_for(lambda: len(api.accepted) == 3, timeout=30)
    with hybridq.connect(support / "catalog.yaml", embedder=embedder) as hq:
        hq.refresh()
        time.sleep(0.5)
    assert len(alert_lines(support)) == 3 and len(api.accepted) == 3


def test_watch_mode_prints_alerts(support, embedder):
    lines, stop, ready = [], threading.Event(), threading.Event()
    with hybridq.connect(support / "catalog.yaml", embedder=embedder) as hq:
        hq.refresh()
        watcher = threading.Thread(target=hq.watch, kwargs={"stop": stop, "ready": ready.set, "log": lines.append})
        watcher.start()
        try:
            assert ready.wait(60)
            write_tickets(support, TICKETS + [{"ticket_id": 12, "customer_id": 1, "subject": "Leak", "body": BREACH}])
            printed = wait_for(lambda: [line for line in lines if line.startswith("alert enterprise_breach: +1 -0")])
            assert '"ticket_id": 12' in printed[0]
        finally:
            stop.set()
            watcher.join(30)


def test_question_alert_is_composed_or_a_catalog_error(support, embedder):
    catalog = support / "catalog.yaml"
    text = catalog.read_text()
    start = text.index("    sql: >-")
    end = text.index("    key: ticket_id")
    catalog.write_text(text[:start] + "    question: tickets of enterprise customers mentioning a data breach\n"
                       + text[end:])
    with hybridq.connect(catalog, embedder=embedder) as hq:
        hq.refresh()
        (alert,) = hq.status().alerts
        assert "semantic_match(tickets.body, 'data breach')" in alert.sql.lower()
        assert "customers.segment = 'enterprise'" in alert.sql.lower()
    catalog.write_text(catalog.read_text().replace("tickets of enterprise customers mentioning a data breach",
                                                   "purple elephants dancing"))
    with hybridq.connect(catalog, embedder=embedder) as hq:
        with pytest.raises(CatalogError) as caught:
            hq.refresh()
    (issue,) = caught.value.issues
    assert issue.path == "alerts[0].question"
    assert "the question is not answered: no table, column or term of the catalog" in issue.message
    assert issue.line == catalog.read_text()[: catalog.read_text().index("question:")].count("\n") + 1


def test_failing_callback_is_reported_not_raised(support, embedder):
    def broken(change):
        raise RuntimeError("callback bug")

    with hybridq.connect(support / "catalog.yaml", embedder=embedder) as hq:
        hq.refresh()
        hq.subscribe("SELECT ticket_id, subject FROM tickets", broken, key=["ticket_id"], name="all_tickets")
        write_tickets(support, TICKETS[:1])
        hq.refresh()  # does not raise
        status = {a.name: a for a in hq.status().alerts}["all_tickets"]
        assert "callback failed: RuntimeError: callback bug" in status.last_error
        assert status.last_removed == 1 and status.rows == 1
