"""Semantic functions return exact cosine scores: each query is checked against a brute-force
reference computed with numpy from the chunks and vectors of the Lance version the query pinned,
read straight from the Lance dataset, and the query text embedded by the test's own model; on the
DuckDB engine and on Daft's native runner alike.
"""

from __future__ import annotations

import pytest

from sql_helpers import Chunks, assert_ranking

REFUND = "we were charged twice, please refund the duplicate payment"
SLOW = "the dashboard is slow and queries time out"
TERMINATION = "the customer may terminate the agreement early for convenience"


@pytest.fixture(scope="module", params=["duckdb", "daft"])
def acme(request, acme, acme_catalog, embedder):
    """Every test here runs on the default engine and on Daft's native runner: the same store."""
    if request.param == "duckdb":
        yield acme
        return
    import hybridq

    with hybridq.connect(acme_catalog, embedder=embedder, engine="daft") as on_daft:
        yield on_daft


@pytest.fixture(scope="module")
def tickets(acme):
    return Chunks(acme, "tickets", "body")


@pytest.fixture(scope="module")
def contracts(acme):
    return Chunks(acme, "contracts", "body")


def reference(chunks: Chunks, embedder, text: str) -> dict:
    """key -> exact score: the best cosine over the key's chunks."""
    return {key: score for key, (score, _, _) in chunks.scores(embedder.embed([text])[0]).items()}


def keys_of(acme, sql: str) -> set:
    return {row[0] for row in acme.sql(sql).rows}


def pinned(result, table: str) -> int:
    return result.snapshot.lance_versions[(table, "body")]


def test_reference_reads_the_pinned_version(acme, tickets, contracts):
    result = acme.sql("SELECT count(*) FROM tickets")
    assert pinned(result, "tickets") == tickets.version
    assert pinned(result, "contracts") == contracts.version
    assert set(tickets.keys) == keys_of(acme, "SELECT ticket_id FROM tickets")


def test_top10_whole_table(acme, embedder, tickets):
    result = acme.sql(f"SELECT ticket_id, similarity(body, '{REFUND}') AS s FROM tickets ORDER BY s DESC, ticket_id LIMIT 10")
    assert pinned(result, "tickets") == tickets.version
    assert_ranking(result.rows, reference(tickets, embedder, REFUND), k=10)


def test_every_row_without_limit(acme, embedder, tickets):
    rows = acme.sql(f"SELECT ticket_id, similarity(body, '{SLOW}') AS s FROM tickets ORDER BY s DESC, ticket_id").rows
    assert len(rows) == 325
    assert_ranking(rows, reference(tickets, embedder, SLOW))


@pytest.mark.parametrize("condition", [
    "priority = 'urgent'",                                        # a quarter of the rows
    "customer_id IN (3, 18, 27)",                                 # few rows: only they are scored
    "created_at >= TIMESTAMP '2025-01-01' AND channel <> 'email'",
    "status = 'closed' OR topic = 'refund'",
])
def test_top10_with_where_on_the_same_table(acme, embedder, tickets, condition):
    allowed = keys_of(acme, f"SELECT ticket_id FROM tickets WHERE {condition}")
    assert 3 <= len(allowed) < 325
    result = acme.sql(f"SELECT ticket_id, similarity(body, '{REFUND}') AS s FROM tickets "
                      f"WHERE {condition} ORDER BY s DESC, ticket_id LIMIT 10")
    assert_ranking(result.rows, reference(tickets, embedder, REFUND), keys=allowed, k=10)


def test_top10_with_a_join_filter(acme, embedder, tickets):
    allowed = keys_of(acme, "SELECT ticket_id FROM tickets JOIN customers USING (customer_id) WHERE segment = 'Enterprise'")
    assert 10 < len(allowed) < 325
    result = acme.sql(f"""
        SELECT t.ticket_id, similarity(t.body, '{REFUND}') AS score
        FROM tickets t JOIN customers c USING (customer_id)
        WHERE c.segment = 'Enterprise'
        ORDER BY score DESC, t.ticket_id LIMIT 10""")
    assert_ranking(result.rows, reference(tickets, embedder, REFUND), keys=allowed, k=10)


def test_multi_chunk_documents_score_their_best_chunk(acme, embedder, contracts):
    per_key = contracts.chunks_per_key()
    assert min(per_key.values()) > 1, "the acme contracts are long documents of several chunks"
    best = contracts.scores(embedder.embed([TERMINATION])[0])
    # the maximum is not simply the first chunk's score for some document
    assert any(number != 0 for _, _, number in best.values())
    exact = {key: score for key, (score, _, _) in best.items()}
    top = acme.sql(f"SELECT contract_id, similarity(body, '{TERMINATION}') AS s FROM contracts "
                   "ORDER BY s DESC, contract_id LIMIT 10")
    assert_ranking(top.rows, exact, k=10)
    every = acme.sql(f"SELECT contract_id, similarity(body, '{TERMINATION}') AS s FROM contracts ORDER BY s DESC, contract_id")
    assert_ranking(every.rows, exact)


@pytest.mark.parametrize("table, text, k", [
    ("contracts", "personal data is processed only in the EU", 5),
    ("tickets", REFUND, 10),
    ("tickets", SLOW, 1),
])
def test_vector_search_top_k(acme, embedder, tickets, contracts, table, text, k):
    chunks = {"tickets": tickets, "contracts": contracts}[table]
    key = chunks.key
    best = chunks.scores(embedder.embed([text])[0])
    result = acme.sql(f"SELECT {key}, _score, _chunk FROM vector_search('{table}.body', '{text}', {k}) "
                      f"ORDER BY _score DESC, {key}")
    exact = {k_: score for k_, (score, _, _) in best.items()}
    assert_ranking([(r[0], r[1]) for r in result.rows], exact, k=k)
    for row_key, _, chunk in result.rows:
        assert chunk == best[row_key][1], f"_chunk of {row_key} is not its best-matching chunk"


def test_vector_search_rows_carry_the_table_columns(acme):
    rows = acme.sql(f"SELECT v.ticket_id, v.subject, t.subject FROM vector_search('tickets.body', '{REFUND}', 5) AS v "
                    "JOIN tickets t USING (ticket_id)").rows
    assert len(rows) == 5
    assert all(r[1] == r[2] for r in rows)


@pytest.mark.parametrize("text", [SLOW, REFUND])
def test_semantic_match_default_threshold(acme, embedder, tickets, catalog, text):
    threshold = catalog.tables["tickets"].columns["body"].semantic.threshold
    assert threshold == 0.4
    exact = reference(tickets, embedder, text)
    expected = {k for k, s in exact.items() if s >= threshold}
    near = {k for k, s in exact.items() if abs(s - threshold) <= 1e-5}
    got = keys_of(acme, f"SELECT ticket_id FROM tickets WHERE semantic_match(body, '{text}')")
    assert got - near == expected - near
    assert 0 < len(expected) < 325
    # the count agrees with an explicit comparison of the score
    count = acme.sql(f"SELECT count(*) FROM tickets WHERE similarity(body, '{text}') >= {threshold}").rows[0][0]
    assert abs(count - len(got)) <= len(near)


def test_semantic_match_explicit_threshold(acme, embedder, tickets):
    exact = reference(tickets, embedder, SLOW)
    got = keys_of(acme, f"SELECT ticket_id FROM tickets WHERE semantic_match(body, '{SLOW}', 0.3)")
    near = {k for k, s in exact.items() if abs(s - 0.3) <= 1e-5}
    assert got - near == {k for k, s in exact.items() if s >= 0.3} - near
    assert len(got) > len(keys_of(acme, f"SELECT ticket_id FROM tickets WHERE semantic_match(body, '{SLOW}')"))
