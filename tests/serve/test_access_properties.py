"""Property tests of access policies: for random roles (row filters, hidden columns) and random
queries built from the catalog, plain and semantic, a role's result holds exactly what a reference
computed on the filtered tables holds: no row outside the role's filter, no hidden column, and the
k best among the visible rows (so a role still gets k rows). References are computed in Python
from the full-access session's rows and exact scores."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridq.errors import AccessDenied
from tests.sql.sql_helpers import as_role

REGIONS = ["NA", "EMEA", "APAC", "LATAM"]
PRIORITIES = ["low", "normal", "high", "urgent"]
HIDEABLE = ["name", "segment", "country", "state", "industry", "employees", "signup_date", "account_manager",
            "health_score", "is_active"]
TEXTS = ["refund delays", "login problems with single sign-on", "data export to csv", "outage"]
WORDS = ["refund", "password", "invoice", "export", "the"]
TOL = 1e-5
SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@st.composite
def roles(draw):
    """(tables policy, attributes): customers by region (a caller attribute), tickets by their
    customer's region or by priority, kb articles by id parity, some customer columns hidden."""
    regions = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3, unique=True))
    hidden = draw(st.lists(st.sampled_from(HIDEABLE), max_size=4, unique=True))
    tickets_by = draw(st.sampled_from(["region", "priority"]))
    priorities = draw(st.lists(st.sampled_from(PRIORITIES), min_size=1, max_size=3, unique=True))
    kb_parity = draw(st.sampled_from([None, 0, 1]))
    tickets = ("customer_id IN (SELECT customer_id FROM customers WHERE list_contains(caller('regions'), region))"
               if tickets_by == "region" else "priority IN (" + ", ".join(f"'{p}'" for p in priorities) + ")")
    tables = {"customers": {"rows": "list_contains(caller('regions'), region)", "hide": hidden},
              "tickets": {"rows": tickets},
              "kb_articles": {"rows": f"article_id % 2 = {kb_parity}"} if kb_parity is not None else {},
              "contracts": {}}
    return {"tables": tables}, {"regions": regions}, (regions, hidden, tickets_by, priorities, kb_parity)


class World:
    """The full-access truth: every row and every exact score, read once."""

    def __init__(self, acme):
        self.acme = acme
        self.customers = {r["customer_id"]: r for r in acme.sql("SELECT * FROM customers").to_dicts()}
        self.tickets = {r["ticket_id"]: r for r in acme.sql(
            "SELECT ticket_id, customer_id, priority FROM tickets").to_dicts()}
        self.kb = [r[0] for r in acme.sql("SELECT article_id FROM kb_articles").rows]
        self.ticket_scores = {t: self._scores("tickets", "ticket_id", t) for t in TEXTS}
        self.kb_scores = {t: self._scores("kb_articles", "article_id", t) for t in TEXTS}
        self.keyword = {w: {r[0] for r in acme.sql(
            f"SELECT ticket_id FROM tickets WHERE keyword_score(body, '{w}') > 0").rows} for w in WORDS}

    def _scores(self, table: str, key: str, text: str) -> dict:
        return dict(self.acme.sql(f"SELECT {key}, similarity(body, '{text}') FROM {table}").rows)

    def scoped(self, role):
        policy, attributes, _ = role
        return as_role(self.acme, {"r": policy}, "r", attributes)

    # the role's rows, computed here from the truth
    def visible_customers(self, role) -> set:
        regions = role[2][0]
        return {c for c, r in self.customers.items() if r["region"] in regions}

    def visible_tickets(self, role) -> set:
        _, _, (regions, _, by, priorities, _) = role
        if by == "region":
            mine = self.visible_customers(role)
            return {t for t, r in self.tickets.items() if r["customer_id"] in mine}
        return {t for t, r in self.tickets.items() if r["priority"] in priorities}

    def visible_kb(self, role) -> set:
        parity = role[2][4]
        return set(self.kb) if parity is None else {a for a in self.kb if a % 2 == parity}


@pytest.fixture(scope="module")
def world(acme):
    return World(acme)


def top_k_matches(got: list[tuple], scores: dict, visible: set, k: int) -> None:
    """`got` (key, score) is the k best of the visible rows by the reference scores (ties either way)."""
    ranked = sorted(((scores[v], v) for v in visible), reverse=True)
    assert len(got) == min(k, len(visible)), (len(got), k, len(visible))
    assert {key for key, _ in got} <= visible, "a row outside the role's filter"
    for key, score in got:
        assert abs(score - scores[key]) <= TOL
    if len(ranked) > k:
        kth = ranked[k - 1][0]
        assert all(scores[key] >= kth - TOL for key, _ in got)
        assert all(s <= kth + TOL for s, v in ranked if v not in {key for key, _ in got})


@SETTINGS
@given(role=roles(), residue=st.integers(0, 2))
def test_plain_rows_and_columns(world, role, residue):
    hq = world.scoped(role)
    hidden = set(role[2][1])
    result = hq.sql(f"SELECT * FROM customers WHERE customer_id % 3 = {residue}")
    assert not hidden & set(result.columns)
    assert set(result.columns) == set(world.customers[next(iter(world.customers))]) - hidden
    expected = {c for c in world.visible_customers(role) if c % 3 == residue}
    assert {r["customer_id"] for r in result.to_dicts()} == expected
    for column in hidden:
        with pytest.raises(AccessDenied):
            hq.sql(f"SELECT customer_id, {column} FROM customers")


@SETTINGS
@given(role=roles())
def test_counts_and_joins(world, role):
    hq = world.scoped(role)
    tickets, customers = world.visible_tickets(role), world.visible_customers(role)
    assert hq.sql("SELECT count(*) FROM tickets").rows == [(len(tickets),)]
    got = dict(hq.sql("SELECT c.region, count(*) FROM tickets t JOIN customers c USING (customer_id) "
                      "GROUP BY 1").rows)
    expected: dict = {}
    for t in tickets:
        c = world.tickets[t]["customer_id"]
        if c in customers:
            region = world.customers[c]["region"]
            expected[region] = expected.get(region, 0) + 1
    assert got == expected
    # a CTE and a subquery see the filtered table too
    assert hq.sql("WITH x AS (SELECT * FROM customers) SELECT count(*) FROM x WHERE customer_id IN "
                  "(SELECT customer_id FROM customers)").rows == [(len(customers),)]


@SETTINGS
@given(role=roles(), text=st.sampled_from(TEXTS), k=st.integers(1, 12))
def test_similarity_top_k(world, role, text, k):
    hq = world.scoped(role)
    got = hq.sql(f"SELECT ticket_id, similarity(body, '{text}') AS s FROM tickets ORDER BY s DESC LIMIT {k}").rows
    top_k_matches(got, world.ticket_scores[text], world.visible_tickets(role), k)


@SETTINGS
@given(role=roles(), text=st.sampled_from(TEXTS), threshold=st.sampled_from([0.2, 0.3, 0.4]))
def test_semantic_match(world, role, text, threshold):
    hq = world.scoped(role)
    got = {r[0] for r in hq.sql(f"SELECT ticket_id FROM tickets WHERE semantic_match(body, '{text}', {threshold})").rows}
    scores, visible = world.ticket_scores[text], world.visible_tickets(role)
    assert got <= visible
    assert {t for t in visible if scores[t] >= threshold + TOL} <= got
    assert got <= {t for t in visible if scores[t] >= threshold - TOL}


@SETTINGS
@given(role=roles(), word=st.sampled_from(WORDS))
def test_keyword_match_and_its_count(world, role, word):
    hq = world.scoped(role)
    expected = world.keyword[word] & world.visible_tickets(role)
    assert {r[0] for r in hq.sql(f"SELECT ticket_id FROM tickets WHERE keyword_match(body, '{word}')").rows} == expected
    assert hq.sql(f"SELECT count(*) FROM tickets WHERE keyword_match(body, '{word}')").rows == [(len(expected),)]


@SETTINGS
@given(role=roles(), text=st.sampled_from(TEXTS), k=st.integers(1, 8))
def test_vector_search_and_retrieve(world, role, text, k):
    hq = world.scoped(role)
    visible, scores = world.visible_kb(role), world.kb_scores[text]
    got = hq.sql(f"SELECT article_id, _score FROM vector_search('kb_articles.body', '{text}', {k})").rows
    top_k_matches(got, scores, visible, k)
    retrieved = hq.retrieve("kb_articles.body", text, k)
    assert retrieved.columns == ["article_id", "_score", "_chunk"]
    top_k_matches([(r[0], r[1]) for r in retrieved.rows], scores, visible, k)
    tickets = hq.sql(f"SELECT ticket_id, _score FROM vector_search('tickets.body', '{text}', {k})").rows
    top_k_matches(tickets, world.ticket_scores[text], world.visible_tickets(role), k)


@SETTINGS
@given(role=roles(), k=st.integers(1, 3))
def test_per_row_search_and_semantic_join(world, role, k):
    hq = world.scoped(role)
    tickets, kb = world.visible_tickets(role), world.visible_kb(role)
    rows = hq.sql(f"SELECT t.ticket_id, a.article_id FROM tickets t, LATERAL vector_search('kb_articles.body', "
                  f"t.body, {k}) AS a WHERE t.priority = 'urgent'").rows
    urgent = {t for t in tickets if world.tickets[t]["priority"] == "urgent"}
    assert {t for t, _ in rows} == (urgent if kb else set())
    assert {a for _, a in rows} <= kb
    per_ticket: dict = {}
    for t, a in rows:
        per_ticket.setdefault(t, []).append(a)
    assert all(len(v) == min(k, len(kb)) for v in per_ticket.values())
    pairs = hq.sql("SELECT t.ticket_id, a.article_id FROM tickets t, kb_articles a WHERE t.priority = 'urgent' "
                   "QUALIFY row_number() OVER (PARTITION BY t.ticket_id ORDER BY similarity(t.body, a.body) DESC) = 1"
                   ).rows
    assert {t for t, _ in pairs} == (urgent if kb else set()) and {a for _, a in pairs} <= kb
    # the same as the full-access query on the role's rows, written out
    if urgent and kb:
        ids = ", ".join(map(str, sorted(urgent)))
        arts = ", ".join(map(str, sorted(kb)))
        reference = world.acme.sql(
            f"SELECT t.ticket_id, a.article_id FROM tickets t, kb_articles a WHERE t.ticket_id IN ({ids}) "
            f"AND a.article_id IN ({arts}) QUALIFY row_number() OVER (PARTITION BY t.ticket_id "
            "ORDER BY similarity(t.body, a.body) DESC) = 1").rows
        assert sorted(pairs) == sorted(reference)


def test_ask_composes_within_the_role(world):
    """A question is answered with the role's catalog: its rows, and hidden columns do not exist."""
    role = ({"tables": {"customers": {"rows": "region = caller('region')", "hide": ["health_score"]},
                        "tickets": {}, "kb_articles": {}}}, {"region": "EMEA"}, (["EMEA"], ["health_score"], "priority",
                                                                                 PRIORITIES, None))
    hq = world.scoped(role)
    answer = hq.ask("how many customers are there")
    assert not answer.refused and answer.rows == [(len(world.visible_customers(role)),)]
    hidden = hq.ask("average health score of customers")
    assert hidden.refused or "health_score" not in (hidden.sql or "")
    assert "invoices" not in hq.catalog.tables and "health_score" not in hq.catalog.tables["customers"].columns
    assert all("invoices" not in (t.sql or "") for t in hq.catalog.glossary)
    # the values of a hidden column are no words of the role's questions either
    no_segment = world.scoped(({"tables": {"customers": {"hide": ["segment"]}, "subscriptions": {}}}, {},
                               (REGIONS, ["segment"], "priority", PRIORITIES, None)))
    answer = no_segment.ask("how many enterprise customers are there")
    assert "segment" not in (answer.sql or "")
