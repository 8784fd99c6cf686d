"""Source readers, one per kind: files in, typed rows and per-row issues out."""

from hybridq.refresh.sources.base import ReadContext, RowIssue, SourceRead
from hybridq.refresh.sources.documents import read_documents
from hybridq.refresh.sources.tabular import read_csv, read_json, read_jsonl, read_parquet

READERS = {
    "csv": read_csv,
    "parquet": read_parquet,
    "jsonl": read_jsonl,
    "json": read_json,
    "documents": read_documents,
}

__all__ = ["READERS", "ReadContext", "RowIssue", "SourceRead"]
