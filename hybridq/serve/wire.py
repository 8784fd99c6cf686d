"""The one serialisation of everything that crosses the wire between a server and its clients.

The HTTP API, the owner endpoint and the MCP tools encode with these functions, and the clients
(`RemoteSession`, the command line) decode with them: results (Arrow IPC, or JSON rows) with their
snapshot stamp, plans, refresh reports, status, answers (with refusals and clarifications) and
errors (as problem+json carrying the error's own fields, so the client raises the same error).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import uuid

from hybridq.errors import (
    AccessDenied,
    CatalogError,
    EmbeddingError,
    HybridqError,
    OwnerError,
    QueryTimeout,
    StoreError,
    Unauthorized,
    error_from_dict,
)
from hybridq.result import Result
from hybridq.snapshot import SnapshotStamp

ARROW = "application/vnd.apache.arrow.stream"
JSON = "application/json"
PROBLEM = "application/problem+json"
SNAPSHOT_HEADER = "X-Hybridq-Snapshot"
# the environment variables a command line sends with its terminal's description (POST
# /v1/terminal): what decides how rich prints there (colours, width, whether it is a terminal)
TERMINAL_ENV = ("TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES")


# -- JSON ------------------------------------------------------------------------------------------


def plain(value):
    """`value` made of JSON types only. Dates and times, decimals and UUIDs become their text (as
    `str()` writes them), NaN and infinities become null (JSON has no such numbers)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (dt.date, dt.time, dt.timedelta, decimal.Decimal, uuid.UUID)):
        return str(value)
    return str(value)


def dumps(value) -> bytes:
    return json.dumps(plain(value), allow_nan=False, separators=(",", ":")).encode()


# -- Arrow -----------------------------------------------------------------------------------------


def arrow_bytes(table) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def arrow_table(data: bytes):
    import pyarrow as pa

    with pa.ipc.open_stream(pa.py_buffer(data)) as reader:
        return reader.read_all()


# -- results ---------------------------------------------------------------------------------------


def result_json(result: Result) -> dict:
    table = result.to_arrow()
    return {"columns": result.columns, "types": [str(f.type) for f in table.schema], "rows": result.rows,
            "row_count": len(result), "snapshot": result.snapshot.to_dict()}


def result_from_json(payload: dict, sql: str | None = None) -> Result:
    return Result.from_rows(payload["columns"], payload["rows"], SnapshotStamp.from_dict(payload["snapshot"]), sql)


def result_arrow(result: Result) -> tuple[bytes, dict[str, str]]:
    """The rows as an Arrow IPC stream, and the headers that carry the snapshot stamp."""
    return arrow_bytes(result.to_arrow()), {SNAPSHOT_HEADER: json.dumps(result.snapshot.to_dict())}


def result_from_arrow(content: bytes, headers, sql: str | None = None) -> Result:
    """A result from an Arrow IPC body and its headers (any case of the header names)."""
    stamp = next(v for k, v in headers.items() if k.lower() == SNAPSHOT_HEADER.lower())
    return Result(arrow_table(content), SnapshotStamp.from_dict(json.loads(stamp)), sql)


# -- answers, plans, reports, status -------------------------------------------------------------


def answer_json(answer, *, arrow: bool = False) -> dict:
    """An answer, a refusal or a clarification, with its explanation in words; with `arrow` the
    rows also travel as Arrow, so their types survive."""
    payload = answer.to_dict()
    payload["explanation"] = answer.explain()
    if arrow and answer.result is not None:
        payload["arrow"] = base64.b64encode(arrow_bytes(answer.result.to_arrow())).decode()
    return payload


def answer_from_json(payload: dict):
    from hybridq.nl.answer import Answer

    return Answer.from_dict(payload)


def plan_from_json(payload: dict):
    from hybridq.sql.plan import Plan

    return Plan.from_dict(payload)


def report_from_json(payload: dict):
    from hybridq.refresh.report import RefreshReport

    return RefreshReport.from_dict(payload)


def status_json(status) -> dict:
    """`Session.status()` (a Status: per table and source, per alert) as JSON."""
    return status.to_dict()


def status_from_json(payload):
    from hybridq.refresh.status import Status

    return Status.from_dict(payload)


# -- errors ----------------------------------------------------------------------------------------


def error_status(exc: BaseException) -> int:
    if isinstance(exc, Unauthorized):
        return 401
    if isinstance(exc, AccessDenied):
        return 403
    if isinstance(exc, QueryTimeout):
        return 408
    if isinstance(exc, (OwnerError, StoreError)):
        return 503
    if isinstance(exc, EmbeddingError):
        return 500
    if isinstance(exc, HybridqError):
        return 400
    return 500


def problem(exc: BaseException, status: int | None = None) -> dict:
    """An error as problem+json (RFC 9457), with the error's own fields for the client to rebuild it."""
    if not isinstance(exc, HybridqError):
        exc = HybridqError(f"{type(exc).__name__}: {exc}", hint="the server hit an internal error; its log has the details")
    kind = type(exc).__name__
    payload = {"type": f"urn:hybridq:error:{kind}", "title": kind, "status": status or error_status(exc),
               "detail": exc.message, "hint": exc.hint, "error": exc.to_dict()}
    if isinstance(exc, CatalogError):
        payload["issues"] = [i.format() for i in exc.issues]
    return payload


def error_from_problem(status: int, payload) -> HybridqError:
    """The error a server answered with (a problem+json body), or an OwnerError for anything else."""
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        return error_from_dict(payload["error"])
    detail = payload.get("detail") if isinstance(payload, dict) else None
    return OwnerError(f"the server answered {status}" + (f": {detail}" if detail else ""))
