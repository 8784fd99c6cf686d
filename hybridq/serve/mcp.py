"""MCP tools for agents: sql, ask, retrieve, describe_catalog and status.

Over stdio (`hybridq mcp CATALOG`, the local user: everything) and over streamable HTTP at /mcp of
`hybridq serve` (the caller's API key decides the role, exactly as for the HTTP API).
"""

from __future__ import annotations

import contextvars
from typing import Any, Callable

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from hybridq.errors import HybridqError
from hybridq.serve import wire

MAX_ROWS = 200  # rows a tool returns by default: an agent's context is small

INSTRUCTIONS = """hybridq answers questions over a company's tables and documents together.
Call describe_catalog first: it lists the tables, columns, business terms and example questions.
Use ask for questions in words; use sql for DuckDB SQL, where similarity(col, 'text'),
semantic_match(col, 'text'), keyword_match(col, 'words') and vector_search('table.column', 'text', k)
search the semantic (long text) columns. Use retrieve for the passages closest to a text."""

_caller: contextvars.ContextVar = contextvars.ContextVar("hybridq_mcp_caller", default=None)


def build_mcp(session_for: Callable[[], Any], status_for: Callable[[], Any]) -> MCPServer:
    """The MCP server; `session_for()` gives the session of the current caller, `status_for()`
    the store's status (or raises when the caller may not see it)."""
    server = MCPServer("hybridq", instructions=INSTRUCTIONS, log_level="WARNING")

    async def call(fn, *args, **kwargs):
        try:
            return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))
        except HybridqError as exc:
            raise ToolError(str(exc)) from None

    @server.tool()
    async def sql(query: str, params: list | dict | None = None, max_rows: int = MAX_ROWS) -> dict[str, Any]:
        """Run one read-only DuckDB SELECT over the catalog's tables (semantic functions allowed).
        Returns the columns, up to max_rows rows, the row count and the snapshot it was computed on."""
        result = await call(lambda: session_for().sql(query, params))
        return _rows(result, max_rows)

    @server.tool()
    async def ask(question: str, choose: int | None = None, max_rows: int = MAX_ROWS) -> dict[str, Any]:
        """Answer a question in words from the catalog: the SQL it became, what each part of the
        question meant, and the rows; or a refusal naming the words it could not place; or a
        clarification listing readings (call again with choose=<number>)."""
        options = {"choose": choose} if choose is not None else {}
        answer = await call(lambda: session_for().ask(question, **options))
        payload = answer if isinstance(answer, dict) else wire.answer_json(answer)  # a remote owner answers in JSON
        rows = payload.get("rows") or []
        payload["rows"], payload["truncated"] = rows[:max_rows], len(rows) > max_rows
        return wire.plain(payload)

    @server.tool()
    async def retrieve(column: str, text: str, k: int = 5, columns: list[str] | None = None) -> dict[str, Any]:
        """The k rows of a semantic column ('table.column') closest to a text, best first, with
        their keys, similarity score (_score) and best-matching passage (_chunk)."""
        result = await call(lambda: session_for().retrieve(column, text, k, columns))
        return _rows(result, k)

    @server.tool()
    async def describe_catalog() -> dict[str, Any]:
        """The tables, columns (types, meanings, known values), relationships, business glossary
        and example questions with their SQL."""
        return wire.plain(await call(lambda: session_for().describe()))

    @server.tool()
    async def status() -> dict[str, Any]:
        """Per table and source: mode, when it was last refreshed, rows, chunks, source problems
        and lag; per alert (standing query): when it was last evaluated and last changed."""
        return {"status": wire.plain(wire.status_json(await call(status_for)))}

    return server


def _rows(result, max_rows: int) -> dict[str, Any]:
    payload = wire.result_json(result)
    payload["truncated"] = len(payload["rows"]) > max_rows
    payload["rows"] = payload["rows"][:max_rows]
    return wire.plain(payload)


class McpHttp:
    """The MCP tools of a served app over streamable HTTP, behind the app's own authentication."""

    def __init__(self, served):
        self.served = served

        def session_for():
            return served.session_for(_caller.get())

        def status_for():
            served.allowed(_caller.get(), "status")
            return served.session.status()

        self.server = build_mcp(session_for, status_for)
        self.http = self.server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True,
                                                    json_response=True, host="0.0.0.0")
        self.session_manager = self.server.session_manager

    async def __call__(self, scope, receive, send):
        from starlette.requests import Request

        from hybridq.serve.app import _problem

        try:
            principal = self.served.principal(Request(scope))
        except HybridqError as exc:
            return await _problem(exc)(scope, receive, send)
        token = _caller.set(principal)
        try:
            await self.session_manager.handle_request(scope, receive, send)
        finally:
            _caller.reset(token)


def mcp_http_app(served) -> McpHttp:
    return McpHttp(served)


def run_stdio(session) -> None:
    """Serve the MCP tools over stdin/stdout until the client closes them."""

    def status_for():
        return session.status()

    build_mcp(lambda: session, status_for).run("stdio")
