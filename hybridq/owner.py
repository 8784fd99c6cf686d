"""One owner process per store (DESIGN invariant 5).

DuckDB lets one process hold a database file, and while it does no other process can open it.
So the process that opens a store also answers for it: it serves a small HTTP endpoint on the
loopback interface and records its address and a secret token in `<store>/owner.json` (readable
by the same user only). `hybridq.connect()` in any other process finds that file and talks to the
owner instead of opening the file: same results, same errors, never a lock error.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pyarrow as pa

from hybridq.errors import HybridqError, OwnerError, error_from_dict

OWNER_FILE = "owner.json"
API = "/v1"


@dataclass(frozen=True)
class OwnerInfo:
    pid: int
    port: int
    token: str
    started_at: float
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{API}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_owner(store_dir: Path) -> OwnerInfo | None:
    """The live owner of a store, or None (a file left by a dead process is ignored)."""
    path = store_dir / OWNER_FILE
    try:
        info = OwnerInfo(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return info if _alive(info.pid) else None


def arrow_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def arrow_table(data: bytes) -> pa.Table:
    with pa.ipc.open_stream(io.BytesIO(data)) as reader:
        return reader.read_all()


# -- the owner's side --------------------------------------------------------------------------

class OwnerServer:
    """Serves a Session to other processes until closed."""

    def __init__(self, session, store_dir: Path):
        self.session = session
        self.store_dir = store_dir
        self.token = secrets.token_hex(16)
        handler = type("Handler", (_Handler,), {"owner": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="hybridq-owner", daemon=True)
        self.thread.start()
        self.info = OwnerInfo(os.getpid(), self.httpd.server_address[1], self.token, time.time())
        self._write_file()

    def _write_file(self) -> None:
        path = self.store_dir / OWNER_FILE
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(asdict(self.info), f)
        os.replace(tmp, path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        path = self.store_dir / OWNER_FILE
        with contextlib.suppress(OSError, ValueError):
            if json.loads(path.read_text()).get("pid") == os.getpid():
                path.unlink()


class _Handler(BaseHTTPRequestHandler):
    owner: OwnerServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # library code does not print
        pass

    def _reply(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value) -> None:
        self._reply(status, json.dumps(value, default=str).encode(), "application/json")

    def _authorized(self) -> bool:
        if not secrets.compare_digest(self.headers.get("X-Hybridq-Token", ""), self.owner.token):
            self._json(403, {"error": {"type": "OwnerError", "message": "bad token", "hint": None, "where": None}})
            return False
        return True

    def do_GET(self) -> None:
        if not self._authorized():
            return
        session = self.owner.session
        try:
            if self.path == f"{API}/health":
                self._json(200, {"pid": os.getpid()})
            elif self.path == f"{API}/status":
                self._json(200, session.status().to_dict())
            else:
                self._json(404, {"error": {"type": "OwnerError", "message": f"no such endpoint {self.path}",
                                           "hint": None, "where": None}})
        except HybridqError as exc:
            self._json(400, {"error": exc.to_dict()})

    def do_POST(self) -> None:
        if not self._authorized():
            return
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        session = self.owner.session
        try:
            if self.path == f"{API}/sql":
                result = session.sql(body["sql"], body.get("params"))
                self._reply(200, arrow_bytes(result.to_arrow()), "application/vnd.apache.arrow.stream",
                            {"X-Hybridq-Snapshot": json.dumps(result.snapshot.to_dict())})
            elif self.path == f"{API}/explain":
                self._json(200, session.explain(body["sql"], body.get("params")).to_dict())
            elif self.path == f"{API}/refresh":
                report = session.refresh(body.get("tables"))
                self._json(200, {"summary": report.summary(), "changed": report.changed,
                                 "issues": [f"{s}: {i.format()}" for s, i in report.issues]})
            elif self.path == f"{API}/ask":
                answer = session.ask(body["question"], llm=body.get("llm"))
                payload = answer.to_dict()
                if answer.result is not None:  # the rows travel as Arrow, so their types survive
                    payload["arrow"] = base64.b64encode(arrow_bytes(answer.result.to_arrow())).decode()
                self._json(200, payload)
            else:
                self._json(404, {"error": {"type": "OwnerError", "message": f"no such endpoint {self.path}",
                                           "hint": None, "where": None}})
        except HybridqError as exc:
            self._json(400, {"error": exc.to_dict()})
        except Exception as exc:  # an unexpected failure must reach the caller, not kill the owner
            self._json(500, {"error": {"type": "HybridqError", "message": f"{type(exc).__name__}: {exc}",
                                       "hint": "the owner process hit an internal error", "where": None}})


# -- the other processes' side -----------------------------------------------------------------

class OwnerClient:
    """Talks to the owner of a store."""

    def __init__(self, info: OwnerInfo, timeout: float | None = 300.0):
        self.info = info
        self.http = httpx.Client(base_url=info.url, headers={"X-Hybridq-Token": info.token},
                                 timeout=timeout, trust_env=False)

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code != 200:
            try:
                payload = response.json()["error"]
            except (ValueError, KeyError):
                raise OwnerError(f"the owner process answered {response.status_code}") from None
            raise error_from_dict(payload)
        return response

    def post(self, endpoint: str, body: dict) -> httpx.Response:
        try:
            return self._check(self.http.post(endpoint, json=body))
        except httpx.TransportError as exc:
            raise OwnerError(f"lost contact with the process that owns the store (pid {self.info.pid}): {exc}",
                             hint="it may have stopped; run the command again") from exc

    def get(self, endpoint: str) -> httpx.Response:
        try:
            return self._check(self.http.get(endpoint))
        except httpx.TransportError as exc:
            raise OwnerError(f"lost contact with the process that owns the store (pid {self.info.pid}): {exc}",
                             hint="it may have stopped; run the command again") from exc

    def healthy(self) -> bool:
        try:
            return self.http.get("/health", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self.http.close()
