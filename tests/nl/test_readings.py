"""Readings instead of one greedy reading: choice points, clarifications, the catalog's vocabulary,
and the checks that keep a reading from using a word without effect.

The small 'atlas' project below is written for these tests (states, cities, rivers, customers,
subscriptions, tickets); each test asks what one rule is about and compares the answer with SQL
written by hand, run on the same store.
"""

from __future__ import annotations

import inspect

import pytest

import hybridq
from hybridq.nl.choices import Choices, Option, enumerate_paths

CATALOG = """
version: 1
name: atlas
store: .hybridq/atlas
today: 2026-06-30
questions: {all_rows: [in the country]}
sources:
  states: {kind: csv, path: data/states.csv}
  cities: {kind: csv, path: data/cities.csv}
  rivers: {kind: csv, path: data/rivers.csv}
  customers: {kind: csv, path: data/customers.csv}
  subscriptions: {kind: csv, path: data/subscriptions.csv}
  tickets: {kind: jsonl, path: data/tickets.jsonl}
tables:
  states:
    source: states
    primary_key: state_name
    label_column: state_name
    columns:
      state_name: VARCHAR
      area: {type: INTEGER, unit: km2, adjectives: [large, big, small]}
      population: {type: INTEGER, unit: people, adjectives: [populous]}
  cities:
    source: cities
    primary_key: city_name
    label_column: city_name
    columns:
      city_name: VARCHAR
      state_name: VARCHAR
      population: {type: INTEGER, unit: people, adjectives: [big]}
  rivers:
    source: rivers
    description: One row per river and state it flows through.
    primary_key: [river_name, state_name]
    entity_key: river_name
    label_column: river_name
    columns:
      river_name: VARCHAR
      state_name: VARCHAR
  customers:
    source: customers
    primary_key: customer_id
    columns:
      customer_id: INTEGER
      name: VARCHAR
      segment: {type: VARCHAR, values: [SMB, {value: Mid-Market, aliases: [midmarket, MM]}, Enterprise]}
      home_state: VARCHAR
  subscriptions:
    source: subscriptions
    primary_key: subscription_id
    time_column: start_date
    columns:
      subscription_id: INTEGER
      customer_id: INTEGER
      plan: {type: VARCHAR, values: [Basic, Pro]}
      start_date: DATE
      end_date: {type: DATE, verbs: [cancelled, ended]}
  tickets:
    source: tickets
    primary_key: ticket_id
    columns:
      ticket_id: INTEGER
      customer_id: INTEGER
      body: {type: TEXT, semantic: true, verbs: [complained, reported]}
relationships:
  - {from: cities.state_name, to: states.state_name}
  - {from: rivers.state_name, to: states.state_name}
  - {from: subscriptions.customer_id, to: customers.customer_id}
  - {from: tickets.customer_id, to: customers.customer_id}
"""

FILES = {
    "states.csv": """state_name,area,population
        Texas,695662,29000000
        Alaska,1723337,733000
        Rhode Island,4001,1097000
        California,423967,39000000
        """,
    "cities.csv": """city_name,state_name,population
        Houston,Texas,2300000
        Anchorage,Alaska,291000
        Providence,Rhode Island,190000
        Los Angeles,California,3900000
        """,
    "rivers.csv": """river_name,state_name
        Red,Texas
        Colorado,Texas
        Colorado,California
        Yukon,Alaska
        """,
    "customers.csv": """customer_id,name,segment,home_state
        1,Acme Corp,Enterprise,Texas
        2,Bolt Ltd,Mid-Market,Alaska
        3,Cog Inc,SMB,Texas
        """,
    "subscriptions.csv": """subscription_id,customer_id,plan,start_date,end_date
        10,1,Pro,2024-02-01,2025-03-01
        11,1,Pro,2025-03-01,
        12,2,Basic,2025-01-15,2026-01-10
        13,3,Basic,2026-02-01,
        """,
}
TICKETS = [
    (1, 1, "The export to CSV is painfully slow and times out after ten minutes."),
    (2, 2, "We cannot log in with single sign-on since this morning."),
    (3, 3, "Please send a copy of last month's invoice."),
]


@pytest.fixture(scope="module")
def atlas(tmp_path_factory, embedder):
    import json

    root = tmp_path_factory.mktemp("atlas")
    (root / "data").mkdir()
    for name, text in FILES.items():
        (root / "data" / name).write_text(inspect.cleandoc(text) + "\n")
    (root / "data" / "tickets.jsonl").write_text(
        "\n".join(json.dumps({"ticket_id": t, "customer_id": c, "body": b}) for t, c, b in TICKETS) + "\n")
    (root / "atlas.yaml").write_text(CATALOG)
    hq = hybridq.connect(root / "atlas.yaml", embedder=embedder)
    hq.refresh()
    yield hq
    hq.close()


def rows(hq, sql):
    return sorted(map(tuple, hq.sql(sql).rows))


def answered(hq, question):
    answer = hq.ask(question, llm=False)
    assert answer.kind == "answer", answer.explain()
    return answer


# -- the choice machinery ---------------------------------------------------------------------

def test_every_path_through_the_decisions_is_run_strongest_evidence_first():
    def run(choices: Choices):
        a = choices.choose("a", [Option("x", 1.0, "x"), Option("y", 0.9, "y")])
        b = choices.choose("b", [Option(1, 1.0, "1"), Option(2, 1.0, "2"), Option(3, 0.2, "3")])
        return a, b

    runs = enumerate_paths(run, max_penalty=0.5)
    assert [r for _, r in runs] == [("x", 1), ("x", 2), ("y", 1), ("y", 2)]  # 3 is too weak to be a reading
    assert [round(c.penalty, 2) for c, _ in runs] == [0.0, 0.0, 0.1, 0.1]
    # once enough is known, later (weaker) paths are not run at all
    assert len(enumerate_paths(run, max_penalty=0.5, enough=lambda p: p > 0.05)) == 2


# -- vocabulary ---------------------------------------------------------------------------------

def test_an_adjective_ranks_by_its_column_and_its_opposite_the_other_way(atlas):
    largest = answered(atlas, "which state is the largest?")
    assert largest.rows[0][0] == "Alaska" and len(largest.rows) == 1
    smallest = answered(atlas, "the smallest state")
    assert smallest.rows[0][0] == "Rhode Island"
    populous = answered(atlas, "What is the most populous state?")
    assert populous.rows[0][0] == "California" and "population" in populous.sql


def test_an_adjective_of_the_low_end_ranks_by_the_lowest_values(atlas):
    # 'small' listed beside 'large' on states.area: each superlative has one direction; and 'the
    # smallest state' is not read by the opposite of a city's adjective ('big' on cities.population)
    # falling back to any size column of states
    assert answered(atlas, "what is the largest state").rows == [("Alaska", 1723337)]
    assert answered(atlas, "the smallest state").rows == [("Rhode Island", 4001)]
    assert answered(atlas, "the smallest city").rows[0][0] == "Providence"
    assert answered(atlas, "the biggest city").rows[0][0] == "Los Angeles"


def test_a_superlative_the_catalog_does_not_define_is_not_guessed(atlas):
    answer = atlas.ask("who are the best customers?", llm=False)
    assert answer.kind == "refusal" and "best" in answer.unplaced


def test_a_verb_picks_the_date_it_means(atlas):
    answer = answered(atlas, "how many subscriptions were cancelled in 2025?")
    assert "end_date" in answer.sql and "start_date" not in answer.sql
    assert answer.rows == [(1,)]


def test_a_state_without_a_date_of_its_own_is_refused_with_a_time_window(atlas):
    answer = atlas.ask("how many subscriptions started in 2025?", llm=False)  # start_date: a date column's verb
    assert answer.kind == "answer" and answer.rows == [(2,)]


def test_a_verb_picks_the_text_searched(atlas):
    answer = answered(atlas, "which customers complained about slow exports?")
    assert "tickets.body" in answer.sql and answer.rows[0][1] == "Acme Corp"


def test_a_value_alias_names_the_value(atlas):
    answer = answered(atlas, "how many midmarket customers are there?")
    assert "'Mid-Market'" in answer.sql and answer.rows == [(1,)]


def test_an_entity_key_counts_what_the_rows_describe(atlas):
    answer = answered(atlas, "how many rivers are there?")
    assert answer.rows == [(3,)]  # four rows, three rivers


def test_all_rows_phrases_change_nothing(atlas):
    assert answered(atlas, "how many states are there in the country?").rows == [(4,)]


def test_meaning_words_are_never_dropped(atlas):
    for question, word in [("how many new customers do we have?", "new"),
                           ("how many companies are in Texas?", "companies"),
                           ("how many customers do we currently have?", "currently")]:
        answer = atlas.ask(question, llm=False)
        assert answer.kind == "refusal" and word in answer.unplaced, (question, answer.explain())


# -- readings, compactness and clarification -----------------------------------------------------

def test_the_reading_closest_to_the_question_wins_without_asking(atlas):
    # 'Texas' is a state and the home state of customers: asking about customers, it is their home state
    answer = answered(atlas, "which customers are in Texas?")
    assert "home_state" in answer.sql and sorted(r[1] for r in answer.rows) == ["Acme Corp", "Cog Inc"]


def test_equal_readings_become_a_clarification_and_choose_answers_one(atlas, tmp_path):
    # 'population' of cities or of states, named with neither: two readings, no guess
    question = "what is the total population?"
    answer = atlas.ask(question, llm=False)
    assert answer.kind == "clarification" and not answer.rows
    texts = [o.sql for o in answer.options]
    assert any("cities.population" in t for t in texts) and any("states.population" in t for t in texts)
    assert "choose" in answer.explain()
    for n, option in enumerate(answer.options, 1):
        chosen = atlas.ask(question, llm=False, choose=n)
        assert chosen.kind == "answer" and chosen.sql == option.sql
        assert chosen.rows == atlas.sql(option.sql).rows
    with pytest.raises(hybridq.NLError, match="no reading 9"):
        atlas.ask(question, llm=False, choose=9)


def test_the_cli_lists_the_readings_and_answers_the_one_chosen(atlas):
    import subprocess
    import sys

    catalog = str(atlas.catalog.file)
    atlas.close()  # the store is opened by the command's own process
    try:
        listed = subprocess.run([sys.executable, "-m", "hybridq.cli", "ask", catalog, "what is the total population?"],
                                capture_output=True, text=True, timeout=300)
        assert listed.returncode == 3, listed.stderr
        assert "1. " in listed.stderr and "2. " in listed.stderr and "--choose" in listed.stderr
        chosen = subprocess.run([sys.executable, "-m", "hybridq.cli", "ask", catalog, "what is the total population?",
                                 "--choose", "1", "--format", "json"], capture_output=True, text=True, timeout=300)
        assert chosen.returncode == 0, chosen.stderr
        assert '"kind": "answer"' in chosen.stdout
    finally:
        reopened = hybridq.connect(catalog)
        atlas.__dict__.update(reopened.__dict__)


def test_a_table_the_question_names_must_change_the_answer(atlas):
    from hybridq.nl import lexicon_for, today_of
    from hybridq.nl.readings import understand

    outcome = understand("which state has the most customers?", lexicon_for(atlas), today_of(atlas))
    assert outcome.refusal is not None and "customers" in outcome.refusal.reason  # no path from states to customers


# -- shapes -----------------------------------------------------------------------------------

def test_conditions_on_the_same_related_rows_hold_for_one_row(atlas):
    answer = answered(atlas, "customers with a Pro subscription cancelled in 2025")
    assert answer.sql.count("EXISTS") == 1
    assert [r[1] for r in answer.rows] == ["Acme Corp"]


def test_a_ranking_within_each_group(atlas):
    answer = answered(atlas, "the 1 largest city in each state by population")
    assert "QUALIFY" in answer.sql.upper() and "PARTITION BY" in answer.sql.upper()
    assert sorted(r[0] for r in answer.rows) == ["Anchorage", "Houston", "Los Angeles", "Providence"]


def test_a_ratio_of_two_counts(atlas):
    answer = answered(atlas, "What is the ratio of Basic subscriptions to Pro subscriptions?")
    assert float(answer.rows[0][0]) == pytest.approx(1.0)
    share = answered(atlas, "what share of customers are Enterprise?")
    assert float(share.rows[0][0]) == pytest.approx(1 / 3)


def test_a_question_with_a_word_the_catalog_cannot_place_names_it(atlas):
    answer = atlas.ask("how many zeppelins landed in Texas?", llm=False)
    assert answer.kind == "refusal" and "zeppelins" in answer.unplaced


def test_a_catalog_without_semantic_columns_never_loads_the_model(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "states.csv").write_text(inspect.cleandoc(FILES["states.csv"]) + "\n")
    (tmp_path / "plain.yaml").write_text(inspect.cleandoc("""
        version: 1
        name: plain
        sources: {states: {kind: csv, path: data/states.csv}}
        tables:
          states:
            source: states
            primary_key: state_name
            columns: {state_name: VARCHAR, area: {type: INTEGER, unit: km2}, population: INTEGER}
        """))
    with hybridq.connect(tmp_path / "plain.yaml") as hq:
        hq.refresh()
        assert hq.ask("how many states have an area over 500000?", llm=False).rows == [(2,)]
        refused = hq.ask("how many provinces are there?", llm=False)
        assert refused.kind == "refusal" and "provinces" in refused.unplaced
        assert hq._opened.embedder is None  # neither the refresh, the answer nor the refusal loaded it
