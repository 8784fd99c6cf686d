"""The same queries on DuckDBEngine and DaftEngine (native runner) give the same results on the acme
store; what Daft cannot run is rejected before anything runs; Daft reads the Lance versions and
the DuckDB state of the query's one snapshot.
"""

from __future__ import annotations

import math

import pytest

import hybridq
from hybridq.engine.daft_engine import DaftEngine
from hybridq.engine.duckdb_engine import DuckDBEngine

REFUND = "we were charged twice, please refund the duplicate payment"
OUTAGE = "the service is down and nobody can log in"
TERMINATION = "the customer may terminate the agreement early for convenience"

# Every query orders its output completely, so rows compare one by one.
SAME_RESULTS = {
    "top10": f"SELECT ticket_id, similarity(body, '{REFUND}') AS s FROM tickets ORDER BY s DESC, ticket_id LIMIT 10",
    "threshold_count": f"SELECT count(*) FROM tickets WHERE semantic_match(body, '{OUTAGE}', 0.3)",
    "filter_and_join": f"""
        SELECT c.name, t.ticket_id, similarity(t.body, '{REFUND}') AS score
        FROM tickets t JOIN customers c USING (customer_id)
        WHERE c.segment = 'Enterprise' ORDER BY score DESC, t.ticket_id LIMIT 5""",
    "qualify_top3_per_region": f"""
        SELECT c.region, t.ticket_id, similarity(t.body, '{OUTAGE}') AS score
        FROM tickets t JOIN customers c USING (customer_id)
        QUALIFY row_number() OVER (PARTITION BY c.region ORDER BY score DESC, t.ticket_id) <= 3
        ORDER BY c.region, score DESC, t.ticket_id""",
    "group_max_having": f"""
        SELECT c.region, max(similarity(t.body, '{OUTAGE}')) AS m, count(*) AS n
        FROM tickets t JOIN customers c USING (customer_id)
        GROUP BY c.region HAVING count(*) > 10 ORDER BY m DESC, c.region""",
    "two_semantic_tables": f"""
        SELECT c.customer_id, max(similarity(t.body, '{REFUND}')) AS ts, max(similarity(k.body, '{TERMINATION}')) AS ks
        FROM customers c JOIN tickets t USING (customer_id) JOIN contracts k USING (customer_id)
        GROUP BY c.customer_id ORDER BY ts + ks DESC, c.customer_id LIMIT 5""",
    "cte": f"""
        WITH scored AS (SELECT ticket_id, customer_id, similarity(body, '{OUTAGE}') AS score FROM tickets)
        SELECT s.ticket_id, s.score FROM scored s JOIN customers c USING (customer_id)
        WHERE c.region = 'EMEA' ORDER BY s.score DESC, s.ticket_id LIMIT 5""",
    "in_subquery": f"""
        SELECT customer_id FROM customers
        WHERE customer_id IN (SELECT customer_id FROM contracts WHERE semantic_match(body, '{TERMINATION}', 0.45))
        ORDER BY customer_id""",
    "window_rank": f"""
        SELECT ticket_id, rank() OVER (ORDER BY similarity(body, '{REFUND}') DESC) AS r
        FROM tickets ORDER BY r, ticket_id LIMIT 8""",
    "vector_search": f"""
        SELECT contract_id, _score, _chunk FROM vector_search('contracts.body', '{TERMINATION}', 5)
        ORDER BY _score DESC, contract_id""",
    "vector_search_joined": f"""
        SELECT c.name, v.title, v._score FROM vector_search('contracts.body', '{TERMINATION}', 4) v
        JOIN customers c USING (customer_id) ORDER BY v._score DESC, c.name""",
    "keyword_score": "SELECT ticket_id, keyword_score(body, 'refund invoice') AS k FROM tickets "
                     "ORDER BY k DESC, ticket_id LIMIT 8",
    "keyword_match_and_similarity": f"""
        SELECT ticket_id, similarity(body, '{REFUND}') AS s FROM tickets
        WHERE keyword_match(body, 'charged') ORDER BY s DESC, ticket_id""",
    "plain": "SELECT segment, count(*) AS n, sum(employees) AS e FROM customers GROUP BY segment ORDER BY segment",
}


@pytest.fixture(scope="module")
def engines(acme_catalog, acme, embedder):
    """Two sessions on the one acme store: the default engine and Daft's native runner."""
    daft_session = hybridq.connect(acme_catalog, embedder=embedder, engine="daft")
    yield {"duckdb": acme, "daft": daft_session}
    daft_session.close()


def same_rows(got: list[tuple], want: list[tuple]) -> None:
    assert len(got) == len(want), f"{len(got)} rows, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        assert len(g) == len(w), f"row {i}: {g} != {w}"
        for a, b in zip(g, w):
            if isinstance(a, float) or isinstance(b, float):
                assert a is not None and b is not None and math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6), f"row {i}: {g} != {w}"
            else:
                assert a == b, f"row {i}: {g} != {w}"


def test_engines_are_the_ones_asked_for(engines):
    assert isinstance(engines["duckdb"].engine, DuckDBEngine)
    assert isinstance(engines["daft"].engine, DaftEngine)


@pytest.mark.parametrize("name", sorted(SAME_RESULTS))
def test_daft_gives_duckdbs_results(engines, name):
    sql = SAME_RESULTS[name]
    want = engines["duckdb"].sql(sql)
    got = engines["daft"].sql(sql)
    assert want.rows, "the query must return rows to compare"
    same_rows(got.rows, want.rows)
    assert got.snapshot.lance_versions == want.snapshot.lance_versions
    if want.plan.semantic:
        assert {s.strategy for s in got.plan.steps} <= {"exact scan (daft)", "full-text (BM25)"}


def test_parameters_are_bound_on_daft(engines):
    sql = "SELECT ticket_id, similarity(body, ?) AS s FROM tickets WHERE priority = ? ORDER BY s DESC, ticket_id LIMIT 5"
    want = engines["duckdb"].sql(sql, [REFUND, "urgent"]).rows
    same_rows(engines["daft"].sql(sql, [REFUND, "urgent"]).rows, want)
    plain = "SELECT count(*) FROM customers WHERE segment = ?"
    assert engines["daft"].sql(plain, ["SMB"]).rows == engines["duckdb"].sql(plain, ["SMB"]).rows


def test_explain_on_daft_names_its_strategy(engines):
    plan = engines["daft"].explain(SAME_RESULTS["vector_search"])
    text = str(plan)
    assert "exact scan (daft)" in text and "cosine_similarity" in text
    assert "QUALIFY" not in engines["daft"].explain(SAME_RESULTS["qualify_top3_per_region"]).rewritten


@pytest.mark.parametrize("sql, what", [
    ("SELECT ticket_id, hybrid_score(body, 'refund') AS h FROM tickets ORDER BY h DESC LIMIT 3", "hybrid_score()"),
    ("SELECT t.ticket_id, k.article_id FROM tickets t, LATERAL vector_search('kb_articles.body', t.body, 2) k "
     "WHERE t.ticket_id < 5", "for each row of another table"),
    ("SELECT t.ticket_id, a.article_id, similarity(a.body, t.body) AS s FROM kb_articles a, tickets t "
     "WHERE t.ticket_id < 3", "semantic join"),
    ("SELECT embed('refund') AS v", "embed()"),
])
def test_daft_rejects_what_it_cannot_run(engines, sql, what):
    engines["duckdb"].sql(sql)  # the default engine runs it
    with pytest.raises(hybridq.SQLError) as info:
        engines["daft"].sql(sql)
    assert "the daft engine cannot run" in info.value.message and what in info.value.message
    assert "engine='duckdb'" in info.value.hint


ROLES = """
access:
  roles:
    regional:
      tables:
        customers: {rows: "region = caller('region')"}
        tickets: {rows: "customer_id IN (SELECT customer_id FROM customers WHERE region = caller('region'))"}
        contracts: {rows: "customer_id IN (SELECT customer_id FROM customers WHERE region = caller('region'))"}
"""


@pytest.mark.parametrize("sql", [SAME_RESULTS["vector_search"], SAME_RESULTS["filter_and_join"]])
def test_row_policies_apply_on_daft(acme_catalog, engines, embedder, sql):
    path = acme_catalog.with_name("acme_roles_on_daft.yaml")
    path.write_text(acme_catalog.read_text() + ROLES)
    try:
        with hybridq.connect(path, embedder=embedder, engine="daft") as on_daft, \
                hybridq.connect(path, embedder=embedder) as on_duckdb:
            want = on_duckdb.as_role("regional", {"region": "EMEA"}).sql(sql).rows
            got = on_daft.as_role("regional", {"region": "EMEA"}).sql(sql).rows
    finally:
        path.unlink()
    assert want and want != engines["duckdb"].sql(sql).rows  # the policy changes the answer
    same_rows(got, want)


def test_engine_from_the_catalog(tmp_path, acme_catalog, embedder):
    import yaml

    from hybridq.catalog.validate import load_catalog

    data = yaml.safe_load(acme_catalog.read_text())
    data["engine"] = {"kind": "daft", "runner": "native"}
    data["store"] = str(tmp_path / "store")
    path = acme_catalog.parent / "acme_on_daft.yaml"  # beside acme.yaml: its source paths hold
    try:
        path.write_text(yaml.safe_dump(data))
        catalog = load_catalog(path)
        assert catalog.engine.kind == "daft"
        with hybridq.connect(catalog, embedder=embedder) as session:
            assert isinstance(session.engine, DaftEngine)
        data["engine"] = {"kind": "daft", "runner": "spark"}
        path.write_text(yaml.safe_dump(data))
        with pytest.raises(hybridq.CatalogError) as info:
            load_catalog(path)
        assert "engine.runner" in str(info.value) and "spark" in str(info.value)
    finally:
        path.unlink()


@pytest.mark.parametrize("engine, path", [
    ({"kind": "duckdb", "runner": "ray"}, "engine.runner"),
    ({"kind": "daft", "address": "ray://head:10001"}, "engine.address"),
])
def test_engine_keys_that_do_nothing_are_reported(acme_catalog, engine, path):
    import yaml

    from hybridq.catalog.validate import validate_file

    data = yaml.safe_load(acme_catalog.read_text())
    data["engine"] = engine
    catalog = acme_catalog.parent / "acme_engine_keys.yaml"
    try:
        catalog.write_text(yaml.safe_dump(data))
        issues = [i for i in validate_file(catalog).issues if i.path.startswith("engine")]
    finally:
        catalog.unlink()
    assert [(i.level, i.path) for i in issues] == [("warning", path)]


def test_a_bad_engine_argument_says_what_is_accepted():
    from hybridq.engine import make_engine

    with pytest.raises(hybridq.EngineError) as info:
        make_engine("spark")
    assert "spark" in info.value.message and "engine='daft'" in info.value.hint
    with pytest.raises(hybridq.EngineError, match="already runs Daft on the native runner"):
        make_engine({"kind": "daft", "runner": "ray"})
