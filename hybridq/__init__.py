"""hybridq: SQL and natural-language questions over tables and documents together, on live data."""

from hybridq.errors import (
    AccessDenied,
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
    Unauthorized,
)

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
    "AccessDenied",
    "Unauthorized",
]

# Imported on first use: a command answered by the store's owner process needs none of the engine.
_LAZY = {"connect": "hybridq.session", "Session": "hybridq.session", "Result": "hybridq.result"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hybridq' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
