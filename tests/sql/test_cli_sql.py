"""`hybridq sql` in each output format, `hybridq explain`, and rejected queries on the command line.

The CLI opens its own session from the catalog file (the same store as the `acme` fixture, which
it only reads).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from hybridq.cli import main

GROUPED = "SELECT segment, count(*) AS n, round(avg(health_score), 2) AS health FROM customers GROUP BY 1 ORDER BY 1"
SEMANTIC = ("SELECT ticket_id, subject, similarity(body, 'we were charged twice, please refund') AS score "
            "FROM tickets WHERE priority IN ('high', 'urgent') ORDER BY score DESC, ticket_id LIMIT 4")


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def run(runner, *args, code=0):
    result = runner.invoke(main, [str(a) for a in args])
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.output}\n{result.exception!r}"
    assert "Traceback" not in result.output
    return result


def test_sql_csv(runner, acme_catalog, acme):
    result = run(runner, "sql", acme_catalog, GROUPED, "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["segment", "n", "health"]
    expected = acme.sql(GROUPED).rows
    assert [(r[0], int(r[1]), float(r[2])) for r in rows[1:]] == [(s, n, float(h)) for s, n, h in expected]
    assert result.stderr == ""


def test_sql_csv_quotes_text(runner, acme_catalog, acme):
    query = "SELECT ticket_id, body FROM tickets WHERE body LIKE '%,%' AND body LIKE '%\n%' ORDER BY ticket_id LIMIT 3"
    result = run(runner, "sql", acme_catalog, query, "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[1:] == [[str(i), body] for i, body in acme.sql(query).rows]
    assert len(rows) == 4


def test_sql_json_with_semantic_scores(runner, acme_catalog, acme):
    result = run(runner, "sql", acme_catalog, SEMANTIC, "--format", "json")
    data = json.loads(result.stdout)
    expected = acme.sql(SEMANTIC).rows
    assert [list(d) for d in data] == [["ticket_id", "subject", "score"]] * len(expected)
    assert [(d["ticket_id"], d["subject"]) for d in data] == [(r[0], r[1]) for r in expected]
    for d, r in zip(data, expected):
        assert abs(d["score"] - r[2]) <= 1e-6


def test_sql_json_dates_as_text(runner, acme_catalog):
    result = run(runner, "sql", acme_catalog, "SELECT signup_date, is_active FROM customers WHERE customer_id = 3",
                 "--format", "json")
    [row] = json.loads(result.stdout)
    assert row["signup_date"] == "2025-01-13" and row["is_active"] is True


def test_sql_markdown(runner, acme_catalog, acme):
    result = run(runner, "sql", acme_catalog, GROUPED, "--format", "markdown")
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "| segment | n | health |"
    assert lines[1] == "|---|---|---|"
    expected = acme.sql(GROUPED).rows
    assert len(lines) == 2 + len(expected)
    cells = [line.strip("| ").split(" | ") for line in lines[2:]]
    assert [(c[0], int(c[1])) for c in cells] == [(s, n) for s, n, _ in expected]


def test_sql_markdown_truncates_and_escapes(runner, acme_catalog):
    query = "SELECT 'a|b' AS pipe, repeat('x', 200) AS long"
    result = run(runner, "sql", acme_catalog, query, "--format", "markdown", "--max-width", "20")
    row = result.stdout.strip().splitlines()[2]
    assert "a\\|b" in row
    assert "x" * 19 + "…" in row and "x" * 20 not in row


def test_sql_table(runner, acme_catalog):
    result = run(runner, "sql", acme_catalog, GROUPED)
    for word in ("segment", "health", "Enterprise", "Mid-Market", "SMB"):
        assert word in result.stdout
    assert "3 row(s)" in result.stderr and "refresh #" in result.stderr


def test_explain_text(runner, acme_catalog, acme):
    result = run(runner, "explain", acme_catalog, SEMANTIC)
    plan = acme.explain(SEMANTIC)
    out = result.stdout
    assert f"strategy: {plan.steps[0].strategy}" in out
    assert "why: " in out and "rewritten SQL:" in out
    assert plan.rewritten in out and "__hq_rel_0" in out
    assert "similarity(tickets.body, 'we were charged twice, please refund')" in out


def test_explain_json(runner, acme_catalog, acme):
    data = json.loads(run(runner, "explain", acme_catalog, SEMANTIC, "--format", "json").stdout)
    assert data["sql"] == SEMANTIC and data["semantic"] is True
    assert data["rewritten"] == acme.explain(SEMANTIC).rewritten
    [step] = data["steps"]
    assert step["strategy"] and step["reason"] and step["relation"] == "__hq_rel_0"
    assert step["output_rows"] <= step["rows_scored"] <= 325
    assert data["snapshot"]["lance_versions"]["tickets.body"] >= 1


def test_explain_plain_sql(runner, acme_catalog):
    out = run(runner, "explain", acme_catalog, GROUPED).stdout
    assert "plain SQL" in out and GROUPED in out


@pytest.mark.parametrize("command", ["sql", "explain"])
@pytest.mark.parametrize("query, message", [
    ("DROP TABLE customers", "DROP statements are not allowed"),
    ("SELECT * FROM read_csv('/etc/passwd')", "table function read_csv() is not allowed"),
    ("SELECT 1; DELETE FROM customers", "expected one statement, got 2"),
    ("SELECT * FROM custmers", "did you mean 'customers'?"),
    ("SELECT similarity(subject, 'x') FROM tickets", "tickets.subject is not a semantic column"),
])
def test_rejected_query(runner, acme_catalog, acme, command, query, message):
    result = run(runner, command, acme_catalog, query, code=1)
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert "^" in result.stderr and "hint: " in result.stderr
    assert acme.sql("SELECT count(*) FROM customers").rows == [(60,)]


def test_missing_query_argument(runner, acme_catalog):
    result = run(runner, "sql", acme_catalog, code=2)
    assert "give the query as an argument, or with -f FILE" in result.output


def test_sql_json_is_valid_json_with_nan_and_infinity(runner, acme_catalog):
    query = "SELECT 'nan'::DOUBLE AS a, 'inf'::DOUBLE AS b, -'inf'::DOUBLE AS c, 2.5::DOUBLE AS d"

    def refuse(token):
        raise ValueError(f"not JSON: {token}")

    result = run(runner, "sql", acme_catalog, query, "--format", "json")
    assert json.loads(result.stdout, parse_constant=refuse) == [{"a": None, "b": None, "c": None, "d": 2.5}]


def test_table_output_is_capped_and_says_how_many_rows_were_left_out(runner, acme_catalog):
    query = "SELECT range AS n FROM range(3000)"
    result = run(runner, "sql", acme_catalog, query)
    assert len(result.stdout.splitlines()) < 1100
    assert "showing the first 1,000 of 3,000 rows (2,000 left out)" in result.stderr
    assert "3,000 row(s)" in result.stderr
    shown = run(runner, "sql", acme_catalog, query, "--format", "markdown", "--max-rows", "10").stdout
    assert len(shown.strip().splitlines()) == 12
    assert len(run(runner, "sql", acme_catalog, query, "--format", "csv").stdout.splitlines()) == 3001


@pytest.mark.parametrize("call", [
    "keyword_score(body, 'invoice')", "hybrid_score(body, 'invoice')", "similarity(body, 'invoice')"])
def test_explain_counts_every_row_scored_when_only_the_top_ones_are_kept(acme, call):
    plan = acme.explain(f"SELECT ticket_id, {call} AS s FROM tickets ORDER BY s DESC LIMIT 10")
    [step] = plan.steps
    assert step.rows_scored == 325 and 10 <= step.output_rows < 20, step  # ties at the 10th score are kept
    assert f"scored 325 rows / {step.chunks_scored:,} chunks -> {step.output_rows} rows" in str(plan)


def test_help_shows_an_example(runner):
    for command in ("sql", "explain"):
        out = run(runner, command, "--help").stdout
        assert "hybridq " + command in out and "--format" in out


def test_stop_words_never_match_and_the_docs_say_so(acme):
    from pathlib import Path

    assert acme.sql("SELECT count(*) FROM tickets WHERE body ILIKE '% the %'").rows[0][0] > 0
    assert acme.sql("SELECT count(*) FROM tickets WHERE keyword_match(body, 'the')").rows == [(0,)]
    assert acme.sql("SELECT max(keyword_score(body, 'the of and')) FROM tickets").rows == [(0.0,)]
    doc = (Path(__file__).resolve().parents[2] / "docs" / "sql.md").read_text(encoding="utf-8")
    assert "keyword_match(body, 'the')` is false on every row" in doc and "Stop words" in doc
