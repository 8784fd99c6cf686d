"""Snapshot checks: SQL that returns 0 on a consistent snapshot of a semantic column (DESIGN
invariant 1), and more than 0 when a query joins a DuckDB state with the Lance chunks of another.

Used by the live tests (tests/live/query_child.py), the snapshot-check test (tests/live/
test_torn_checks.py) and the serving benchmark (bench/bench_serve.py).

A chunk is not always a verbatim piece of its row's text: the chunker cuts a long text at blank
lines, strips each paragraph and joins the paragraphs of a chunk with one blank line
(hybridq/embed/chunking.py). A text whose paragraphs are parted by two blank lines, or by a line
of spaces, has chunks that differ from it in that whitespace only. So the chunk is looked for in
the text with every run of whitespace made one space on both sides: whitespace is all the
chunker changes, and a chunk of another version of the text still differs from it in words.
"""

from __future__ import annotations


def _spaced(expr: str) -> str:
    return f"regexp_replace({expr}, '\\s+', ' ', 'g')"


def torn_checks(table: str, key: str, column: str, text: str, k: int = 10_000) -> dict[str, str]:
    """name -> SQL returning one count that is 0 on a consistent snapshot of `table`.`column`."""
    search = f"vector_search('{table}.{column}', '{text}', {k})"
    return {
        # rows in DuckDB without vectors in the pinned Lance version
        "rows_without_vectors": f"SELECT count(*) FROM {table} WHERE {column} <> '' "
                                f"AND similarity({column}, '{text}') IS NULL",
        # chunk text from Lance that is not part of the DuckDB row it is joined to (an old or new version)
        "chunks_not_in_row": f"SELECT count(*) FROM {search} v "
                             f"WHERE position({_spaced('v._chunk')} IN {_spaced('v.' + column)}) = 0",
        # every row with text is found by vector_search (its chunks are in the pinned version)
        "rows_missed_by_search": f"SELECT (SELECT count(*) FROM {table} WHERE {column} <> '') - "
                                 f"(SELECT count(DISTINCT {key}) FROM {search})",
    }
