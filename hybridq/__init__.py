"""hybridq: SQL and natural-language questions over tables and documents together, on live data."""

from hybridq.errors import (
    CatalogError,
    EmbeddingError,
    ForbiddenStatement,
    HybridqError,
    NLError,
    OwnerError,
    QueryTimeout,
    SourceError,
    SQLError,
    StoreError,
)
from hybridq.result import Result
from hybridq.session import Session, connect

__version__ = "0.1.0"

__all__ = [
    "connect",
    "Session",
    "Result",
    "HybridqError",
    "CatalogError",
    "SQLError",
    "ForbiddenStatement",
    "QueryTimeout",
    "SourceError",
    "StoreError",
    "EmbeddingError",
    "OwnerError",
    "NLError",
]
