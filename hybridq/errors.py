"""The hybridq error tree.

Every error says what is wrong, where (a file and line, a YAML path, a position in SQL), the
offending value when there is one, and a hint. The CLI prints them without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Where:
    """A place in a catalog file or a SQL text."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None  # YAML path such as tables.customers.columns.name
    sql: str | None = None  # the SQL text, when the place is inside a query
    start: int | None = None  # character offsets into `sql`
    end: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            loc = self.file
            if self.line:
                loc += f":{self.line}"
            parts.append(loc)
        elif self.line:
            parts.append(f"line {self.line}" + (f", column {self.column}" if self.column else ""))
        if self.path:
            parts.append(self.path)
        return " ".join(parts)

    def caret(self) -> str:
        """The SQL line with a caret under the offending part, or ''."""
        if self.sql is None or self.start is None:
            return ""
        line_start = self.sql.rfind("\n", 0, self.start) + 1
        line_end = self.sql.find("\n", self.start)
        line_end = len(self.sql) if line_end == -1 else line_end
        width = max(1, min(self.end or self.start + 1, line_end) - self.start)
        return f"{self.sql[line_start:line_end]}\n{' ' * (self.start - line_start)}{'^' * width}"


class HybridqError(Exception):
    """Root of every error hybridq raises on purpose."""

    def __init__(self, message: str, *, where: Where | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where and str(self.where) else self.message
        caret = self.where.caret() if self.where else ""
        if caret:
            text += "\n" + caret
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text

    def to_dict(self) -> dict:
        """A JSON-safe form, used to carry the error between processes."""
        w = self.where
        return {
            "type": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            "where": None if w is None else {k: getattr(w, k) for k in Where.__dataclass_fields__},
        }


class CatalogError(HybridqError):
    """The catalog has errors; `issues` holds every one of them."""

    def __init__(self, issues: list, file: str | None = None):
        self.issues = list(issues)
        errors = [i for i in self.issues if i.level == "error"]
        head = f"{len(errors)} error(s) in catalog" + (f" {file}" if file else "")
        super().__init__(head + "\n" + "\n".join(i.format() for i in errors))

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["issues"] = [i.to_dict() for i in self.issues]
        return d


class SQLError(HybridqError):
    """A query that cannot run: syntax, an unknown name, a forbidden statement."""


class ForbiddenStatement(SQLError):
    """A query that is not a single read-only SELECT over catalog tables."""


class QueryTimeout(SQLError):
    """A query ran longer than the session's timeout and was interrupted."""


class SourceError(HybridqError):
    """A source could not be read (reported per source; the refresh goes on)."""


class StoreError(HybridqError):
    """The store directory is unusable: missing, locked, from another model, damaged."""


class EmbeddingError(HybridqError):
    """The embedding model could not be loaded or used."""


class OwnerError(HybridqError):
    """The process that owns the store could not be reached."""


class NLError(HybridqError):
    """A question could not be turned into SQL."""


class AccessDenied(HybridqError):
    """The caller's role may not see a table or column the request names (HTTP 403)."""


class Unauthorized(HybridqError):
    """A request without a known API key or owner token (HTTP 401)."""


ERROR_TYPES = {
    cls.__name__: cls
    for cls in (
        HybridqError,
        SQLError,
        ForbiddenStatement,
        QueryTimeout,
        SourceError,
        StoreError,
        EmbeddingError,
        OwnerError,
        NLError,
        AccessDenied,
        Unauthorized,
    )
}


def error_from_dict(d: dict) -> HybridqError:
    """Rebuild an error sent by the owner process (see `to_dict`)."""
    if d.get("type") == "CatalogError":
        from hybridq.catalog.issues import Issue

        return CatalogError([Issue.from_dict(i) for i in d.get("issues", [])])
    cls = ERROR_TYPES.get(d.get("type", ""), HybridqError)
    where = Where(**d["where"]) if d.get("where") else None
    return cls(d["message"], where=where, hint=d.get("hint"))


def duckdb_error(exc: Exception, original: str, rewritten: bool) -> SQLError:
    """A DuckDB error as a SQLError on the user's query (internal names hidden)."""
    message = str(exc).strip()
    lines = [line for line in message.splitlines() if line.strip()]
    head = lines[0] if lines else type(exc).__name__
    if rewritten:
        head = head.replace("__hq_t", "table").replace("__hq_r", "scores")
    return SQLError(head, where=Where(sql=original), hint=_hint_for(head))


def _hint_for(message: str) -> str | None:
    lowered = message.lower()
    if "not found" in lowered and "column" in lowered:
        return "check the column names against the catalog (hybridq catalog validate prints them)"
    if "conversion" in lowered or "could not convert" in lowered:
        return "compare values of the same type, or CAST them"
    return None
