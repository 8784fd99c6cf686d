"""Query parameters: `?`, `$1` and `$name` in plain SQL and as the text of semantic functions, in
Python, through the owner process and on the command line; and the errors of a query whose text
breaks (an unescaped quote) or whose values do not fit its parameters."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import hybridq
from hybridq.cli import main
from hybridq.serve.client import OwnerClient, RemoteSession
from hybridq.serve.owner import read_owner

from sql_helpers import caret_line, marked, sql_error

HOSTILE = "x' OR '1'='1"


def test_positional_and_named_values_in_plain_sql(acme):
    want = acme.sql("SELECT customer_id, name FROM customers WHERE segment = 'Enterprise' AND employees > 100 "
                    "ORDER BY 1").rows
    assert want
    q = "SELECT customer_id, name FROM customers WHERE segment = {} AND employees > {} ORDER BY 1"
    assert acme.sql(q.format("?", "?"), ["Enterprise", 100]).rows == want
    assert acme.sql(q.format("$1", "$2"), ["Enterprise", 100]).rows == want
    assert acme.sql(q.format("$segment", "$n"), {"segment": "Enterprise", "n": 100}).rows == want
    assert acme.sql(q.format("$segment", "$n"), {"segment": "Enterprise", "n": "100"}).rows == want  # text casts


def test_a_value_is_data_not_sql(acme):
    assert acme.sql("SELECT count(*) FROM customers WHERE name = ?", [HOSTILE]).rows == [(0,)]
    assert acme.sql("SELECT ? AS v", [HOSTILE]).rows == [(HOSTILE,)]
    scores = acme.sql("SELECT similarity(body, ?) AS s FROM tickets ORDER BY ticket_id LIMIT 3", [HOSTILE]).rows
    literal = acme.sql("SELECT similarity(body, 'x'' OR ''1''=''1') AS s FROM tickets ORDER BY ticket_id LIMIT 3").rows
    assert scores == literal


@pytest.mark.parametrize("template", [
    "SELECT ticket_id, similarity(body, {}) AS s FROM tickets ORDER BY s DESC, ticket_id LIMIT 5",
    "SELECT ticket_id FROM tickets WHERE semantic_match(body, {}, 0.3) ORDER BY ticket_id",
    "SELECT ticket_id, keyword_score(body, {}) AS k FROM tickets ORDER BY k DESC, ticket_id LIMIT 5",
    "SELECT ticket_id, hybrid_score(body, {}) AS h FROM tickets ORDER BY h DESC, ticket_id LIMIT 5",
    "SELECT title, _score FROM vector_search('kb_articles.body', {}, 5) ORDER BY _score DESC",
    "SELECT array_cosine_similarity(embed({}), embed('money back')) AS c",
])
def test_a_parameter_is_the_text_of_a_semantic_function(acme, template):
    text = "we were charged twice, please refund"
    want = acme.sql(template.format(f"'{text}'")).rows
    assert want
    assert acme.sql(template.format("?"), [text]).rows == want
    assert acme.sql(template.format("$q"), {"q": text}).rows == want


def test_distinct_values_of_one_query_give_their_own_answers(acme):
    q = "SELECT ticket_id FROM tickets ORDER BY similarity(body, ?) DESC, ticket_id LIMIT 3"
    refund, outage = acme.sql(q, ["refund"]).rows, acme.sql(q, ["service outage"]).rows
    assert refund == acme.sql(q.replace("?", "'refund'")).rows
    assert outage == acme.sql(q.replace("?", "'service outage'")).rows
    assert refund != outage


def test_positional_values_bind_in_text_order_in_a_semantic_query(acme):
    rows = acme.sql("SELECT ? AS a, ? AS b, ticket_id FROM tickets WHERE priority = ? "
                    "ORDER BY similarity(body, ?) DESC, ticket_id LIMIT 2", ["first", "second", "urgent", "refund"]).rows
    want = acme.sql("SELECT ticket_id FROM tickets WHERE priority = 'urgent' "
                    "ORDER BY similarity(body, 'refund') DESC, ticket_id LIMIT 2").rows
    assert [r[:2] for r in rows] == [("first", "second")] * 2
    assert [r[2:] for r in rows] == want


def test_explain_with_parameters(acme):
    plan = acme.explain("SELECT ticket_id, similarity(body, $q) AS s FROM tickets WHERE priority = $p "
                        "ORDER BY s DESC LIMIT 3", {"q": "refund", "p": "urgent"})
    assert plan.steps and plan.steps[0].call == "similarity(tickets.body, 'refund')"
    assert "priority = 'urgent'" in plan.steps[0].reason


@pytest.mark.parametrize("sql, params, message, at", [
    ("SELECT * FROM customers WHERE name = ? AND segment = ?", ["x"],
     "the query has 2 positional parameter(s) but 1 value(s) were given", "?"),
    ("SELECT * FROM customers WHERE name = ?", None, "the query has 1 parameter(s) but no values were given", "?"),
    ("SELECT * FROM customers WHERE name = $name", {"nmae": "x"}, "no value for parameter $name", "$name"),
    ("SELECT * FROM customers WHERE name = $name", {"name": "x", "extra": 1}, "value(s) given for no parameter: extra",
     None),
    ("SELECT * FROM customers WHERE name = $name", ["x"], "named parameters ($name) take a dict of values", "$name"),
    ("SELECT * FROM customers WHERE name = ?", {"name": "x"}, "positional parameters (?, $1) take a list of values",
     "?"),
    ("SELECT * FROM customers WHERE name = ? AND segment = $s", ["x"], "either named parameters", "?"),
    ("SELECT * FROM customers", ["x"], "1 parameter value(s) given, but the query has no parameter", None),
    ("SELECT * FROM customers WHERE name = ?", [{"a": 1}], "parameter 1: a value of type dict is not supported",
     None),
    ("SELECT similarity(body, ?) FROM tickets", [5], "the text must be a string constant", "?"),
])
def test_parameter_errors(acme, sql, params, message, at):
    with pytest.raises(hybridq.SQLError) as info:
        acme.sql(sql, params)
    assert message in info.value.message, str(info.value)
    assert info.value.hint
    if at is not None:
        assert marked(info.value) == at


@pytest.mark.parametrize("sql, message, at", [
    ("SELECT * FROM tickets WHERE subject = 'it's broken'", "unescaped quote", "'"),
    ("SELECT * FROM tickets WHERE subject = 'don't' AND priority = 'high'", "unescaped quote", "'"),
    ("SELECT * FROM tickets WHERE subject = 'never closed", "unclosed quote: the text that starts here", "'"),
    ('SELECT "never closed FROM tickets', "unclosed quote: the identifier that starts here", '"'),
])
def test_unescaped_quote_is_located_with_a_hint(acme, sql, message, at):
    err = sql_error(acme, sql)
    assert message in err.message
    assert marked(err) == at and caret_line(err)
    if at == "'":
        assert "twice" in err.hint and "parameter" in err.hint
    if message == "unescaped quote":  # the caret is under the apostrophe, not at the end of the query
        assert err.where.start == sql.index("'", sql.index("'") + 1)


def test_parameters_through_the_owner_process(acme):
    """The owner's /sql and /explain carry the values (the other processes' path)."""
    remote = RemoteSession(acme.catalog, OwnerClient(read_owner(acme.catalog.store_dir)))
    try:
        q = "SELECT ticket_id, similarity(body, ?) AS s FROM tickets WHERE priority = ? ORDER BY s DESC LIMIT 3"
        assert remote.sql(q, ["refund", "high"]).rows == acme.sql(q, ["refund", "high"]).rows
        assert remote.sql("SELECT $a AS a", {"a": HOSTILE}).rows == [(HOSTILE,)]
        assert remote.explain(q, ["refund", "high"]).steps[0].call == "similarity(tickets.body, 'refund')"
        with pytest.raises(hybridq.SQLError, match="no value for parameter"):
            remote.sql("SELECT $a", {"b": 1})
    finally:
        remote.close()


def test_cli_parameters_file_and_stdin(acme_catalog, acme, tmp_path):
    runner = CliRunner()
    query = "SELECT ticket_id, subject FROM tickets WHERE priority = $p ORDER BY similarity(body, $q) DESC, " \
            "ticket_id LIMIT 3"
    want = [list(r) for r in acme.sql(query, {"p": "urgent", "q": "it's broken"}).rows]

    def rows(result):
        assert result.exit_code == 0, result.output
        return [[d["ticket_id"], d["subject"]] for d in json.loads(result.stdout)]

    args = ["--param", "p=urgent", "--param", "q=it's broken", "--format", "json"]
    assert rows(runner.invoke(main, ["sql", str(acme_catalog), query, *args])) == want
    file = tmp_path / "q.sql"
    file.write_text(query, encoding="utf-8")
    assert rows(runner.invoke(main, ["sql", str(acme_catalog), "-f", str(file), *args])) == want
    assert rows(runner.invoke(main, ["sql", str(acme_catalog), "-", *args], input=query)) == want
    positional = query.replace("$p", "?").replace("$q", "?")
    assert rows(runner.invoke(main, ["sql", str(acme_catalog), positional, "-p", "1=urgent", "-p", "2=it's broken",
                                     "--format", "json"])) == want
    bad = runner.invoke(main, ["sql", str(acme_catalog), positional, "-p", "1=urgent", "-p", "3=x"])
    assert bad.exit_code == 2 and "numbered parameters must be 1..2" in bad.output
    neither = runner.invoke(main, ["sql", str(acme_catalog)])
    assert neither.exit_code == 2 and "-f FILE" in neither.output
