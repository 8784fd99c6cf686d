"""The HTTP application: the public API of `hybridq serve` and the owner endpoint are this one app.

Routes (under /v1): POST sql, ask, explain, retrieve, refresh; GET status, catalog, health; and,
for the store's user only (owner token), watch, terminal and shutdown. JSON in and out; results as Arrow IPC
when the request accepts application/vnd.apache.arrow.stream; errors as problem+json with the
error's hint. OpenAPI at /openapi.json, its pages at /docs. MCP (streamable HTTP) at /mcp.

Who is asking decides what they see: the owner token (X-Hybridq-Token, from <store>/owner.json)
is the store's user and sees everything; an API key (Authorization: Bearer hq_...) stands for a
role of the catalog, whose policies the SQL rewrite applies. Access is decided here; what a role
sees is decided in hybridq.sql (never in the server).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any, Literal

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from hybridq.errors import AccessDenied, HybridqError, Unauthorized
from hybridq.serve import wire
from hybridq.serve.keys import FULL_ACCESS, KeyRing, Principal

log = logging.getLogger("hybridq.serve")

MAX_BODY_BYTES = 1_000_000
MAX_QUESTION_CHARS = 2_000
MAX_TEXT_CHARS = 10_000
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SqlBody(Body):
    # its length, nesting, time and memory are bounded by the engine, as for any session
    sql: str = Field(min_length=1, description="One read-only SELECT.")
    params: list | dict | None = Field(None, description="Values of the query's ? or $name parameters.")
    format: Literal["json", "arrow"] | None = Field(None, description="Rows as JSON (default) or Arrow IPC.")


class ExplainBody(Body):
    sql: str = Field(min_length=1)
    params: list | dict | None = None


class AskBody(Body):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    llm: bool | None = Field(None, description="Ask the configured language model (default: only as fallback).")
    choose: int | None = Field(None, ge=0, description="The reading to answer, after a clarification.")
    format: Literal["json", "arrow"] | None = None


class RetrieveBody(Body):
    column: str = Field(min_length=3, max_length=300, description="A semantic column, 'table.column'.")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    k: int = Field(5, ge=1, le=1000)
    columns: list[str] | None = Field(None, description="Other columns of the rows to return.")
    format: Literal["json", "arrow"] | None = None


class RefreshBody(Body):
    tables: list[str] | None = None


class TerminalBody(Body):
    command: Literal["ask", "sql"]
    text: str = Field(min_length=1, max_length=MAX_BODY_BYTES)
    terminal: dict = Field(default_factory=dict, description="The caller's terminal: environment, isatty, size.")


class WatchBody(Body):
    action: Literal["start", "stop"] = "start"


class Activity:
    """When the app last answered and how many requests are under way (for an idle timeout)."""

    def __init__(self):
        self.last = time.monotonic()
        self.running = 0
        self.lock = threading.Lock()

    def idle_for(self) -> float:
        with self.lock:
            return 0.0 if self.running else time.monotonic() - self.last


class Served:
    """What the app serves: the session, who may ask, and the roles' views (made once per caller)."""

    def __init__(self, session, *, token: str, keys: KeyRing | None, anonymous: bool, kind: str,
                 shutdown=None, watch=None):
        self.session = session
        self.token = token
        self.keys = keys
        self.anonymous = anonymous
        self.kind = kind
        self.shutdown = shutdown
        self.watch = watch
        self.activity = Activity()
        self._views: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def principal(self, request: Request) -> Principal:
        token = request.headers.get("x-hybridq-token")
        if token is not None:
            if secrets.compare_digest(token.encode(), self.token.encode()):
                return Principal(owner=True)
            raise Unauthorized("wrong owner token", hint="read it from <store>/owner.json, or use an API key")
        auth = request.headers.get("authorization", "")
        key = auth[7:].strip() if auth[:7].lower() == "bearer " else request.headers.get("x-api-key")
        if key:
            principal = self.keys.principal(key) if self.keys is not None else None
            if principal is None:
                raise Unauthorized("unknown API key", hint="make one with: hybridq keys add CATALOG --role ROLE")
            return principal
        if self.anonymous:
            # a web page on another site can reach a loopback port through its own host name
            # (DNS rebinding): requests without credentials must name this machine
            host = request.headers.get("host", "").rsplit(":", 1)[0].strip("[]")
            if host not in LOOPBACK_NAMES:
                raise Unauthorized(f"requests without an API key must be addressed to this machine, not to {host!r}",
                                   hint="use http://127.0.0.1:PORT or http://localhost:PORT, or an API key")
            return FULL_ACCESS
        raise Unauthorized("this server needs an API key",
                           hint="send it as 'Authorization: Bearer <key>' (hybridq keys add CATALOG --role ROLE makes one)")

    def session_for(self, principal: Principal):
        if principal.role is None:
            return self.session
        key = principal  # equal principals (role and attributes) share one view
        with self._lock:
            scoped = self._views.get(key)
            if scoped is not None:
                self._views.move_to_end(key)
                return scoped
        scoped = self.session.as_role(principal.role, principal.attributes)
        with self._lock:
            self._views[key] = scoped
            if len(self._views) > 256:
                self._views.popitem(last=False)
        return scoped

    def allowed(self, principal: Principal, operation: str) -> None:
        """status and refresh show or change the whole store: the store's user, or a role allowed them."""
        if principal.role is None:
            return
        role = self.session.catalog.access.roles[principal.role]
        if operation not in role.allow:
            raise AccessDenied(f"role '{principal.role}' may not use {operation}",
                               hint=f"the catalog allows it with access.roles.{principal.role}.allow: [{operation}]")


def _wants_arrow(request: Request, fmt: str | None) -> bool:
    return fmt == "arrow" or (fmt is None and wire.ARROW in request.headers.get("accept", ""))


def _json(payload: Any, status: int = 200) -> Response:
    return Response(wire.dumps(payload), status_code=status, media_type=wire.JSON)


def _problem(exc: BaseException, status: int | None = None) -> Response:
    payload = wire.problem(exc, status)
    return Response(wire.dumps(payload), status_code=payload["status"], media_type=wire.PROBLEM)


def _result(request: Request, result, fmt: str | None) -> Response:
    if _wants_arrow(request, fmt):
        content, headers = wire.result_arrow(result)
        return Response(content, media_type=wire.ARROW, headers=headers)
    return _json(wire.result_json(result))


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        if e.get("type") == "json_invalid":
            parts.append(f"the body is not valid JSON ({e.get('ctx', {}).get('error', 'malformed')})")
        elif e.get("type") == "missing":
            parts.append(f"missing field '{where}'")
        elif e.get("type") == "extra_forbidden":
            parts.append(f"unknown field '{where}'")
        else:
            parts.append(f"{where or 'body'}: {e.get('msg')}")
    return "; ".join(parts) or "the request body does not fit this endpoint"


class Guard:
    """ASGI middleware: counts requests under way (for an idle timeout) and refuses bodies over
    `limit` bytes (413) before they are read whole."""

    def __init__(self, app, activity: Activity, limit: int = MAX_BODY_BYTES):
        self.app = app
        self.activity = activity
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        with self.activity.lock:
            self.activity.running += 1
        try:
            await self._limited(scope, receive, send)
        finally:
            with self.activity.lock:
                self.activity.running -= 1
                self.activity.last = time.monotonic()

    async def _limited(self, scope, receive, send):
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_big = HybridqError(f"the request body is larger than {self.limit:,} bytes",
                               hint="send a shorter query or question")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await _problem(too_big, 413)(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _problem(too_big, 413)(scope, receive, send)


class _BodyTooLarge(StarletteHTTPException):
    """Raised while the body is read; FastAPI passes HTTP exceptions through as they are."""

    def __init__(self):
        super().__init__(413, "the request body is too large")


def create_app(session, *, token: str | None = None, keys: KeyRing | None = None, anonymous: bool = False,
               kind: str = "session", shutdown=None, mcp: bool = True) -> FastAPI:
    """The application serving `session`. `anonymous`: requests without credentials see everything
    (only for a server on the loopback interface without API keys)."""
    served = Served(session, token=token or secrets.token_hex(16), keys=keys, anonymous=anonymous, kind=kind,
                    shutdown=shutdown)
    mcp_app = None
    if mcp:
        from hybridq.serve.mcp import mcp_http_app

        mcp_app = mcp_http_app(served)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async with contextlib.AsyncExitStack() as stack:
            if mcp_app is not None:
                await stack.enter_async_context(mcp_app.session_manager.run())
            yield

    app = FastAPI(title="hybridq", version="1", lifespan=lifespan,
                  description="SQL with semantic functions and questions in words over a hybridq catalog.")
    app.state.served = served
    app.add_middleware(Guard, activity=served.activity)

    @app.exception_handler(HybridqError)
    async def hybridq_error(request: Request, exc: HybridqError):
        return _problem(exc)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        return _problem(HybridqError(_describe_validation(exc), hint="see /docs for this endpoint's fields"), 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = f"no endpoint {request.url.path}" if exc.status_code == 404 else \
            f"the request body is larger than {MAX_BODY_BYTES:,} bytes" if exc.status_code == 413 else str(exc.detail)
        return _problem(HybridqError(message, hint="the API is described at /docs"), exc.status_code)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        log.exception("internal error on %s", request.url.path)
        return _problem(exc, 500)

    def principal(request: Request) -> Principal:
        return served.principal(request)

    def run(fn, *args, **kwargs):
        # blocking work (DuckDB, the model) runs on the thread pool, never on the event loop
        return anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))

    if mcp_app is not None:
        from starlette.routing import Route

        app.router.routes.append(Route("/mcp", endpoint=mcp_app, methods=["GET", "POST", "DELETE"]))

    @app.get("/v1/health", tags=["store"])
    async def health():
        """Whether the server is up (no credentials needed)."""
        return _json({"status": "ok", "pid": os.getpid()})

    @app.post("/v1/sql", tags=["queries"])
    async def sql(body: SqlBody, request: Request, who: Principal = Depends(principal)):
        """Run one read-only SELECT (semantic functions allowed) on one snapshot."""
        session = served.session_for(who)
        result = await run(session.sql, body.sql, body.params)
        return _result(request, result, body.format)

    @app.post("/v1/explain", tags=["queries"])
    async def explain(body: ExplainBody, who: Principal = Depends(principal)):
        """How a query runs: the strategy of each semantic call and why."""
        session = served.session_for(who)
        plan = await run(session.explain, body.sql, body.params)
        return _json(plan.to_dict())

    @app.post("/v1/ask", tags=["queries"])
    async def ask(body: AskBody, request: Request, who: Principal = Depends(principal)):
        """Answer a question in words: the SQL, what each part became, and the rows; or a refusal,
        or a clarification listing the readings (ask again with `choose`)."""
        session = served.session_for(who)
        options = {"choose": body.choose} if body.choose is not None else {}
        answer = await run(session.ask, body.question, llm=body.llm, **options)
        return _json(wire.answer_json(answer, arrow=_wants_arrow(request, body.format)))

    @app.post("/v1/retrieve", tags=["queries"])
    async def retrieve(body: RetrieveBody, request: Request, who: Principal = Depends(principal)):
        """The k rows of a semantic column closest to a text: keys, score, best chunk (for RAG)."""
        session = served.session_for(who)
        result = await run(session.retrieve, body.column, body.text, body.k, body.columns)
        return _result(request, result, body.format)

    @app.post("/v1/refresh", tags=["store"])
    async def refresh(body: RefreshBody, who: Principal = Depends(principal)):
        """Bring the store up to date with its sources."""
        served.allowed(who, "refresh")
        report = await run(session.refresh, body.tables)
        return _json(report.to_dict())

    @app.get("/v1/status", tags=["store"])
    async def status(who: Principal = Depends(principal)):
        """Per table and source: mode, last refresh, rows, chunks, problems, lag; per alert: last
        evaluation and last change."""
        served.allowed(who, "status")
        return _json(wire.status_json(await run(session.status)))

    @app.get("/v1/catalog", tags=["store"])
    async def catalog(who: Principal = Depends(principal)):
        """The tables, columns, glossary and examples the caller sees (for prompts)."""
        return _json(served.session_for(who).describe())

    @app.post("/v1/watch", tags=["owner"])
    async def watch(body: WatchBody, who: Principal = Depends(principal)):
        """Keep the store live from this process (the store's user only)."""
        _owner_only(who)
        from hybridq.serve.watching import watch_service

        service = watch_service(served)
        return _json(service.start() if body.action == "start" else service.release())

    @app.get("/v1/watch/log", tags=["owner"])
    async def watch_log(after: int = 0, wait: float = 1.0, who: Principal = Depends(principal)):
        """Watch log lines after number `after`, waiting up to `wait` seconds for one."""
        _owner_only(who)
        from hybridq.serve.watching import watch_service

        return _json(await run(watch_service(served).lines, after, min(max(wait, 0.0), 5.0)))

    @app.post("/v1/terminal", tags=["owner"])
    async def terminal(body: TerminalBody, who: Principal = Depends(principal)):
        """A command line's `ask` or `sql`, printed for its terminal (the store's user only): so the
        command need not import what prints it."""
        _owner_only(who)
        from hybridq.render import answer_for_terminal

        return _json(await run(answer_for_terminal, session, body.command, body.text, body.terminal))

    @app.post("/v1/shutdown", tags=["owner"])
    async def shutdown(who: Principal = Depends(principal)):
        """Stop a background owner (the store's user only)."""
        _owner_only(who)
        if served.shutdown is None:
            raise HybridqError(f"this process ({served.kind}, pid {os.getpid()}) is not a background owner",
                               hint="stop it where it runs (Ctrl-C)")
        served.shutdown()
        return _json({"stopping": os.getpid()})

    return app


def _owner_only(who: Principal) -> None:
    if not who.owner:
        raise AccessDenied("only the store's user (the owner token) may do this")
