"""Parse query text with sqlglot (DuckDB dialect) into one statement, with positioned errors.

Reading a query is bounded before it starts: the text is at most MAX_QUERY_CHARS long (parsing is
linear in it, about 15 µs a character) and nests brackets at most MAX_NESTING levels deep (the
parser recurses per level). Long texts belong in parameters, which are not parsed.
"""

from __future__ import annotations

import logging
import re

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

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


MAX_QUERY_CHARS = 100_000
MAX_NESTING = 32
QUOTE_HINT = ("write a ' inside a text twice ('it''s'), or pass the text as a parameter: WHERE subject = ? "
              "with hq.sql(query, [text]), or --param 1=TEXT on the command line")
_OPENING = {TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE}
_CLOSING = {TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE}
_DIALECT = DuckDB()


class _Parser(DuckDB.Parser):
    """DuckDB's parser, keeping where each parameter (`?`, `$1`, `$name`) is: errors point at it,
    and positional parameters are bound in the order they appear in the text."""

    def _parse_placeholder(self):
        start = self._curr
        node = super()._parse_placeholder()
        if node is not None and start is not None:
            node.meta["start"], node.meta["end"] = start.start, self._prev.end
        return node


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


_LEADING_WORD = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*([A-Za-z_]+)", re.S)


def _first_word(sql: str, tokens: list[Token] | None) -> tuple[str, int] | None:
    if tokens is None:  # the text cannot be tokenized: the first word is still worth naming
        m = _LEADING_WORD.match(sql)
        return (m.group(1).upper(), m.start(1)) if m else None
    for token in tokens:
        if token.text.strip():
            return token.text.upper(), token.start
    return None


def parse_query(sql: str) -> exp.Query:
    """The single SELECT in `sql`; raises SQLError (with position) or ForbiddenStatement."""
    if not sql or not sql.strip():
        raise SQLError("the query is empty", hint="write a SELECT statement")
    if len(sql) > MAX_QUERY_CHARS:
        raise SQLError(f"the query is {len(sql):,} characters long; the limit is {MAX_QUERY_CHARS:,}",
                       hint="pass long texts as parameters (?, $name): they are not part of the query text")
    tokens: list[Token] | None = None
    try:
        tokens = _DIALECT.tokenize(sql)
        _check_nesting(tokens, sql)
        statements = [s for s in _Parser(dialect=_DIALECT).parse(tokens, sql) if s is not None]
    except (ParseError, TokenError) as exc:
        first = _first_word(sql, tokens)
        if first and STATEMENT_WORDS.get(first[0]):
            raise forbidden(STATEMENT_WORDS[first[0]], sql, first[1], first[1] + len(first[0])) from None
        if tokens is None:
            raise _quote_error(sql) from None
        raise _syntax_error(exc, sql, tokens) from None
    except RecursionError:
        raise too_deep(sql) from None
    if not statements:
        raise SQLError("the query is empty", hint="write a SELECT statement")
    if len(statements) > 1:
        second = statements[1]
        start = _second_statement_start(tokens)
        if start is None:
            start = _position(second, sql)
        raise SQLError(
            f"expected one statement, got {len(statements)}",
            where=Where(sql=sql, start=start, end=start + 1 if start is not None else None),
            hint="send one SELECT per call; remove the ';' and what follows it",
        )
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        first = _first_word(sql, tokens)
        name = first[0] if first else type(statement).__name__.upper()
        label = STATEMENT_WORDS.get(name) or name
        raise forbidden(label, sql, first[1] if first else 0, first[1] + len(first[0]) if first else None)
    return statement


def too_deep(sql: str) -> SQLError:
    return SQLError("the query is nested too deeply to read",
                    where=Where(sql=sql), hint=f"nest at most {MAX_NESTING} levels; name parts of it in a WITH clause")


def _check_nesting(tokens: list[Token], sql: str) -> None:
    """Brackets nested deeper than MAX_NESTING are an error, at the first one too deep."""
    depth = 0
    for token in tokens:
        if token.token_type in _OPENING:
            depth += 1
            if depth > MAX_NESTING:
                deepest = _max_depth(tokens)
                raise SQLError(f"the query nests brackets {deepest:,} levels deep; the limit is {MAX_NESTING}",
                               where=Where(sql=sql, start=token.start, end=token.end + 1),
                               hint="name parts of the query in a WITH clause, or flatten the expression")
        elif token.token_type in _CLOSING:
            depth -= 1


def _max_depth(tokens: list[Token]) -> int:
    depth = deepest = 0
    for token in tokens:
        if token.token_type in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif token.token_type in _CLOSING:
            depth -= 1
    return deepest


def _unclosed(sql: str) -> tuple[int, str, int | None] | None:
    """(offset of the quote or comment opener that is never closed, the opener, the offset of the
    first quote that looks like an apostrophe ending a text early: `'it's'`), or None."""
    i, n, apostrophe = 0, len(sql), None
    while i < n:
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                return i, "/*", apostrophe
            i = end + 2
        elif sql[i] in "'\"":
            quote, j = sql[i], i + 1
            while True:
                k = sql.find(quote, j)
                if k < 0:
                    return i, quote, apostrophe
                if sql.startswith(quote * 2, k):
                    j = k + 2
                    continue
                break
            if quote == "'" and apostrophe is None and sql[k - 1:k].isalpha() and sql[k + 1:k + 2].isalpha():
                apostrophe = k
            i = k + 1
        elif sql[i] == "$" and (m := re.match(r"\$([A-Za-z_]\w*)?\$", sql[i:])):
            end = sql.find(m.group(0), i + len(m.group(0)))
            if end < 0:
                return i, m.group(0), apostrophe
            i = end + len(m.group(0))
        else:
            i += 1
    return None


def _quote_error(sql: str) -> SQLError:
    found = _unclosed(sql)
    if found is None:
        return SQLError("syntax error: the query cannot be read", where=Where(sql=sql), hint=QUOTE_HINT)
    start, opener, apostrophe = found
    if opener == "/*":
        return SQLError("unclosed comment: the /* here is never closed", where=Where(sql=sql, start=start, end=start + 2),
                        hint="close it with */")
    if apostrophe is not None:
        return SQLError("unescaped quote: this ' ends the text early, and a later one opens a text that never ends",
                        where=Where(sql=sql, start=apostrophe, end=apostrophe + 1), hint=QUOTE_HINT)
    what = "identifier" if opener == '"' else "text"
    return SQLError(f"unclosed quote: the {what} that starts here is never closed",
                    where=Where(sql=sql, start=start, end=start + len(opener)),
                    hint=QUOTE_HINT if opener == "'" else f"close it with {opener}")


def _apostrophe(tokens: list[Token]) -> int | None:
    """Offset of a quote that ends a text right before a word (`'it's'`), a likely apostrophe."""
    for a, b in zip(tokens, tokens[1:]):
        if a.token_type == TokenType.STRING and b.start == a.end + 1 and b.text[:1].isalpha():
            return a.end
    return None


def _second_statement_start(tokens: list[Token] | None) -> int | None:
    """Offset of the first token after the first ';' (where a second statement begins)."""
    if tokens is None:
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


def _syntax_error(exc: Exception, sql: str, tokens: list[Token]) -> SQLError:
    apostrophe = _apostrophe(tokens)
    if apostrophe is not None:
        return SQLError("syntax error: a quote inside a text ends it early",
                        where=Where(sql=sql, start=apostrophe, end=apostrophe + 1), hint=QUOTE_HINT)
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
