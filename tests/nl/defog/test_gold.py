"""defog gold: the alternatives a gold cell allows, and the PostgreSQL -> DuckDB transforms (fixture pairs,
then the values DuckDB computes, which are PostgreSQL's own)."""

from __future__ import annotations

import duckdb
import pytest

from defog.gold import expand_choices, gold_variants, split_statements, to_duckdb

SCHEMA = {"t": {"a": "bigint", "b": "integer", "c": "real", "m": "text", "d": "date", "e": "bigint"}}


def test_statements_split_on_semicolons_outside_strings():
    assert split_statements("SELECT 1; SELECT 'a;b';\n") == ["SELECT 1", "SELECT 'a;b'"]


def test_braces_expand_to_every_non_empty_choice_and_group_by_follows():
    variants = expand_choices("SELECT {c.name, c.id}, COUNT(*) FROM c GROUP BY {} ORDER BY 2")
    assert variants == [
        "SELECT c.name, COUNT(*) FROM c GROUP BY c.name ORDER BY 2",
        "SELECT c.id, COUNT(*) FROM c GROUP BY c.id ORDER BY 2",
        "SELECT c.name, c.id, COUNT(*) FROM c GROUP BY c.name, c.id ORDER BY 2",
    ]
    assert gold_variants("SELECT {a, b} FROM t;SELECT c FROM t") == [
        "SELECT a FROM t", "SELECT b FROM t", "SELECT a, b FROM t", "SELECT c FROM t"]


# PostgreSQL in, DuckDB out: each pair pins one transform
PAIRS = [
    # integer / integer truncates in PostgreSQL: typed from the dump's schema, sqlglot keeps that
    ("SELECT a / e FROM t", "SELECT CAST(TRUNC(t.a / t.e) AS BIGINT) AS _col_0 FROM t AS t"),
    # sum(bigint) is numeric in PostgreSQL: no truncation; sum(integer) is bigint: truncation
    ("SELECT SUM(a) / COUNT(*) FROM t", "SELECT SUM(t.a) / COUNT(*) AS _col_0 FROM t AS t"),
    ("SELECT SUM(b) / COUNT(*) FROM t", "SELECT CAST(TRUNC(SUM(t.b) / COUNT(*)) AS BIGINT) AS _col_0 FROM t AS t"),
    # EXTRACT is numeric since PostgreSQL 14
    ("SELECT EXTRACT(YEAR FROM d) / 2 FROM t", "SELECT EXTRACT(YEAR FROM t.d) / 2 AS _col_0 FROM t AS t"),
    # month and day names in date formats
    ("SELECT to_date(m, 'Month') FROM t", "SELECT CAST(STRPTIME(t.m, '%B') AS DATE) AS _col_0 FROM t AS t"),
    ("SELECT to_char(d, 'FMDay') FROM t", "SELECT STRFTIME(t.d, '%A') AS _col_0 FROM t AS t"),
    # to_timestamp() is a timestamptz; its time of day, formatted
    ("SELECT to_char(to_timestamp(a)::TIME, 'HH24:MI') FROM t",
     "SELECT STRFTIME(CAST('1970-01-01' AS DATE) + CAST(CAST(TO_TIMESTAMP(t.a) AS TIMESTAMP) AS TIME), '%H:%M') "
     "AS _col_0 FROM t AS t"),
]


@pytest.mark.parametrize("postgres,duck", PAIRS)
def test_postgres_to_duckdb(postgres, duck):
    assert to_duckdb(postgres, SCHEMA) == duck


# what PostgreSQL computes on the row below (test_gold_postgres.py checks it on PostgreSQL)
VALUES = [
    ("SELECT a / e FROM t", 3),                       # 7 / 2
    ("SELECT SUM(a) / COUNT(*) FROM t", 7),           # numeric division
    ("SELECT EXTRACT(MONTH FROM to_date(m, 'Month')) FROM t", 3),
    ("SELECT EXTRACT(DAY FROM to_date(m, 'Month')) FROM t", 1),
    ("SELECT to_char(to_timestamp(a)::TIME, 'HH24:MI') FROM t", "00:00"),
    ("SELECT to_char(to_timestamp(a + 3600 * 5 + 60 * 7)::TIME, 'HH24:MI') FROM t", "05:07"),
]


@pytest.mark.parametrize("postgres,value", VALUES)
def test_duckdb_computes_what_postgres_does(postgres, value):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE t (a BIGINT, b INTEGER, c REAL, m VARCHAR, d DATE, e BIGINT)")
    con.execute("INSERT INTO t VALUES (7, 7, 7.0, 'March', DATE '2024-03-05', 2)")
    assert con.execute(to_duckdb(postgres, SCHEMA)).fetchone()[0] == value
