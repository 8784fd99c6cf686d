"""Check that defog's gold SQL gives the same result in DuckDB (as the scorer runs it) as in PostgreSQL.

    .venv/bin/python tests/nl/defog/verify_gold.py            # exit 1 when any gold differs
    .venv/bin/python tests/nl/defog/verify_gold.py --verbose  # also list the variants that agree

Starts a throw-away PostgreSQL (postgres.py) loaded from the defog-data dumps, writes the same dumps as
Parquet with examples/defog/load.py, and runs every variant of every gold (gold.py: statements and
`{a, b}` choices) both ways: as written in PostgreSQL, transpiled (gold.to_duckdb) in DuckDB. Results
must have the same columns in the same positions and the same rows, compared with the scorer's own
rules (compare.py): numbers within a relative 1e-6, in order when the outermost query has ORDER BY,
any order among ties of that ORDER BY and any tied row at the cut of a LIMIT. Both servers use UTC and
byte-order (C) collation, the collation DuckDB sorts text by.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[2])]  # tests/nl (scorer) and the repository root

from compare import compare_rows  # noqa: E402
from defog.gold import DATABASES, DuckGold, dump_schema, gold_variants, read_questions, to_duckdb  # noqa: E402
from defog.postgres import temporary_postgres  # noqa: E402
from evaluate import expected_result, has_outer_order  # noqa: E402


@dataclass
class Check:
    question_id: str
    variant: str
    duckdb_sql: str | None
    same: bool
    why: str = ""
    rows: int = 0


def check_variant(question_id: str, db: str, variant: str, pg, duck: DuckGold) -> Check:
    try:
        duck_sql = to_duckdb(variant, dump_schema(db))
    except Exception as exc:  # noqa: BLE001 - reported as a difference
        return Check(question_id, variant, None, False, f"cannot transpile: {exc}")
    try:
        with pg.cursor() as cur:
            cur.execute(variant)
            pg_columns = [d.name for d in cur.description]
            pg_rows = [tuple(r) for r in cur.fetchall()]
    except Exception as exc:  # noqa: BLE001
        pg.rollback()
        return Check(question_id, variant, duck_sql, False, f"fails in PostgreSQL: {exc}".strip())
    pg.rollback()
    try:
        expected = expected_result(duck_sql, lambda q: duck.run(db, q))
    except Exception as exc:  # noqa: BLE001
        return Check(question_id, variant, duck_sql, False, f"fails in DuckDB: {exc}")
    if len(expected.columns) != len(pg_columns):
        return Check(question_id, variant, duck_sql, False,
                     f"{len(expected.columns)} columns in DuckDB, {len(pg_columns)} in PostgreSQL")
    same, why = compare_rows(expected, pg_rows, ordered=has_outer_order(duck_sql))
    return Check(question_id, variant, duck_sql, same, why, len(pg_rows))


def verify(progress=None, dsn: str | None = None) -> list[Check]:
    """Every variant of every gold, checked. `dsn` (a template with `{db}`) names a server holding the
    dumps; without it one is started and stopped inside."""
    from examples.defog.load import dump_path

    if dsn is None:
        with temporary_postgres({db: dump_path(db) for db in DATABASES}) as started:
            return verify(progress, started)
    import psycopg

    from examples.defog.load import load

    checks = []
    with tempfile.TemporaryDirectory(prefix="defog-parquet-") as data_dir:
        for db in DATABASES:
            load(db, Path(data_dir) / db)
        duck = DuckGold(Path(data_dir))
        connections = {db: psycopg.connect(dsn.format(db=db)) for db in DATABASES}
        try:
            for q in read_questions():
                for variant in gold_variants(q.query):
                    check = check_variant(q.id, q.db, variant, connections[q.db], duck)
                    checks.append(check)
                    if progress:
                        progress(check)
        finally:
            for con in connections.values():
                con.close()
            duck.close()
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list the variants that agree too")
    args = parser.parse_args(argv)

    def show(check: Check) -> None:
        if not check.same or args.verbose:
            print(f"[{'same' if check.same else 'DIFFERS'}] {check.question_id} ({check.rows} rows): {check.variant}")
            if not check.same:
                print(f"    duckdb: {check.duckdb_sql}\n    {check.why}")

    checks = verify(show)
    questions = {c.question_id for c in checks}
    differing = {c.question_id for c in checks if not c.same}
    empty = sum(1 for c in checks if c.same and c.rows == 0)
    print(f"{len(questions)} gold queries, {len(checks)} variants: {len(checks) - sum(not c.same for c in checks)} "
          f"give the same result in DuckDB as in PostgreSQL ({empty} of them no rows); "
          f"{len(differing)} queries differ{': ' + ', '.join(sorted(differing)) if differing else ''}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
