"""Semantic functions compose with the rest of SQL: joins, CTEs, subqueries, grouping, windows, set
operations, LATERAL per-row top-k and semantic joins. Scores are checked against a numpy reference
(see sql_helpers.Chunks), or against the same scores computed by a simpler query.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

import numpy as np
import pyarrow as pa
import pytest

import hybridq

from sql_helpers import Chunks, assert_ranking, ranked

OUTAGE = "service outage, nothing loads"
REFUND = "we were charged twice, please refund the duplicate payment"
SLOW = "the dashboard is slow and queries time out"
TERMINATION = "the customer may terminate the agreement early for convenience"
TOL = 1e-5


@pytest.fixture(scope="module")
def tickets(acme):
    return Chunks(acme, "tickets", "body")


@pytest.fixture(scope="module")
def contracts(acme):
    return Chunks(acme, "contracts", "body")


@pytest.fixture(scope="module")
def kb(acme):
    return Chunks(acme, "kb_articles", "body")


def exact(chunks: Chunks, embedder, text: str) -> dict:
    return {key: score for key, (score, _, _) in chunks.scores(embedder.embed([text])[0]).items()}


def mapping(acme, sql: str) -> dict:
    return dict(acme.sql(sql).rows)


# -- joins, CTEs, subqueries -------------------------------------------------------------------


def test_join_with_two_semantic_tables(acme, embedder, tickets, contracts):
    rows = acme.sql(f"""
        SELECT c.customer_id, max(similarity(t.body, '{REFUND}')) AS ts, max(similarity(k.body, '{TERMINATION}')) AS ks
        FROM customers c JOIN tickets t USING (customer_id) JOIN contracts k USING (customer_id)
        GROUP BY 1 ORDER BY 1""").rows
    t_ref, k_ref = exact(tickets, embedder, REFUND), exact(contracts, embedder, TERMINATION)
    owner_t = mapping(acme, "SELECT ticket_id, customer_id FROM tickets")
    owner_k = mapping(acme, "SELECT contract_id, customer_id FROM contracts")
    both = set(owner_t.values()) & set(owner_k.values())
    assert [r[0] for r in rows] == sorted(both)
    for customer, ts, ks in rows:
        assert abs(ts - max(s for k, s in t_ref.items() if owner_t[k] == customer)) <= TOL
        assert abs(ks - max(s for k, s in k_ref.items() if owner_k[k] == customer)) <= TOL


def test_cte(acme, embedder, tickets):
    rows = acme.sql(f"""
        WITH scored AS (SELECT ticket_id, customer_id, similarity(body, '{OUTAGE}') AS score FROM tickets)
        SELECT s.ticket_id, s.score FROM scored s JOIN customers c USING (customer_id)
        WHERE c.region = 'EMEA' ORDER BY s.score DESC, s.ticket_id LIMIT 5""").rows
    emea = {r[0] for r in acme.sql(
        "SELECT ticket_id FROM tickets JOIN customers USING (customer_id) WHERE region = 'EMEA'").rows}
    assert_ranking(rows, exact(tickets, embedder, OUTAGE), keys=emea, k=5)


def test_cte_used_twice(acme):
    rows = acme.sql(f"""
        WITH s AS (SELECT ticket_id, similarity(body, '{REFUND}') AS x FROM tickets)
        SELECT count(*), count(*) FILTER (WHERE a.x = b.x) FROM s a JOIN s b USING (ticket_id)""").rows
    assert rows == [(325, 325)]


def test_scalar_correlated_subquery(acme, embedder, tickets):
    rows = acme.sql(f"""
        SELECT c.customer_id,
               (SELECT max(similarity(t.body, '{REFUND}')) FROM tickets t WHERE t.customer_id = c.customer_id) AS best
        FROM customers c ORDER BY c.customer_id""").rows
    owner = mapping(acme, "SELECT ticket_id, customer_id FROM tickets")
    ref = exact(tickets, embedder, REFUND)
    assert len(rows) == 60
    for customer, best in rows:
        scores = [s for k, s in ref.items() if owner[k] == customer]
        if scores:
            assert abs(best - max(scores)) <= TOL
        else:
            assert best is None


def test_correlated_top1_subquery(acme, embedder, tickets):
    rows = acme.sql(f"""
        SELECT c.customer_id,
               (SELECT t.ticket_id FROM tickets t WHERE t.customer_id = c.customer_id
                ORDER BY similarity(t.body, '{SLOW}') DESC, t.ticket_id LIMIT 1) AS best
        FROM customers c ORDER BY 1""").rows
    owner = mapping(acme, "SELECT ticket_id, customer_id FROM tickets")
    ref = exact(tickets, embedder, SLOW)
    for customer, best in rows:
        mine = {k for k in ref if owner[k] == customer}
        if not mine:
            assert best is None
            continue
        top_key, top_score = ranked(ref, mine)[0]
        assert abs(ref[best] - top_score) <= TOL, (customer, best, top_key)


def test_lateral_subquery_top1_per_customer(acme, embedder, tickets):
    rows = acme.sql(f"""
        SELECT c.customer_id, best.ticket_id, best.score
        FROM customers c, LATERAL (
            SELECT t.ticket_id, similarity(t.body, '{REFUND}') AS score
            FROM tickets t WHERE t.customer_id = c.customer_id
            ORDER BY score DESC, t.ticket_id LIMIT 1) AS best
        ORDER BY 1""").rows
    owner = mapping(acme, "SELECT ticket_id, customer_id FROM tickets")
    ref = exact(tickets, embedder, REFUND)
    assert [r[0] for r in rows] == sorted(set(owner.values()))
    for customer, ticket, score in rows:
        assert_ranking([(ticket, score)], ref, keys={k for k in ref if owner[k] == customer}, k=1)


def test_in_subquery(acme, embedder, contracts):
    got = {r[0] for r in acme.sql(f"""
        SELECT customer_id FROM customers
        WHERE customer_id IN (SELECT customer_id FROM contracts WHERE semantic_match(body, '{TERMINATION}', 0.45))""").rows}
    owner = mapping(acme, "SELECT contract_id, customer_id FROM contracts")
    ref = exact(contracts, embedder, TERMINATION)
    near = {owner[k] for k, s in ref.items() if abs(s - 0.45) <= TOL}
    expected = {owner[k] for k, s in ref.items() if s >= 0.45}
    assert expected and got - near == expected - near


def test_exists_correlated(acme, embedder, tickets):
    got = {r[0] for r in acme.sql(f"""
        SELECT c.customer_id FROM customers c
        WHERE EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.customer_id AND semantic_match(t.body, '{SLOW}'))
        """).rows}
    not_got = {r[0] for r in acme.sql(f"""
        SELECT c.customer_id FROM customers c
        WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.customer_id AND semantic_match(t.body, '{SLOW}'))
        """).rows}
    owner = mapping(acme, "SELECT ticket_id, customer_id FROM tickets")
    ref = exact(tickets, embedder, SLOW)
    near = {owner[k] for k, s in ref.items() if abs(s - 0.4) <= TOL}
    expected = {owner[k] for k, s in ref.items() if s >= 0.4}
    assert 0 < len(expected) < 60
    assert got - near == expected - near
    assert got | not_got == set(range(1, 61)) and not got & not_got


# -- grouping, ordering, windows ---------------------------------------------------------------


def test_group_by_having_on_max_similarity(acme, embedder, tickets):
    region = mapping(acme, "SELECT t.ticket_id, c.region FROM tickets t JOIN customers c USING (customer_id)")
    ref = exact(tickets, embedder, OUTAGE)
    best = defaultdict(lambda: -1.0)
    for key, score in ref.items():
        best[region[key]] = max(best[region[key]], score)
    cut = sorted(best.values())[1] - 1e-4  # keeps all regions but the weakest
    rows = acme.sql(f"""
        SELECT c.region, max(similarity(t.body, '{OUTAGE}')) AS m, count(*) AS n
        FROM tickets t JOIN customers c USING (customer_id)
        GROUP BY c.region HAVING max(similarity(t.body, '{OUTAGE}')) > {cut} ORDER BY m DESC""").rows
    expected = sorted((r for r in best if best[r] > cut), key=lambda r: -best[r])
    assert [r[0] for r in rows] == expected and len(expected) == len(best) - 1
    for name, m, n in rows:
        assert abs(m - best[name]) <= TOL
        assert n == sum(1 for k in region if region[k] == name)


def test_order_by_the_call_itself(acme, embedder, tickets):
    rows = acme.sql(f"SELECT ticket_id FROM tickets ORDER BY similarity(body, '{REFUND}') DESC, ticket_id LIMIT 5").rows
    ref = exact(tickets, embedder, REFUND)
    assert_ranking([(r[0], ref[r[0]]) for r in rows], ref, k=5)


def test_order_by_with_offset(acme, embedder, tickets):
    rows = acme.sql(f"SELECT ticket_id, similarity(body, '{REFUND}') AS s FROM tickets "
                    "ORDER BY s DESC, ticket_id LIMIT 4 OFFSET 3").rows
    ref = exact(tickets, embedder, REFUND)
    want = ranked(ref)[3:7]
    assert len(rows) == 4
    for (key, score), (want_key, want_score) in zip(rows, want):
        assert abs(score - want_score) <= TOL and abs(ref[key] - want_score) <= TOL


def test_window_rank(acme):
    rows = acme.sql(f"""
        SELECT ticket_id, similarity(body, '{REFUND}') AS s,
               rank() OVER (ORDER BY similarity(body, '{REFUND}') DESC) AS r
        FROM tickets ORDER BY r, ticket_id""").rows
    assert [r[2] for r in rows][:3] == [1, 2, 3]
    scores = [r[1] for r in rows]
    assert scores == sorted(scores, reverse=True)


QUALIFIED_TOP3 = f"""
    SELECT c.region, t.ticket_id, similarity(t.body, '{OUTAGE}') AS score
    FROM tickets t JOIN customers c USING (customer_id)
    QUALIFY row_number() OVER (PARTITION BY c.region ORDER BY score DESC, t.ticket_id) <= 3
    ORDER BY c.region, score DESC, t.ticket_id"""


def test_qualify_top3_per_region(acme, embedder, tickets):
    rows = acme.sql(QUALIFIED_TOP3).rows
    per_region = defaultdict(list)
    for region, key, score in rows:
        per_region[region].append((key, score))
    regions = {r[0] for r in acme.sql("SELECT DISTINCT region FROM customers c JOIN tickets USING (customer_id)").rows}
    assert set(per_region) == regions
    assert all(len(v) == 3 for v in per_region.values())  # every region has more than 3 tickets
    # the same scores without QUALIFY, grouped here
    everything = acme.sql(f"""
        SELECT c.region, t.ticket_id, similarity(t.body, '{OUTAGE}') AS score
        FROM tickets t JOIN customers c USING (customer_id)""").rows
    assert len(everything) == 325
    groups = defaultdict(list)
    for region, key, score in everything:
        groups[region].append((key, score))
    for region, members in groups.items():
        want = sorted(members, key=lambda kv: (-kv[1], kv[0]))[:3]
        assert per_region[region] == want, region
    # and against the numpy reference
    ref = exact(tickets, embedder, OUTAGE)
    for region, members in per_region.items():
        assert_ranking(members, ref, keys={k for k, _ in groups[region]}, k=3)


def test_union_of_two_semantic_queries(acme, embedder, tickets):
    rows = acme.sql(f"""
        (SELECT 'refund' AS q, ticket_id, similarity(body, '{REFUND}') AS s FROM tickets ORDER BY s DESC, ticket_id LIMIT 3)
        UNION ALL
        (SELECT 'slow' AS q, ticket_id, similarity(body, '{SLOW}') AS s FROM tickets ORDER BY s DESC, ticket_id LIMIT 3)
        ORDER BY q, s DESC, ticket_id""").rows
    assert [r[0] for r in rows] == ["refund"] * 3 + ["slow"] * 3
    assert_ranking([(r[1], r[2]) for r in rows[:3]], exact(tickets, embedder, REFUND), k=3)
    assert_ranking([(r[1], r[2]) for r in rows[3:]], exact(tickets, embedder, SLOW), k=3)


def test_intersect_of_semantic_and_plain(acme):
    both = acme.sql(f"""
        SELECT ticket_id FROM tickets WHERE semantic_match(body, '{SLOW}')
        INTERSECT SELECT ticket_id FROM tickets WHERE priority = 'urgent'""").rows
    direct = acme.sql(f"SELECT ticket_id FROM tickets WHERE semantic_match(body, '{SLOW}') AND priority = 'urgent'").rows
    assert sorted(both) == sorted(direct) and direct


# -- * never shows hidden columns ---------------------------------------------------------------


def columns(acme, sql: str) -> list[str]:
    return acme.sql(sql).columns


@pytest.mark.parametrize("sql, plain", [
    (f"SELECT * FROM tickets WHERE semantic_match(body, '{SLOW}')", "SELECT * FROM tickets"),
    (f"SELECT *, similarity(body, '{SLOW}') AS s FROM tickets", "SELECT *, 0.5 AS s FROM tickets"),
    (f"SELECT * FROM tickets ORDER BY similarity(body, '{SLOW}') DESC LIMIT 3", "SELECT * FROM tickets"),
    (f"SELECT * FROM tickets t JOIN customers c USING (customer_id) WHERE semantic_match(t.body, '{SLOW}')",
     "SELECT * FROM tickets t JOIN customers c USING (customer_id)"),
    (f"SELECT t.*, c.name FROM tickets t JOIN customers c USING (customer_id) ORDER BY similarity(t.body, '{SLOW}') DESC",
     "SELECT t.*, c.name FROM tickets t JOIN customers c USING (customer_id)"),
    (f"WITH x AS (SELECT * FROM tickets WHERE semantic_match(body, '{SLOW}')) SELECT * FROM x",
     "WITH x AS (SELECT * FROM tickets) SELECT * FROM x"),
    (f"SELECT * FROM (SELECT * FROM tickets WHERE semantic_match(body, '{SLOW}')) sub", "SELECT * FROM tickets"),
    ("SELECT * FROM tickets t, LATERAL vector_search('kb_articles.body', t.body, 3) AS a WHERE t.ticket_id < 5",
     "SELECT t.*, a.*, 0.5 AS _score, 'x' AS _chunk FROM tickets t, kb_articles a"),
    ("SELECT a.* FROM tickets t, LATERAL vector_search('kb_articles.body', t.body, 3) AS a WHERE t.ticket_id < 5",
     "SELECT a.*, 0.5 AS _score, 'x' AS _chunk FROM kb_articles a"),
    (f"SELECT * FROM vector_search('tickets.body', '{SLOW}', 5)",
     "SELECT *, 0.5 AS _score, 'x' AS _chunk FROM tickets"),
    ("SELECT * FROM kb_articles a, tickets t WHERE t.ticket_id < 4 "
     "QUALIFY row_number() OVER (PARTITION BY t.ticket_id ORDER BY similarity(a.body, t.body) DESC) = 1",
     "SELECT * FROM kb_articles a, tickets t"),
    (f"SELECT COLUMNS(*) FROM tickets WHERE semantic_match(body, '{SLOW}')", "SELECT * FROM tickets"),
    ("SELECT * FROM kb_articles a JOIN tickets t ON similarity(a.body, t.body) > 0.5",
     "SELECT * FROM kb_articles a, tickets t"),
    ("SELECT t.* FROM kb_articles a LEFT JOIN tickets t ON semantic_match(a.body, t.body)", "SELECT * FROM tickets"),
])
def test_star_hides_internal_columns(acme, sql, plain):
    got = columns(acme, sql)
    assert not [c for c in got if c.startswith("__hq_")], got
    assert got == columns(acme, plain + " LIMIT 0")


# -- per-row top-k and semantic joins ----------------------------------------------------------


def test_lateral_per_row_top_k(acme, tickets, kb):
    rows = acme.sql("""
        SELECT t.ticket_id, a.article_id, a._score, a.title
        FROM tickets t, LATERAL vector_search('kb_articles.body', t.body, 3) AS a
        ORDER BY t.ticket_id, a._score DESC, a.article_id""").rows
    pairs = tickets.pair_scores(kb)
    per_ticket = defaultdict(list)
    for ticket, article, score, _ in rows:
        per_ticket[ticket].append((article, score))
    assert set(per_ticket) == set(tickets.keys)
    assert all(len(v) == 3 for v in per_ticket.values())
    for ticket, got in per_ticket.items():
        reference = {article: pairs[(ticket, article)] for article in set(kb.keys)}
        assert_ranking(got, reference, k=3)
    titles = mapping(acme, "SELECT article_id, title FROM kb_articles")
    assert all(titles[r[1]] == r[3] for r in rows)


def test_lateral_with_outer_filter(acme, tickets, kb):
    rows = acme.sql("""
        SELECT t.ticket_id, a.article_id, a._score
        FROM tickets t, LATERAL vector_search('kb_articles.body', t.body, 2) AS a
        WHERE t.priority = 'urgent' AND a.category <> 'outage'
        ORDER BY 1, 3 DESC""").rows
    urgent = {r[0] for r in acme.sql("SELECT ticket_id FROM tickets WHERE priority = 'urgent'").rows}
    category = mapping(acme, "SELECT article_id, category FROM kb_articles")
    pairs = tickets.pair_scores(kb)
    assert {r[0] for r in rows} <= urgent
    # the WHERE on the article applies after the search: each urgent ticket's 2 best, minus outage articles
    expected = []
    for ticket in sorted(urgent):
        best = ranked({a: pairs[(ticket, a)] for a in set(kb.keys)})[:2]
        expected += [(ticket, a) for a, _ in best if category[a] != "outage"]
    got = [(r[0], r[1]) for r in rows]
    assert len(got) == len(expected)
    for (ticket, article), score in zip(got, [r[2] for r in rows]):
        assert abs(score - pairs[(ticket, article)]) <= TOL


def test_semantic_join_best_article_per_ticket(acme, tickets, kb):
    rows = acme.sql("""
        SELECT t.ticket_id, a.article_id, similarity(a.body, t.body) AS s
        FROM kb_articles a, tickets t
        WHERE t.priority IN ('high', 'urgent')
        QUALIFY row_number() OVER (PARTITION BY t.ticket_id ORDER BY s DESC, a.article_id) = 1
        ORDER BY t.ticket_id""").rows
    chosen = {r[0] for r in acme.sql("SELECT ticket_id FROM tickets WHERE priority IN ('high', 'urgent')").rows}
    assert {r[0] for r in rows} == chosen
    pairs = kb.pair_scores(tickets)
    for ticket, article, score in rows:
        reference = {a: pairs[(a, ticket)] for a in set(kb.keys)}
        assert_ranking([(article, score)], reference, k=1)


def test_semantic_join_matches_lateral(acme):
    joined = acme.sql("""
        SELECT t.ticket_id, a.article_id FROM kb_articles a, tickets t WHERE t.ticket_id <= 40
        QUALIFY row_number() OVER (PARTITION BY t.ticket_id ORDER BY similarity(a.body, t.body) DESC, a.article_id) <= 2
        ORDER BY 1, 2""").rows
    lateral = acme.sql("""
        SELECT t.ticket_id, a.article_id FROM tickets t, LATERAL vector_search('kb_articles.body', t.body, 2) AS a
        WHERE t.ticket_id <= 40 ORDER BY 1, 2""").rows
    assert len(joined) == len(lateral) == 80
    assert sum(a != b for a, b in zip(joined, lateral)) <= 2  # float32 near-ties only


def above(pairs: dict, threshold: float, inclusive: bool = False) -> set:
    """The pairs whose reference score passes the threshold; none may sit within TOL of it (float32)."""
    assert not [p for p, s in pairs.items() if abs(s - threshold) <= TOL], "a pair on the threshold: pick another"
    return {p for p, s in pairs.items() if s > threshold or (inclusive and s >= threshold)}


@pytest.mark.parametrize("condition, threshold, inclusive", [
    ("similarity(a.body, t.body) > 0.5", 0.5, False),
    ("similarity(t.body, a.body) > 0.5", 0.5, False),
    ("semantic_match(a.body, t.body, 0.45)", 0.45, True),
])
def test_semantic_join_in_on(acme, tickets, kb, condition, threshold, inclusive):
    rows = acme.sql(f"""
        SELECT a.article_id, t.ticket_id, similarity(a.body, t.body) AS s
        FROM kb_articles a JOIN tickets t ON {condition}""").rows
    pairs = kb.pair_scores(tickets)
    expected = above(pairs, threshold, inclusive)
    assert expected and len(expected) < len(pairs)
    assert len(rows) == len({(a, t) for a, t, _ in rows})
    assert {(a, t) for a, t, _ in rows} == expected
    assert max(abs(s - pairs[(a, t)]) for a, t, s in rows) <= TOL
    where = acme.sql(f"SELECT a.article_id, t.ticket_id FROM kb_articles a CROSS JOIN tickets t WHERE {condition}").rows
    assert sorted(where) == sorted((a, t) for a, t, _ in rows)


def test_semantic_join_in_on_with_other_conditions(acme, tickets, kb):
    # conditions of the ON and the WHERE on either table, and the tables the other way round
    rows = acme.sql("""
        SELECT t.ticket_id, a.article_id
        FROM tickets t JOIN kb_articles a ON a.category <> 'outage' AND similarity(a.body, t.body) > 0.4
        WHERE t.priority IN ('high', 'urgent')""").rows
    category = mapping(acme, "SELECT article_id, category FROM kb_articles")
    chosen = {r[0] for r in acme.sql("SELECT ticket_id FROM tickets WHERE priority IN ('high', 'urgent')").rows}
    expected = {(t, a) for (t, a) in above(tickets.pair_scores(kb), 0.4) if t in chosen and category[a] != "outage"}
    assert expected and sorted(rows) == sorted(expected)


def test_semantic_left_join_in_on(acme, tickets, kb):
    rows = acme.sql("""
        SELECT a.article_id, t.ticket_id FROM kb_articles a
        LEFT JOIN tickets t ON semantic_match(a.body, t.body, 0.55) ORDER BY 1, 2""").rows
    matched = {(a, t) for (a, t) in above(kb.pair_scores(tickets), 0.55, inclusive=True)}
    unmatched = set(kb.keys) - {a for a, _ in matched}
    assert matched and unmatched
    assert sorted(rows, key=str) == sorted(matched | {(a, None) for a in unmatched}, key=str)
    # a condition on the table an outer join fills with NULLs must not narrow its pairs
    lonely = acme.sql("""
        SELECT a.article_id FROM kb_articles a
        LEFT JOIN tickets t ON semantic_match(a.body, t.body, 0.55) WHERE t.ticket_id IS NULL""").rows
    assert {r[0] for r in lonely} == unmatched


def test_semantic_join_in_a_later_on(acme, tickets, kb):
    # both tables come before the join whose ON reads their score
    rows = acme.sql("""
        SELECT a.article_id, t.ticket_id, c.customer_id
        FROM kb_articles a, tickets t JOIN customers c ON c.customer_id = t.customer_id
                                                       AND similarity(a.body, t.body) > 0.5""").rows
    owner = mapping(acme, "SELECT ticket_id, customer_id FROM tickets")
    expected = {(a, t, owner[t]) for a, t in above(kb.pair_scores(tickets), 0.5)}
    assert expected and sorted(rows) == sorted(expected)


def test_semantic_join_in_on_of_a_right_join_is_refused(acme):
    with pytest.raises(hybridq.SQLError, match="RIGHT JOIN is not supported"):
        acme.sql("SELECT * FROM kb_articles a RIGHT JOIN tickets t ON similarity(a.body, t.body) > 0.5")


# -- keyword and hybrid scores -----------------------------------------------------------------


@pytest.mark.parametrize("word", ["invoice", "export", "dashboard", "SAML", "password"])
def test_keyword_match_is_a_case_insensitive_word_match(acme, word):
    rows = acme.sql(f"SELECT ticket_id, body, keyword_match(body, '{word}') AS m, "
                    f"keyword_match(body, '{word.lower()}') AS lower_m, keyword_match(body, '{word.upper()}') AS upper_m, "
                    f"keyword_score(body, '{word}') AS k FROM tickets").rows
    # the full-text index stems words, so 'invoices' matches 'invoice': a word starting with it
    pattern = re.compile(r"\b" + re.escape(word), re.IGNORECASE)
    matched = {r[0] for r in rows if r[2]}
    assert matched == {r[0] for r in rows if pattern.search(r[1])}
    assert 0 < len(matched) < len(rows)
    for _, _, m, lower_m, upper_m, k in rows:
        assert m == lower_m == upper_m
        assert math.isfinite(k) and k >= 0 and (k > 0) == m


def test_keyword_match_nothing(acme):
    assert acme.sql("SELECT count(*) FROM tickets WHERE keyword_match(body, 'xylophone')").rows == [(0,)]
    assert acme.sql("SELECT max(keyword_score(body, 'xylophone')) FROM tickets").rows == [(0.0,)]


def test_keyword_score_ranks_repeated_words_higher(acme):
    rows = acme.sql("SELECT ticket_id, body, keyword_score(body, 'dashboard') AS k FROM tickets "
                    "WHERE keyword_match(body, 'dashboard') ORDER BY k DESC").rows
    counts = [len(re.findall(r"\bdashboard", r[1], re.I)) / max(1, len(r[1].split())) for r in rows]
    # the best BM25 row uses the word more densely than the weakest one
    assert counts[0] > counts[-1]


def test_hybrid_score_prefers_rows_matching_both(acme):
    rows = acme.sql(f"SELECT ticket_id, similarity(body, '{SLOW}') AS s, keyword_score(body, '{SLOW}') AS k, "
                    f"hybrid_score(body, '{SLOW}') AS h FROM tickets").rows
    assert all(math.isfinite(h) for *_, h in rows)
    both = [r for r in rows if r[2] > 0]
    vector_only = [r for r in rows if r[2] == 0]
    assert both and vector_only
    # a keyword match on top of an equal or better vector score always ranks higher
    for a in both:
        for b in vector_only:
            if a[1] > b[1]:
                assert a[3] > b[3], (a, b)
    # among rows without a keyword match, hybrid follows the vector ranking
    ordered = sorted(vector_only, key=lambda r: -r[1])
    assert all(x[3] >= y[3] for x, y in zip(ordered, ordered[1:]))
    # and the best hybrid row matches both ways when some row among the vector top 10 does
    top10 = sorted(rows, key=lambda r: -r[1])[:10]
    if any(r[2] > 0 for r in top10):
        assert max(rows, key=lambda r: r[3])[2] > 0


def test_embed_returns_the_model_vector(acme, embedder):
    result = acme.sql("SELECT embed('refund delays') AS v, len(embed('refund delays')) AS n")
    vector, n = result.rows[0]
    assert n == 384 and len(vector) == 384
    assert result.to_arrow().schema.field("v").type == pa.list_(pa.float32(), 384)
    np.testing.assert_allclose(np.array(vector), embedder.embed(["refund delays"])[0], atol=1e-6)
    # usable with DuckDB's array functions
    cos = acme.sql("SELECT array_cosine_similarity(embed('refund delays'), embed('refund delays'))").rows[0][0]
    assert abs(cos - 1.0) <= 1e-5


# -- the Result object -------------------------------------------------------------------------


def test_result_api(acme):
    result = acme.sql(f"SELECT ticket_id, priority, similarity(body, '{REFUND}') AS s FROM tickets "
                      "ORDER BY s DESC, ticket_id LIMIT 4")
    assert result.columns == ["ticket_id", "priority", "s"]
    table = result.to_arrow()
    assert isinstance(table, pa.Table) and table.num_rows == 4
    assert table.schema.field("s").type == pa.float64()
    rows = result.rows
    assert len(rows) == 4 and all(isinstance(r, tuple) and len(r) == 3 for r in rows)
    assert list(result) == rows and len(result) == 4
    assert result.to_dicts()[0] == dict(zip(result.columns, rows[0]))
    frame = result.to_pandas()
    assert list(frame.columns) == result.columns and frame["ticket_id"].tolist() == [r[0] for r in rows]
    polars = result.to_polars()
    assert polars.columns == result.columns and polars["s"].to_list() == [r[2] for r in rows]
    stamp = result.snapshot
    assert stamp.refresh_id and stamp.committed_at is not None
    assert ("tickets", "body") in stamp.lance_versions
    assert "refresh #" in str(stamp)
    assert result.sql.startswith("SELECT ticket_id")
    assert result.plan is not None and result.plan.semantic


def test_result_of_plain_sql_and_empty_result(acme):
    result = acme.sql("SELECT name FROM customers WHERE customer_id < 0")
    assert result.rows == [] and result.columns == ["name"] and len(result) == 0
    assert result.to_pandas().empty and result.to_polars().height == 0
    assert result.snapshot.lance_versions == acme.sql("SELECT 1").snapshot.lance_versions


# -- multi-chunk documents on either side of a per-row search or a semantic join ----------------


def test_lateral_over_multi_chunk_documents(acme, tickets, contracts, kb):
    # outer rows of several chunks: the score of a pair is the best over all pairs of their chunks
    rows = acme.sql("""
        SELECT c.contract_id, a.article_id, a._score
        FROM contracts c, LATERAL vector_search('kb_articles.body', c.body, 2) AS a
        ORDER BY 1, 3 DESC, 2""").rows
    pairs = contracts.pair_scores(kb)
    per_contract = defaultdict(list)
    for contract, article, score in rows:
        per_contract[contract].append((article, score))
    assert set(per_contract) == set(contracts.keys)
    for contract, got in per_contract.items():
        assert_ranking(got, {a: pairs[(contract, a)] for a in set(kb.keys)}, k=2)
    # inner rows of several chunks, and _chunk is the inner row's best-matching chunk
    rows = acme.sql("""
        SELECT t.ticket_id, c.contract_id, c._score, c._chunk
        FROM tickets t, LATERAL vector_search('contracts.body', t.body, 3) AS c
        WHERE t.ticket_id <= 30 ORDER BY 1, 3 DESC, 2""").rows
    pairs = tickets.pair_scores(contracts)
    per_ticket = defaultdict(list)
    for ticket, contract, score, chunk in rows:
        per_ticket[ticket].append((contract, score))
        mine = [i for i, key in enumerate(tickets.keys) if key == ticket]
        theirs = [i for i, key in enumerate(contracts.keys) if key == contract]
        best = (contracts.vectors[theirs] @ tickets.vectors[mine].T).max(axis=1)
        assert chunk == contracts.texts[theirs[int(np.argmax(best))]]
    assert len(per_ticket) == 30
    for ticket, got in per_ticket.items():
        assert_ranking(got, {c: pairs[(ticket, c)] for c in set(contracts.keys)}, k=3)


def test_pair_scores_between_multi_chunk_documents(acme, contracts, kb):
    rows = acme.sql("SELECT c.contract_id, a.article_id, similarity(c.body, a.body) AS s "
                    "FROM contracts c, kb_articles a").rows
    pairs = contracts.pair_scores(kb)
    assert len(rows) == len(pairs) == len(set(contracts.keys)) * len(set(kb.keys))
    assert max(abs(s - pairs[(c, a)]) for c, a, s in rows) <= TOL


# -- regressions -------------------------------------------------------------------------------


def test_top_k_with_nulls_first(acme):
    # only the best rows get a score when the output is a top k; NULLS FIRST must not bring in the others
    base = f"SELECT ticket_id FROM tickets WHERE priority = 'urgent' ORDER BY similarity(body, '{REFUND}') DESC"
    assert acme.sql(base + " NULLS FIRST LIMIT 3").rows == acme.sql(base + " LIMIT 3").rows


def test_limit_percent(acme, embedder, tickets):
    rows = acme.sql(f"SELECT ticket_id, similarity(body, '{REFUND}') AS s FROM tickets ORDER BY s DESC, ticket_id "
                    "LIMIT 10 PERCENT").rows
    assert len(rows) == 32  # 10% of 325 rows
    assert all(s is not None for _, s in rows)
    assert_ranking(rows, exact(tickets, embedder, REFUND), k=32)


def test_limit_zero(acme):
    result = acme.sql(f"SELECT ticket_id, similarity(body, '{REFUND}') AS s FROM tickets ORDER BY s DESC LIMIT 0")
    assert result.rows == [] and result.columns == ["ticket_id", "s"]


def test_names_ignore_case(acme):
    expected = acme.sql(f"SELECT ticket_id, similarity(body, '{REFUND}') AS s FROM tickets ORDER BY s DESC LIMIT 3").rows
    assert acme.sql(f"SELECT ticket_id, SIMILARITY(TICKETS.BODY, '{REFUND}') AS s FROM Tickets "
                    "ORDER BY s DESC LIMIT 3").rows == expected
    assert acme.sql(f"SELECT T.ticket_id, similarity(t.body, '{REFUND}') AS s FROM tickets T "
                    "ORDER BY s DESC LIMIT 3").rows == expected


def test_semantic_match_as_an_operand(acme):
    matched = acme.sql(f"SELECT count(*) FROM tickets WHERE semantic_match(body, '{SLOW}')").rows[0][0]
    assert acme.sql(f"SELECT count(*) FROM tickets WHERE semantic_match(body, '{SLOW}') = false").rows == [(325 - matched,)]
    assert acme.sql("SELECT count(*) FROM tickets WHERE keyword_match(body, 'dashboard') IS TRUE").rows == \
        acme.sql("SELECT count(*) FROM tickets WHERE keyword_match(body, 'dashboard')").rows
