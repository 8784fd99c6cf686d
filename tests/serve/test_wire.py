"""One serialisation for the local and the remote path: every type that crosses the wire comes back
equal after encoding (as the server does) and decoding (as RemoteSession does)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hybridq.catalog.validate import validate_text
from hybridq.errors import AccessDenied, CatalogError, ForbiddenStatement, HybridqError, QueryTimeout, SQLError, Where
from hybridq.refresh.report import RefreshReport, TableReport
from hybridq.refresh.sources.base import RowIssue
from hybridq.serve import wire


def through_json(payload):
    """What the other side reads: the bytes the server writes, parsed."""
    return json.loads(wire.dumps(payload))


def test_result_as_arrow_keeps_rows_types_and_stamp(acme):
    result = acme.sql("SELECT t.ticket_id, t.created_at, similarity(t.body, 'refund') AS s "
                      "FROM tickets t ORDER BY s DESC LIMIT 4")
    content, headers = wire.result_arrow(result)
    back = wire.result_from_arrow(content, {k.lower(): v for k, v in headers.items()}, result.sql)
    assert back.to_arrow().equals(result.to_arrow())
    assert back.snapshot == result.snapshot and back.sql == result.sql


def test_result_as_json_keeps_rows_and_stamp(acme):
    result = acme.sql("SELECT customer_id, name, signup_date, is_active FROM customers ORDER BY 1 LIMIT 3")
    back = wire.result_from_json(through_json(wire.result_json(result)))
    assert back.columns == result.columns and back.snapshot == result.snapshot
    assert back.rows == [(r[0], r[1], str(r[2]), r[3]) for r in result.rows]  # JSON has no dates: their text
    assert len(back) == 3 and back.to_dicts()[0]["name"] == result.rows[0][1]


def test_json_has_no_nan_and_no_unknown_types():
    payload = {"x": float("nan"), "y": [float("inf"), 1.5], "d": dt.date(2024, 1, 2), "b": b"\x00"}
    assert through_json(payload) == {"x": None, "y": [None, 1.5], "d": "2024-01-02", "b": "AA=="}


def test_plan_round_trip(acme):
    plan = acme.explain("SELECT ticket_id FROM tickets WHERE semantic_match(body, 'refund') AND priority = 'urgent'")
    back = wire.plan_from_json(through_json(plan.to_dict()))
    assert back == plan and str(back) == str(plan)


def test_refresh_report_round_trip_with_issues():
    report = RefreshReport(dt.datetime(2026, 1, 2, 3, 4, 5), 1.25, 7, {
        "tickets": TableReport("tickets", "tickets", files_read=2, inserted=3, updated=1, deleted=1, chunks_embedded=9,
                               chunks_reused=2, issues=[RowIssue(file="t.jsonl", line=4, key="17", message="bad date")])})
    back = wire.report_from_json(through_json(report.to_dict()))
    assert back == report and back.summary() == report.summary()


def test_status_round_trip(acme):
    status = acme.status()
    assert wire.status_from_json(through_json(wire.status_json(status))) == status


def test_answer_refusal_and_clarification_round_trip(acme):
    answer = acme.ask("how many enterprise customers are there")
    assert not answer.refused
    back = wire.answer_from_json(through_json(wire.answer_json(answer, arrow=True)))
    assert back.sql == answer.sql and back.links == answer.links and back.explain() == answer.explain()
    assert back.result.to_arrow().equals(answer.result.to_arrow()) and back.as_of == answer.as_of
    refusal = acme.ask("how many zorblatts frobnicated last quarter")
    assert refusal.refused
    back = wire.answer_from_json(through_json(wire.answer_json(refusal)))
    assert (back.refused, back.reason, back.unplaced, back.suggestions) == (
        refusal.refused, refusal.reason, refusal.unplaced, refusal.suggestions)
    assert back.explain() == refusal.explain()
    if hasattr(answer, "options"):  # clarifications: the readings travel with their SQL
        ambiguous = acme.ask("customers by status")
        back = wire.answer_from_json(through_json(wire.answer_json(ambiguous)))
        assert back.to_dict() == ambiguous.to_dict()


@pytest.mark.parametrize("error", [
    SQLError("unknown column 'nme'", where=Where(sql="SELECT nme FROM t", start=7, end=10), hint="did you mean name?"),
    ForbiddenStatement("DROP statements are not allowed", where=Where(sql="DROP TABLE t", start=0, end=4)),
    QueryTimeout("the query ran longer than 1 s"),
    AccessDenied("column customers.health_score is not visible to role 'r'", hint="columns: ..."),
    HybridqError("plain"),
])
def test_errors_round_trip(error):
    problem = through_json(wire.problem(error))
    assert problem["status"] == wire.error_status(error) and problem["detail"] == error.message
    back = wire.error_from_problem(problem["status"], problem)
    assert type(back) is type(error) and str(back) == str(error) and back.where == error.where


def test_catalog_error_round_trip_keeps_every_issue():
    result = validate_text("version: 1\nname: x\ntables:\n  t: {source: nope, columns: {a: INTEGR}}\n", "c.yaml")
    error = CatalogError(result.issues, file="c.yaml")
    assert len(error.issues) >= 2
    back = wire.error_from_problem(400, through_json(wire.problem(error)))
    assert isinstance(back, CatalogError)
    assert [i.format() for i in back.issues] == [i.format() for i in error.issues]


def test_non_problem_answers_become_owner_errors():
    from hybridq.errors import OwnerError

    assert isinstance(wire.error_from_problem(502, None), OwnerError)
    assert "answered 502" in str(wire.error_from_problem(502, {"detail": "bad gateway"}))


def test_connections_send_small_responses_at_once():
    """Accepted connections have Nagle's algorithm off: a response written in two parts (headers,
    then body) otherwise waits for the client's delayed acknowledgement, 40 ms per request."""
    import socket

    from hybridq.serve.server import LOOPBACK, listening_socket

    server = listening_socket(LOOPBACK, 0)
    client = socket.create_connection(server.getsockname())
    accepted, _ = server.accept()
    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        for s in (accepted, client, server):
            s.close()
