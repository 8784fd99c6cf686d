"""Snapshot checks: SQL that returns 0 on a consistent snapshot of a semantic column (DESIGN
invariant 1), and more than 0 when a query joins a DuckDB state with the Lance chunks of another.

Used by the live tests (tests/live/query_child.py), the snapshot-check test (tests/live/
test_torn_checks.py) and the serving benchmark (bench/bench_serve.py).

A chunk returned by vector_search is a verbatim passage of its row's text (the planner takes it
from the text the snapshot holds, at the chunk's offsets), so it is looked for in the text as is: a
chunk of another version of the text differs from it.
"""

from __future__ import annotations


def torn_checks(table: str, key: str, column: str, text: str, k: int = 10_000) -> dict[str, str]:
    """name -> SQL returning one count that is 0 on a consistent snapshot of `table`.`column`."""
    search = f"vector_search('{table}.{column}', '{text}', {k})"
    return {
        # rows in DuckDB without vectors in the pinned Lance version
        "rows_without_vectors": f"SELECT count(*) FROM {table} WHERE {column} <> '' "
                                f"AND similarity({column}, '{text}') IS NULL",
        # a chunk that is not part of the DuckDB row it is joined to (its text is of another version)
        "chunks_not_in_row": f"SELECT count(*) FROM {search} v "
                             f"WHERE position(v._chunk IN v.{column}) = 0",
        # every row with text is found by vector_search (its chunks are in the pinned version)
        "rows_missed_by_search": f"SELECT (SELECT count(*) FROM {table} WHERE {column} <> '') - "
                                 f"(SELECT count(DISTINCT {key}) FROM {search})",
    }
