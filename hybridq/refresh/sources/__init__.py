"""Source readers, one per kind: files in, typed rows and per-row issues out."""

from hybridq.refresh.sources.base import ReadContext, RowIssue, SourceRead
from hybridq.refresh.sources.documents import read_documents
from hybridq.refresh.sources.http import read_http
from hybridq.refresh.sources.python import read_python
from hybridq.refresh.sources.sqlite import read_sqlite
from hybridq.refresh.sources.tabular import read_csv, read_json, read_jsonl, read_parquet


def read_postgres(ctx: ReadContext, files: list[str]) -> SourceRead:
    """PostgreSQL (psycopg is imported only by catalogs that use it)."""
    from hybridq.refresh.sources.postgres import read_postgres as read

    return read(ctx, files)


READERS = {
    "csv": read_csv,
    "parquet": read_parquet,
    "jsonl": read_jsonl,
    "json": read_json,
    "documents": read_documents,
    "sqlite": read_sqlite,
    "postgres": read_postgres,
    "http": read_http,
    "python": read_python,
}

__all__ = ["READERS", "ReadContext", "RowIssue", "SourceRead"]
