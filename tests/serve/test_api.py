"""The HTTP API end to end on loopback: every route, JSON and Arrow, parameters, API keys and roles
(401/403), and bad requests answered with a clear 4xx while the server stays up."""

from __future__ import annotations

import json
import socket

import pyarrow as pa
import pytest

from hybridq.serve import wire


def arrow_of(response) -> pa.Table:
    assert response.headers["content-type"] == wire.ARROW
    return wire.arrow_table(response.content)


def test_sql_json_and_arrow_match_the_session(http, acme):
    query = "SELECT customer_id, name, signup_date, employees FROM customers ORDER BY customer_id LIMIT 5"
    expected = acme.sql(query)
    owner = http(owner=True)
    as_json = owner.post("/v1/sql", json={"sql": query})
    assert as_json.status_code == 200, as_json.text
    body = as_json.json()
    assert body["columns"] == expected.columns
    assert body["rows"] == [[r[0], r[1], str(r[2]), r[3]] for r in expected.rows]
    assert body["snapshot"]["refresh_id"] == expected.snapshot.refresh_id
    as_arrow = owner.post("/v1/sql", json={"sql": query}, headers={"Accept": wire.ARROW})
    table = arrow_of(as_arrow)
    assert table.equals(expected.to_arrow())  # types survive: DATE stays a date
    assert json.loads(as_arrow.headers[wire.SNAPSHOT_HEADER]) == expected.snapshot.to_dict()


def test_sql_parameters(http, acme):
    owner = http(owner=True)
    response = owner.post("/v1/sql", json={"sql": "SELECT count(*) AS n FROM customers WHERE segment = ?",
                                           "params": ["Enterprise"]})
    assert response.status_code == 200, response.text
    expected = acme.sql("SELECT count(*) FROM customers WHERE segment = 'Enterprise'").rows[0][0]
    assert response.json()["rows"] == [[expected]] and expected > 0
    named = owner.post("/v1/sql", json={"sql": "SELECT count(*) AS n FROM customers WHERE region = $r",
                                        "params": {"r": "EMEA"}})
    assert named.json()["rows"] == [[acme.sql("SELECT count(*) FROM customers WHERE region = 'EMEA'").rows[0][0]]]


def test_a_roles_policies_apply_to_queries_with_parameters(http, acme, roles_session):
    """Plain and semantic queries with parameters, over HTTP and in-process: the role's row filter
    and hidden columns hold as for the same query without them."""
    emea = http("regional_emea")
    count = "SELECT count(*) AS n FROM customers WHERE segment = ?"
    mine = acme.sql("SELECT count(*) FROM customers WHERE segment = 'Enterprise' AND region = 'EMEA'").rows[0][0]
    assert 0 < mine < acme.sql(count, ["Enterprise"]).rows[0][0]
    assert emea.post("/v1/sql", json={"sql": count, "params": ["Enterprise"]}).json()["rows"] == [[mine]]
    scoped = roles_session.as_role("regional", {"region": "EMEA"})
    assert scoped.sql(count, ["Enterprise"]).rows == [(mine,)]
    assert scoped.sql("SELECT count(*) FROM customers WHERE segment = $s", {"s": "Enterprise"}).rows == [(mine,)]
    visible = {r[0] for r in acme.sql("SELECT t.ticket_id FROM tickets t JOIN customers c USING (customer_id) "
                                      "WHERE c.region = 'EMEA'").rows}
    ranked = "SELECT ticket_id, similarity(body, ?) AS s FROM tickets ORDER BY s DESC LIMIT 5"
    found = emea.post("/v1/sql", json={"sql": ranked, "params": ["refund delays"]}).json()["rows"]
    assert len(found) == 5 and {r[0] for r in found} <= visible
    assert [list(r) for r in scoped.sql(ranked, ["refund delays"]).rows] == found
    assert [r[0] for r in found] == [r[0] for r in acme.sql(
        "SELECT t.ticket_id, similarity(t.body, 'refund delays') AS s FROM tickets t JOIN customers c "
        "USING (customer_id) WHERE c.region = 'EMEA' ORDER BY s DESC LIMIT 5").rows]
    plan = emea.post("/v1/explain", json={"sql": ranked, "params": ["refund delays"]}).json()
    assert plan["steps"] and "EMEA" not in plan["rewritten"]  # the policy is applied, not shown
    hidden = emea.post("/v1/sql", json={"sql": "SELECT health_score FROM customers WHERE region = ?",
                                        "params": ["EMEA"]})
    assert hidden.status_code == 403 and "health_score" in hidden.json()["detail"]


def test_query_limits_hold_through_the_api(http, roles_session):
    """Size, nesting and time limits of a session hold for requests, the owner's and a role's."""
    from hybridq.sql.parse import MAX_NESTING, MAX_QUERY_CHARS

    for client in (http(owner=True), http("regional_emea")):
        long_sql = client.post("/v1/sql", json={"sql": "SELECT " + " + ".join(["1"] * (MAX_QUERY_CHARS // 4 + 1))})
        assert long_sql.status_code == 400 and f"the limit is {MAX_QUERY_CHARS:,}" in long_sql.json()["detail"]
        deep = client.post("/v1/sql", json={"sql": "SELECT " + "(" * 100 + "1" + ")" * 100})
        assert deep.status_code == 400 and f"the limit is {MAX_NESTING}" in deep.json()["detail"]
    saved = roles_session.query_timeout
    roles_session.query_timeout = 0.5
    try:
        for client in (http(owner=True), http("regional_emea")):
            slow = client.post("/v1/sql", json={"sql": "SELECT sum(a) FROM range(?) AS t(a)", "params": [10 ** 13]})
            assert slow.status_code == 408 and slow.json()["title"] == "QueryTimeout", slow.text
    finally:
        roles_session.query_timeout = saved
    assert http(owner=True).post("/v1/sql", json={"sql": "SELECT 1 AS one"}).json()["rows"] == [[1]]


def test_semantic_sql_explain_retrieve_ask(http, acme):
    owner = http(owner=True)
    query = "SELECT ticket_id, similarity(body, 'refund delays') AS s FROM tickets ORDER BY s DESC LIMIT 3"
    rows = owner.post("/v1/sql", json={"sql": query}).json()["rows"]
    assert rows == [list(r) for r in acme.sql(query).rows]
    plan = owner.post("/v1/explain", json={"sql": query}).json()
    assert plan["semantic"] and plan["steps"][0]["strategy"]
    found = owner.post("/v1/retrieve", json={"column": "kb_articles.body", "text": "reset a password", "k": 3,
                                             "columns": ["title"]})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["columns"] == ["article_id", "title", "_score", "_chunk"] and len(body["rows"]) == 3
    reference = acme.sql("SELECT article_id, _score FROM vector_search('kb_articles.body', 'reset a password', 3)")
    assert [r[0] for r in body["rows"]] == [r[0] for r in reference.rows]
    assert body["snapshot"]["refresh_id"] == reference.snapshot.refresh_id
    answer = owner.post("/v1/ask", json={"question": "how many enterprise customers are there"}).json()
    assert not answer["refused"] and answer["rows"] == [list(r) for r in acme.sql(answer["sql"]).rows]
    assert "enterprise" in answer["explanation"].lower()
    refusal = owner.post("/v1/ask", json={"question": "how many zorblatts frobnicated"}).json()
    assert refusal["refused"] and refusal["unplaced"]


def test_status_catalog_health_refresh_and_openapi(http):
    owner = http(owner=True)
    status = owner.get("/v1/status").json()
    assert {t["table"] for t in status["tables"]} >= {"customers", "tickets"} and status["alerts"] == []
    assert wire.status_from_json(status).table("customers").rows == status["tables"][0]["rows"] > 0
    catalog = owner.get("/v1/catalog").json()
    assert "health_score" in catalog["tables"]["customers"]["columns"] and catalog["glossary"]
    assert http().get("/v1/health").json()["status"] == "ok"  # no credentials needed
    report = owner.post("/v1/refresh", json={"tables": ["kb_articles"]})
    assert report.status_code == 200 and report.json()["refresh_id"] is None  # nothing changed
    spec = http().get("/openapi.json").json()
    assert {"/v1/sql", "/v1/ask", "/v1/retrieve", "/v1/explain", "/v1/refresh", "/v1/status", "/v1/catalog"} <= set(spec["paths"])


# -- who may ask ---------------------------------------------------------------------------------


def test_unknown_or_missing_key_is_401(http, server):
    for client in (http(), ):
        response = client.post("/v1/sql", json={"sql": "SELECT 1"})
        assert response.status_code == 401
        assert response.headers["content-type"] == wire.PROBLEM
        assert "API key" in response.json()["detail"]
    import httpx

    bad = httpx.post(f"{server[0]}/v1/sql", json={"sql": "SELECT 1"}, headers={"Authorization": "Bearer hq_nope"},
                     trust_env=False)
    assert bad.status_code == 401 and bad.json()["detail"] == "unknown API key"
    wrong_token = httpx.get(f"{server[0]}/v1/status", headers={"X-Hybridq-Token": "guess"}, trust_env=False)
    assert wrong_token.status_code == 401


def test_role_sees_its_rows_and_columns_only(http, acme):
    emea = http("regional_emea")
    everyone = acme.sql("SELECT count(*) FROM customers").rows[0][0]
    mine = acme.sql("SELECT count(*) FROM customers WHERE region = 'EMEA'").rows[0][0]
    assert 0 < mine < everyone
    assert emea.post("/v1/sql", json={"sql": "SELECT count(*) FROM customers"}).json()["rows"] == [[mine]]
    star = emea.post("/v1/sql", json={"sql": "SELECT * FROM customers LIMIT 1"}).json()
    assert "health_score" not in star["columns"] and "account_manager" not in star["columns"]
    catalog = emea.get("/v1/catalog").json()
    assert set(catalog["tables"]) == {"customers", "tickets", "contracts", "kb_articles"}
    assert "health_score" not in catalog["tables"]["customers"]["columns"]
    apac = http("regional_apac").post("/v1/sql", json={"sql": "SELECT DISTINCT region FROM customers"}).json()
    assert apac["rows"] == [["APAC"]]


@pytest.mark.parametrize("sql, message", [
    ("SELECT health_score FROM customers", "column customers.health_score is not visible to role 'regional'"),
    ("SELECT c.account_manager FROM customers AS c", "column customers.account_manager is not visible"),
    ("SELECT count(*) FROM invoices", "table invoices is not visible to role 'regional'"),
    ("SELECT * FROM vector_search('subscriptions.plan', 'x', 3)", "table subscriptions is not visible"),
])
def test_forbidden_table_or_column_is_403(http, sql, message):
    response = http("regional_emea").post("/v1/sql", json={"sql": sql})
    assert response.status_code == 403, response.text
    problem = response.json()
    assert message in problem["detail"] and problem["title"] == "AccessDenied" and problem["hint"]


def test_operations_beyond_reading_need_the_role_to_allow_them(http):
    assert http("regional_emea").get("/v1/status").status_code == 403
    assert http("analyst").get("/v1/status").status_code == 200
    assert http("analyst").post("/v1/refresh", json={}).status_code == 403
    assert http("operator").post("/v1/refresh", json={"tables": ["kb_articles"]}).status_code == 200
    assert http("analyst").post("/v1/watch", json={}).status_code == 403  # the store's user only
    assert http("analyst").post("/v1/shutdown", json={}).status_code == 403


def test_a_key_without_the_attribute_its_policy_needs_is_refused(http):
    response = http("regional_nobody").post("/v1/sql", json={"sql": "SELECT count(*) FROM customers"})
    assert response.status_code == 403 and "needs the caller's 'region'" in response.json()["detail"]


# -- bad requests: a clear 4xx, and the server stays up ------------------------------------------


def raw(server, data: bytes, wait: float = 30) -> bytes:
    """What the server answers to these bytes, read until it closes the connection (or `wait` passes)."""
    host, port = server[0].removeprefix("http://").split(":")
    chunks = []
    with socket.create_connection((host, int(port)), timeout=wait) as s:
        s.sendall(data)
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


@pytest.mark.parametrize("body, status, detail", [
    (b"{not json", 400, "not valid JSON"),
    (b'{"sql": 1}', 400, "sql"),
    (b"{}", 400, "missing field 'sql'"),
    (b'{"sql": "SELECT 1", "extra": 1}', 400, "unknown field 'extra'"),
    (b'{"sql": "SELECT 1; DROP TABLE customers"}', 400, "expected one statement"),
    (b'{"sql": "COPY customers TO \'/tmp/x.csv\'"}', 400, "COPY statements are not allowed"),
    (b'{"sql": "SELECT * FROM read_csv(\'/etc/passwd\')"}', 400, "not allowed"),
])
def test_bad_sql_requests(server, body, status, detail):
    import httpx

    response = httpx.post(f"{server[0]}/v1/sql", content=body, trust_env=False,
                          headers={"X-Hybridq-Token": server[1], "Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == wire.PROBLEM and detail in response.json()["detail"]
    assert httpx.get(f"{server[0]}/v1/health", trust_env=False).status_code == 200


def test_huge_body_long_question_and_unknown_route(server, http):
    owner = http(owner=True)
    huge = owner.post("/v1/sql", content=b'{"sql": "' + b"x" * 2_000_000 + b'"}',
                      headers={"Content-Type": "application/json"})
    assert huge.status_code == 413 and "larger than" in huge.json()["detail"]
    long_question = owner.post("/v1/ask", json={"question": "why " * 1000})
    assert long_question.status_code == 400 and "question" in long_question.json()["detail"]
    missing = owner.post("/v1/retrieve", json={"text": "x"})
    assert missing.status_code == 400 and "missing field 'column'" in missing.json()["detail"]
    bad_k = owner.post("/v1/retrieve", json={"column": "kb_articles.body", "text": "x", "k": 0})
    assert bad_k.status_code == 400
    nowhere = owner.get("/v1/nowhere")
    assert nowhere.status_code == 404 and nowhere.headers["content-type"] == wire.PROBLEM
    assert owner.get("/v1/health").status_code == 200


def status_of(response: bytes) -> int:
    assert response.startswith(b"HTTP/1.1 "), response[:200]
    return int(response.split()[1])


def test_wrong_content_length_gets_a_4xx_and_the_server_stays_up(server):
    import httpx

    head = b"POST /v1/sql HTTP/1.1\r\nHost: x\r\nX-Hybridq-Token: " + server[1].encode() + \
        b"\r\nContent-Type: application/json\r\nConnection: close\r\n"
    body = b'{"sql": "SELECT 1"}'
    shorter = raw(server, head + b"Content-Length: 9\r\n\r\n" + body)
    assert status_of(shorter) == 400 and b"not valid JSON" in shorter
    not_a_number = raw(server, head + b"Content-Length: abc\r\n\r\n" + body)
    assert status_of(not_a_number) == 400
    # a body that ends before its announced length: the request is incomplete, nothing is run
    assert raw(server, head + b"Content-Length: 400\r\n\r\n" + body, wait=1) == b""
    assert httpx.get(f"{server[0]}/v1/health", trust_env=False).status_code == 200
    ok = raw(server, head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    assert status_of(ok) == 200


def test_without_keys_only_requests_naming_this_machine_are_answered(roles_session):
    """A server without API keys (loopback only) refuses requests addressed to another host name,
    as a web page using DNS rebinding would send them."""
    import httpx

    from hybridq.serve.app import create_app
    from hybridq.serve.server import AppServer, listening_socket

    sock = listening_socket("127.0.0.1", 0)
    running = AppServer(create_app(roles_session, anonymous=True, mcp=False), [sock])
    running.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1/sql"
    try:
        ok = httpx.post(url, json={"sql": "SELECT 1 AS one"}, trust_env=False)
        assert ok.status_code == 200 and ok.json()["rows"] == [[1]]
        named = httpx.post(url, json={"sql": "SELECT 1"}, headers={"Host": "localhost:1234"}, trust_env=False)
        assert named.status_code == 200
        rebound = httpx.post(url, json={"sql": "SELECT 1"}, headers={"Host": "attacker.example:80"}, trust_env=False)
        assert rebound.status_code == 401 and "addressed to this machine" in rebound.json()["detail"]
    finally:
        running.stop()
