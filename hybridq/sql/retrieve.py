"""Retrieval for RAG: the k rows of a semantic column closest to a text, as one vector_search query.

Going through SQL, a retrieval gets everything a query gets: one snapshot, the exact (or ANN)
strategy, and the caller's access policies.
"""

from __future__ import annotations

from sqlglot import exp

from hybridq.catalog.issues import did_you_mean
from hybridq.catalog.model import Catalog
from hybridq.errors import SQLError

MAX_K = 1000


def retrieval_sql(catalog: Catalog, column: str, text: str, k: int = 5, columns: list[str] | None = None) -> str:
    """SELECT <keys>, <columns>, _score, _chunk FROM vector_search(column, text, k) ORDER BY _score DESC.

    >>> catalog = Catalog(name="demo", tables={"tickets": {"source": "t", "primary_key": "ticket_id",
    ...     "columns": {"ticket_id": "INTEGER", "subject": "VARCHAR", "body": {"type": "TEXT", "semantic": True}}}})
    >>> retrieval_sql(catalog, "tickets.body", "it's down", 3, ["subject"])
    "SELECT ticket_id, subject, _score, _chunk FROM vector_search('tickets.body', 'it''s down', 3) ORDER BY _score DESC"
    """
    table_name, _, column_name = column.partition(".")
    table = catalog.find_table(table_name)
    semantic = [f"{t}.{c}" for t, c in catalog.semantic_columns()]
    if table is None or catalog.tables[table].find_column(column_name) is None \
            or catalog.tables[table].columns[catalog.tables[table].find_column(column_name)].semantic is None:
        close = did_you_mean(column, semantic)
        raise SQLError(f"'{column}' is not a semantic column", hint=f"did you mean '{close}'?" if close else
                       "semantic columns: " + (", ".join(semantic) or "none"))
    if not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise SQLError(f"k must be a whole number from 1 to {MAX_K}, got {k!r}")
    spec = catalog.tables[table]
    wanted = list(spec.primary_key)
    for name in columns or []:
        found = spec.find_column(name)
        if found is None:
            close = did_you_mean(name, spec.columns)
            raise SQLError(f"table {table} has no column '{name}'",
                           hint=f"did you mean '{close}'?" if close else "columns: " + ", ".join(spec.columns))
        if found not in wanted:
            wanted.append(found)
    search = exp.Anonymous(this="vector_search", expressions=[
        exp.Literal.string(f"{table}.{spec.find_column(column_name)}"), exp.Literal.string(text), exp.Literal.number(k)])
    query = exp.select(*[exp.column(c) for c in wanted], "_score", "_chunk").from_(exp.Table(this=search)) \
        .order_by(exp.Ordered(this=exp.column("_score"), desc=True))
    return query.sql(dialect="duckdb", normalize_functions=False)
