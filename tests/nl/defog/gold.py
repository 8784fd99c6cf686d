"""defog's gold SQL: the question files, the alternatives a gold allows, and running gold in DuckDB.

A gold `query` cell may hold several statements separated by `;` (each an acceptable answer), and
`{a, b}` in a SELECT list means any non-empty subset of those columns is acceptable (`GROUP BY {}`
then groups by the chosen ones), as in defog's own evaluation. Every reading becomes one variant.

Gold is written for PostgreSQL. It runs in DuckDB over the Parquet files of examples/defog/load.py,
transpiled by sqlglot after the columns are typed from the dump's CREATE TABLE statements: typing is
what lets sqlglot keep PostgreSQL's integer division (`int / int` truncates there, not in DuckDB).
tests/nl/defog/verify_gold.py checks, against a real PostgreSQL, that every variant gives the same
result both ways.
"""

from __future__ import annotations

import csv
import itertools
import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

ROOT = Path(__file__).resolve().parents[3]
# the shared evaluation material lies beside the repository (HYBRIDQ_DEFOG_EVAL overrides)
EVAL_DIR = Path(os.environ.get("HYBRIDQ_DEFOG_EVAL") or ROOT.parent / "shared" / "eval" / "defog")
QUESTIONS = "questions.csv"
UNANSWERABLE = "unanswerable.csv"
DATABASES = ("academic", "advising", "atis", "restaurants", "scholar", "yelp")

# sqlglot warns about time zones on every EXTRACT from a TIMESTAMPTZ; both engines run in UTC here
logging.getLogger("sqlglot").setLevel(logging.ERROR)

_BRACES = re.compile(r"\{([^{}]*)\}")
_GROUP_BY_CHOSEN = re.compile(r"GROUP BY\s*\{\s*\}", re.IGNORECASE)


@dataclass(frozen=True)
class DefogQuestion:
    index: int  # row number in its file, from 0
    db: str
    question: str
    query: str  # the cell as written (PostgreSQL, possibly several statements and `{a, b}`)
    category: str
    instructions: str

    @property
    def id(self) -> str:
        return f"{self.db}-{self.index:03d}"


def read_questions(name: str = QUESTIONS, eval_dir: Path = EVAL_DIR) -> list[DefogQuestion]:
    with open(eval_dir / name, newline="", encoding="utf-8") as f:
        return [DefogQuestion(i, row["db_name"], row["question"], row.get("query") or "",
                              row.get("query_category") or "", row.get("instructions") or "")
                for i, row in enumerate(csv.DictReader(f))]


def split_statements(text: str) -> list[str]:
    """Statements separated by `;` outside quoted strings, stripped, empty ones dropped."""
    parts, current, quote = [], [], None
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            current.append(ch)
        elif ch == ";":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def expand_choices(statement: str) -> list[str]:
    """Every reading of one statement: each non-empty subset of each `{a, b}` list (cartesian over
    several lists); `GROUP BY {}` becomes GROUP BY the columns chosen from the first list."""
    groups = [g for g in _BRACES.finditer(statement) if g.group(1).strip()]
    if not groups:
        return [statement]
    options = []
    for g in groups:
        columns = [c.strip() for c in g.group(1).split(",") if c.strip()]
        options.append([", ".join(c) for r in range(1, len(columns) + 1)
                        for c in itertools.combinations(columns, r)])
    variants = []
    for chosen in itertools.product(*options):
        text, offset = statement, 0
        for g, choice in zip(groups, chosen):
            start, end = g.start() + offset, g.end() + offset
            text = text[:start] + choice + text[end:]
            offset += len(choice) - (g.end() - g.start())
        variants.append(_GROUP_BY_CHOSEN.sub(lambda _m: f"GROUP BY {chosen[0]}", text))
    return variants


def gold_variants(query: str) -> list[str]:
    """Every acceptable gold statement of a `query` cell, in PostgreSQL."""
    return [v for statement in split_statements(query) for v in expand_choices(statement)]


# -- PostgreSQL -> DuckDB ----------------------------------------------------------------------


@lru_cache(maxsize=None)
def dump_schema(db: str) -> dict[str, dict[str, str]]:
    """{table: {column: PostgreSQL type}} from the dump's CREATE TABLE statements."""
    from examples.defog.load import dump_path, parse_tables

    return parse_tables(dump_path(db).read_text(encoding="utf-8"))


class PostgresGold(Postgres):
    """PostgreSQL as sqlglot reads it, plus the month and day names of its date formats (`to_date(m,
    'Month')`), which sqlglot's mapping lacks. Two differences remain, which no gold depends on (see
    verify_gold.py): to_char blank-pads plain 'Month' and 'Day' to nine characters (the FM forms are
    exact), and a date read without a year is in 1 BC in PostgreSQL, in 1900 in DuckDB."""

    TIME_MAPPING = {**Postgres.TIME_MAPPING, "FMMonth": "%B", "Month": "%B", "Mon": "%b",
                    "FMDay": "%A", "Day": "%A", "Dy": "%a"}


def _sum_as_postgres(annotator, node: exp.Sum) -> exp.Sum:
    """sum() of smallint or integer is bigint in PostgreSQL, sum() of bigint is numeric."""
    annotator._annotate_by_args(node, "this", "expressions", promote=True)
    if node.this.is_type(exp.DType.BIGINT):
        annotator._set_type(node, exp.DType.DECIMAL)
    elif node.this.is_type(exp.DType.INT, exp.DType.SMALLINT, exp.DType.TINYINT):
        annotator._set_type(node, exp.DType.BIGINT)
    return node


# the result types PostgreSQL gives where sqlglot's defaults differ: they decide whether a division
# truncates (only integer / integer does)
POSTGRES_TYPES = {
    **PostgresGold.EXPRESSION_METADATA,
    exp.Extract: {"returns": exp.DType.DECIMAL},  # numeric since PostgreSQL 14
    exp.Sum: {"annotator": _sum_as_postgres},
    exp.UnixToTime: {"returns": exp.DType.TIMESTAMPTZ},  # to_timestamp(epoch seconds)
}


def type_columns(tree: exp.Expr, schema: dict[str, dict[str, str]]) -> exp.Expr:
    """Qualify and type every expression, so that sqlglot writes `int / int` as a truncating
    division for DuckDB (PostgreSQL truncates, DuckDB's `/` does not)."""
    try:
        tree = qualify(tree, schema=schema, dialect=PostgresGold, quote_identifiers=False,
                       identify=False, validate_qualify_columns=False)
    except OptimizeError:
        pass  # typed without qualified columns, fewer expressions get a type; verify_gold.py decides
    return annotate_types(tree, schema=schema, expression_metadata=POSTGRES_TYPES, dialect=PostgresGold)


def time_of_day_in_zone(tree: exp.Expr) -> exp.Expr:
    """`<timestamptz>::TIME` is the time of day in the session's time zone; DuckDB casts a TIMESTAMPTZ
    to TIME only through TIMESTAMP, which applies that zone (a typed tree: run after `type_columns`)."""
    for node in list(tree.find_all(exp.Cast)):
        if node.to.is_type(exp.DType.TIME) and node.this.is_type(exp.DType.TIMESTAMPTZ):
            node.this.replace(exp.cast(node.this.copy(), exp.DType.TIMESTAMP))
    return tree


def format_time_of_day(tree: exp.Expr) -> exp.Expr:
    """to_char(<time>, ...) formats a time of day; DuckDB's strftime wants a timestamp, so the time is
    placed on 1970-01-01 (a typed tree: run after `type_columns`)."""
    for node in list(tree.find_all(exp.TimeToStr)):
        if node.this.is_type(exp.DType.TIME, exp.DType.TIMETZ):
            day = exp.cast(exp.Literal.string("1970-01-01"), exp.DType.DATE)
            node.this.replace(exp.Add(this=day, expression=node.this.copy()))
    return tree


def to_duckdb(postgres_sql: str, schema: dict[str, dict[str, str]]) -> str:
    """`postgres_sql` in DuckDB's dialect with PostgreSQL's meaning: typed from `schema`, then written
    by sqlglot, after the transforms above."""
    tree = sqlglot.parse_one(postgres_sql, read=PostgresGold)
    tree = type_columns(tree, schema)
    for transform in (time_of_day_in_zone, format_time_of_day):
        tree = transform(tree)
    return tree.sql(dialect="duckdb")


# -- DuckDB over the loader's files ------------------------------------------------------------


class DuckGold:
    """One in-memory DuckDB database per defog database, its tables read from `<data_dir>/<db>/*.parquet`."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._connections: dict[str, duckdb.DuckDBPyConnection] = {}

    def connection(self, db: str) -> duckdb.DuckDBPyConnection:
        if db not in self._connections:
            con = duckdb.connect()
            con.execute("SET TimeZone = 'UTC'")
            for table in dump_schema(db):
                path = self.data_dir / db / f"{table}.parquet"
                con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM read_parquet(?)', [str(path)])
            self._connections[db] = con
        return self._connections[db]

    def run(self, db: str, duckdb_sql: str) -> tuple[list[str], list[tuple]]:
        cursor = self.connection(db).cursor()
        try:
            cursor.execute(duckdb_sql)
            columns = [d[0] for d in cursor.description]
            return columns, cursor.fetchall()
        finally:
            cursor.close()

    def close(self) -> None:
        for con in self._connections.values():
            con.close()
        self._connections.clear()

