"""defog gold in DuckDB equals defog gold in PostgreSQL: every variant of all 165 gold queries, and the
values the transforms of gold.py are pinned to. Runs where PostgreSQL's server binaries are installed."""

from __future__ import annotations

import importlib.util

import pytest

from defog.gold import EVAL_DIR, DATABASES, to_duckdb
from defog.postgres import postgres_bin_dir, temporary_postgres
from defog.test_gold import SCHEMA, VALUES

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(postgres_bin_dir() is None, reason="PostgreSQL server binaries (initdb, postgres) not installed"),
    pytest.mark.skipif(importlib.util.find_spec("psycopg") is None, reason="psycopg not installed"),
    pytest.mark.skipif(not (EVAL_DIR / "questions.csv").exists(), reason=f"no defog questions at {EVAL_DIR}"),
]

SCRATCH = """
CREATE TABLE t (a bigint, b integer, c real, m text, d date, e bigint);
INSERT INTO t VALUES (7, 7, 7.0, 'March', DATE '2024-03-05', 2);
"""


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    from examples.defog.load import dump_path

    scratch = tmp_path_factory.mktemp("pg") / "scratch.sql"
    scratch.write_text(SCRATCH)
    with temporary_postgres({**{db: dump_path(db) for db in DATABASES}, "scratch": scratch}) as dsn:
        yield dsn


def test_every_defog_gold_gives_the_same_result_in_duckdb_and_postgres(postgres):
    from defog.verify_gold import verify

    checks = verify(dsn=postgres)
    assert len({c.question_id for c in checks}) == 165
    differing = [f"{c.question_id}: {c.why}\n  {c.variant}\n  {c.duckdb_sql}" for c in checks if not c.same]
    assert not differing, "\n".join(differing)


@pytest.mark.parametrize("postgres_sql,value", VALUES)
def test_the_pinned_values_are_postgres_own(postgres, postgres_sql, value):
    import psycopg

    with psycopg.connect(postgres.format(db="scratch")) as con:
        assert con.execute(postgres_sql).fetchone()[0] == value
    assert to_duckdb(postgres_sql, SCHEMA)  # (the DuckDB side is tests/nl/defog/test_gold.py)
