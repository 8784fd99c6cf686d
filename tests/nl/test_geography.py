"""The geography database of the defog-data package with its blind catalog (catalogs/defog/geography.yaml).

Regression probes written by the parser's author after the catalog: superlatives with the adjectives a
catalog lists in pairs ('large' and 'small' on area). They are not evidence of accuracy; the
question set written by someone else is (bench/bench_nl_eval.py --set geography).
"""

from __future__ import annotations

import pytest

import hybridq
from defog.stores import build_project


@pytest.fixture(scope="module")
def geography(tmp_path_factory, embedder):
    catalog = build_project(tmp_path_factory.mktemp("geography"), databases=("geography",))["geography"]
    hq = hybridq.connect(catalog, embedder=embedder)
    hq.refresh()
    yield hq
    hq.close()


def readings(answer) -> list[str]:
    return [o.sql for o in answer.options] if answer.options else [answer.sql]


@pytest.mark.parametrize("question, first", [("name the longest river", "Nile"), ("what is the shortest river", "Po"),
                                             ("what is the highest mountain", "Mount Everest"),
                                             ("the smallest lake", "Lake Erie"), ("largest city", "Los Angeles")])
def test_a_superlative_ranks_one_way(geography, question, first):
    answer = geography.ask(question, llm=False)
    assert answer.kind == "answer", answer.explain()
    assert answer.rows[0][0] == first


def test_the_largest_state_is_ranked_by_what_large_means_for_states(geography):
    # area carries 'large' and 'small': never the smallest, and no other column of states
    sqls = [" ".join(sql.split()) for sql in readings(geography.ask("what is the largest state", llm=False))]
    ranking_states = [sql for sql in sqls if "FROM state " in sql + " "]
    assert ranking_states == ["SELECT state.state_name, state.area FROM state ORDER BY state.area DESC LIMIT 1"]


def test_a_scale_word_multiplies_its_number():
    from hybridq.nl.text import tokenize

    numbers = [t.number for t in tokenize("more than 1 million people, 2.5 billion or 300 thousand") if t.number]
    assert numbers == [1e6, 2.5e9, 3e5]


def test_a_number_with_a_scale_word_compares_at_its_value(geography):
    answer = geography.ask("which cities have more than 1 million people", llm=False)
    assert answer.kind == "answer", answer.explain()
    expected = geography.sql("SELECT city_name FROM city WHERE population > 1000000").rows
    assert sorted(answer.rows) == sorted(expected) and len(expected) == 5


def test_a_superlative_before_a_column_ranks_by_that_column(geography):
    # 'largest' is the catalog's adjective for state.area; 'the largest population' ranks by population
    answer = geography.ask("what is the capital of the state with the largest population", llm=False)
    assert answer.kind == "answer", answer.explain()
    assert "ORDER BY state.population DESC" in " ".join(answer.sql.split())
    (state, capital, population), = answer.rows  # (three states tie at the top: any one of them)
    assert population == geography.sql("SELECT max(population) FROM state").rows[0][0]
    assert geography.sql("SELECT capital FROM state WHERE state_name = ?", [state]).rows == [(capital,)]


def test_combined_is_a_total(geography):
    answer = geography.ask("combined area of lakes in Michigan", llm=False)
    assert answer.kind == "answer", answer.explain()
    assert answer.rows == geography.sql("SELECT sum(area) FROM lake WHERE state_name = 'Michigan'").rows


def test_the_group_that_ranks_first_is_never_an_unknown_one(geography):
    # half the lakes have no state: they are not 'the state with the most lakes'
    answer = geography.ask("which state has the most lakes", llm=False)
    assert answer.kind == "answer", answer.explain()
    assert answer.rows == [("Michigan", 3)]


@pytest.mark.parametrize("question, sql", [
    ("how long is the Mississippi river", "SELECT river_name, length FROM river WHERE river_name = 'Mississippi'"),
    ("how high is Mount Everest", "SELECT mountain_name, mountain_altitude FROM mountain WHERE mountain_name = 'Mount Everest'"),
    ("what is the population of Houston", "SELECT city_name, population FROM city WHERE city_name = 'Houston'")])
def test_how_and_an_adjective_ask_for_the_value_of_one_named_row(geography, question, sql):
    # 'how long' asks for the length; the total of one row named by its key is no other reading
    answer = geography.ask(question, llm=False)
    assert answer.kind == "answer", answer.explain()
    assert answer.rows == geography.sql(sql).rows


def test_a_column_said_to_be_another_column_is_refused(geography):
    refused = geography.ask("states whose capital is also their largest city", llm=False)
    assert refused.kind == "refusal" and "compared with" in refused.explain()
    # a column said to be a value is a condition
    answer = geography.ask("states whose capital is Austin", llm=False)
    assert answer.kind == "answer" and answer.rows[0][0] == "Texas"


def test_the_noun_a_question_word_asks_about_names_rows(geography):
    # 'which state': the rows of state, not the state_name column of cities, lakes or mountains
    answer = geography.ask("which state has the largest area in the United States", llm=False)
    assert answer.kind == "answer", answer.explain()
    assert answer.rows == geography.sql("SELECT state_name, area FROM state WHERE country_name = 'United States' "
                                        "ORDER BY area DESC LIMIT 1").rows


def test_words_naming_a_table_are_not_another_tables_key_to_it(geography):
    # 'state' is not cities' or lakes' state_name unless other words name cities or lakes
    answer = geography.ask("what is the largest state", llm=False)
    assert answer.kind == "answer", answer.explain()
    assert " ".join(answer.sql.split()).endswith("FROM state ORDER BY state.area DESC LIMIT 1")
    chicago = geography.ask("what state is Chicago in", llm=False)
    assert any("city.state_name" in sql for sql in readings(chicago))
