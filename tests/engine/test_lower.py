"""Lowering to an engine other than DuckDB: QUALIFY and window ordering rewritten so that Daft
reads them, with the same meaning (checked by running both forms in DuckDB)."""

from __future__ import annotations

import doctest

import duckdb
import pytest
import sqlglot

import hybridq.sql.lower as lower


def test_doctests():
    result = doctest.testmod(lower)
    assert result.attempted >= 2 and result.failed == 0


@pytest.mark.parametrize("sql", [
    "SELECT g, v FROM t QUALIFY row_number() OVER (PARTITION BY g ORDER BY v DESC) <= 2 ORDER BY g, v DESC",
    "SELECT t.g, t.v AS score FROM t QUALIFY rank() OVER (ORDER BY t.v) <= 3 ORDER BY t.g, score LIMIT 2 OFFSET 1",
    "WITH best AS (SELECT g, v FROM t QUALIFY row_number() OVER (PARTITION BY g ORDER BY v) = 1) "
    "SELECT * FROM best ORDER BY g",
    "SELECT g, rank() OVER (ORDER BY v DESC) AS r FROM t ORDER BY r, g LIMIT 4",
    "SELECT g FROM t WHERE v IN (SELECT v FROM t QUALIFY row_number() OVER (ORDER BY v DESC) <= 3) ORDER BY g",
])
def test_lowered_sql_means_the_same(sql):
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT i % 3 AS g, (i * 37) % 11 AS v FROM range(12) r(i)")
    lowered = lower.engine_sql(sqlglot.parse_one(sql, dialect="duckdb"), "daft")
    assert "QUALIFY" not in lowered.upper()
    assert con.sql(lowered).fetchall() == con.sql(sql).fetchall()
