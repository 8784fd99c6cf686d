"""Parse query text with sqlglot (DuckDB dialect) into one statement, with positioned errors."""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from hybridq.errors import ForbiddenStatement, SQLError, Where

# sqlglot warns (through logging) when it falls back to a generic command; we report those ourselves.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

STATEMENT_WORDS = {
    "INSERT": "INSERT", "UPDATE": "UPDATE", "DELETE": "DELETE", "MERGE": "MERGE", "CREATE": "CREATE",
    "DROP": "DROP", "ALTER": "ALTER", "TRUNCATE": "TRUNCATE", "PRAGMA": "PRAGMA", "SET": "SET", "RESET": "RESET",
    "ATTACH": "ATTACH", "DETACH": "DETACH", "COPY": "COPY", "EXPORT": "EXPORT", "IMPORT": "IMPORT",
    "INSTALL": "INSTALL", "LOAD": "LOAD", "FORCE": "INSTALL", "CALL": "CALL", "USE": "USE", "CHECKPOINT": "CHECKPOINT",
    "VACUUM": "VACUUM", "BEGIN": "BEGIN", "COMMIT": "COMMIT", "ROLLBACK": "ROLLBACK", "ABORT": "ROLLBACK",
    "DESCRIBE": "DESCRIBE", "SHOW": "SHOW", "SUMMARIZE": "SUMMARIZE", "EXPLAIN": "EXPLAIN", "PREPARE": "PREPARE",
    "EXECUTE": "EXECUTE", "DEALLOCATE": "DEALLOCATE", "GRANT": "GRANT", "REVOKE": "REVOKE", "UPSERT": "UPSERT",
    "REPLACE": "REPLACE", "COMMENT": "COMMENT", "ANALYZE": "ANALYZE", "UNPIVOT": None, "PIVOT": None,
}


def offset_of(sql: str, line: int, col: int) -> int:
    """Character offset of a 1-based (line, column) position."""
    lines = sql.split("\n")
    line = max(1, min(line, len(lines)))
    return sum(len(x) + 1 for x in lines[: line - 1]) + max(0, col - 1)


def forbidden(statement: str, sql: str, start: int = 0, end: int | None = None) -> ForbiddenStatement:
    return ForbiddenStatement(
        f"{statement} statements are not allowed: queries are read-only",
        where=Where(sql=sql, start=start, end=end if end is not None else start + len(statement)),
        hint="write one SELECT (a WITH clause is fine) over the catalog's tables",
    )


def _first_word(sql: str) -> tuple[str, int] | None:
    try:
        tokens = sqlglot.tokenize(sql, read="duckdb")
    except TokenError:
        return None
    for token in tokens:
        if token.text.strip():
            return token.text.upper(), token.start
    return None


def parse_query(sql: str) -> exp.Query:
    """The single SELECT in `sql`; raises SQLError (with position) or ForbiddenStatement."""
    if not sql or not sql.strip():
        raise SQLError("the query is empty", hint="write a SELECT statement")
    try:
        statements = [s for s in sqlglot.parse(sql, dialect="duckdb") if s is not None]
    except (ParseError, TokenError) as exc:
        first = _first_word(sql)
        if first and STATEMENT_WORDS.get(first[0]):
            raise forbidden(STATEMENT_WORDS[first[0]], sql, first[1], first[1] + len(first[0])) from None
        raise _syntax_error(exc, sql) from None
    if not statements:
        raise SQLError("the query is empty", hint="write a SELECT statement")
    if len(statements) > 1:
        second = statements[1]
        start = _second_statement_start(sql)
        if start is None:
            start = _position(second, sql)
        raise SQLError(
            f"expected one statement, got {len(statements)}",
            where=Where(sql=sql, start=start, end=start + 1 if start is not None else None),
            hint="send one SELECT per call; remove the ';' and what follows it",
        )
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        first = _first_word(sql)
        name = first[0] if first else type(statement).__name__.upper()
        label = STATEMENT_WORDS.get(name) or name
        raise forbidden(label, sql, first[1] if first else 0, first[1] + len(first[0]) if first else None)
    return statement


def _second_statement_start(sql: str) -> int | None:
    """Offset of the first token after the first ';' (where a second statement begins)."""
    try:
        tokens = sqlglot.tokenize(sql, read="duckdb")
    except TokenError:
        return None
    after_semicolon = False
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            after_semicolon = True
        elif after_semicolon:
            return token.start
    return None


def _position(node: exp.Expression, sql: str) -> int | None:
    """Offset of the first token of `node` in `sql`, when sqlglot kept it."""
    for sub in node.walk():
        meta = getattr(sub, "meta", None) or {}
        if "start" in meta:
            return meta["start"]
        if isinstance(sub, exp.Identifier) and sub.meta.get("line"):
            return offset_of(sql, sub.meta["line"], max(1, sub.meta.get("col", 1) - len(sub.name) + 1))
    return None


def _syntax_error(exc: Exception, sql: str) -> SQLError:
    errors = getattr(exc, "errors", None) or []
    if errors:
        e = errors[0]
        line, col = e.get("line") or 1, e.get("col") or 1
        end = offset_of(sql, line, col)
        highlight = e.get("highlight") or ""
        start = max(0, end - len(highlight)) if highlight else end
        desc = e.get("description") or "syntax error"
        if "VectorSearch" in desc:  # sqlglot reads vector_search() as its own node and checks its arguments
            return SQLError("vector_search() takes 3 arguments", where=Where(sql=sql, start=start, end=max(end, start + 1),
                                                                             line=line, column=col),
                            hint="usage: vector_search('table.column', text, k)")
        return SQLError(f"syntax error: {desc}", where=Where(sql=sql, start=start, end=max(end, start + 1), line=line,
                                                            column=col), hint="check the SQL near the marked place")
    return SQLError(f"syntax error: {exc}", hint="check the SQL syntax")


def node_span(node: exp.Expression, sql: str) -> tuple[int, int] | None:
    """(start, end) offsets of a node in the original text, from sqlglot's token positions."""
    starts, ends = [], []
    for sub in node.walk():
        meta = sub.meta if hasattr(sub, "meta") else {}
        if "start" in meta and "end" in meta:
            starts.append(meta["start"])
            ends.append(meta["end"] + 1)
    if starts:
        start, end = min(starts), max(ends)
        return start, _closing_parens(sql, start, end, call=isinstance(node, exp.Func))
    return None


def _closing_parens(sql: str, start: int, end: int, call: bool) -> int:
    """`end` moved past the ')' that close the '(' opened in sql[start:end], and past a call's own
    parentheses: they are tokens without a node, so node positions stop before them."""
    try:
        tokens = sqlglot.tokenize(sql, read="duckdb")
    except TokenError:
        return end
    depth, first_after = 0, True
    for token in tokens:
        if token.start < start:
            continue
        if token.start >= end:
            opens_call = call and first_after and token.token_type == TokenType.L_PAREN
            first_after = False
            if depth == 0 and not opens_call:
                break
            end = token.end + 1
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
    return end


def where_of(node: exp.Expression, sql: str) -> Where:
    span = node_span(node, sql)
    if span is None:
        return Where(sql=sql)
    return Where(sql=sql, start=span[0], end=span[1])
