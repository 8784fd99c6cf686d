"""The other processes' side: a client of the store's owner, and `RemoteSession`.

It speaks HTTP/1.1 over a plain socket: a command answered by the owner should cost little more
than starting Python (see bench/RESULTS.md, warm owner), and the standard library's HTTP client
alone took about a tenth of such a command to import (it brings e-mail parsing and TLS).
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

from hybridq.errors import OwnerError, StoreError
from hybridq.serve import wire
from hybridq.serve.owner import OwnerInfo


class OwnerGone(OwnerError):
    """The owner could not be reached before the request was sent (it stopped): ask again."""


class _Disconnected(ConnectionError):
    """The owner closed the connection before answering (a kept-alive connection it timed out)."""


class _BadAnswer(OSError):
    """An answer that is not HTTP."""


class _Connection:
    """One HTTP/1.1 connection to the owner: requests with a body of known length, answers with a
    Content-Length, chunked, or ended by closing the connection."""

    def __init__(self, host: str, port: int, timeout: float | None):
        # connected by address: resolving a name (getaddrinfo) would load the IDNA codec
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.connect((host, port))
        except BaseException:
            self.sock.close()
            raise
        self.reader = self.sock.makefile("rb")
        self.host = f"{host}:{port}"
        self.reusable = True

    def send(self, method: str, target: str, headers: dict, body: bytes | None) -> None:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}", *(f"{k}: {v}" for k, v in headers.items())]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))

    def receive(self, method: str) -> tuple[int, dict, bytes]:
        """(status, headers with lower-case names, body) of the answer to the request sent."""
        first = self.reader.readline(65537)
        if not first:
            raise _Disconnected("the connection was closed before an answer")
        version, status = _status_line(first)
        headers = {}
        while True:
            line = self.reader.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon:
                raise _BadAnswer(f"not a header line: {line[:80]!r}")
            headers[name.strip().lower()] = value.strip()
        self.reusable = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            content = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            content = self._chunked()
        elif "content-length" in headers:
            content = self._exactly(int(headers["content-length"]))
        else:
            content, self.reusable = self.reader.read(), False
        return status, headers, content

    def _exactly(self, size: int) -> bytes:
        data = self.reader.read(size)
        if len(data) != size:
            raise _Disconnected(f"the answer ended after {len(data)} of {size} bytes")
        return data

    def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int(self.reader.readline(65537).split(b";", 1)[0].strip() or b"x", 16)
            if size == 0:
                break
            parts.append(self._exactly(size))
            self._exactly(2)  # the chunk's line end
        while self.reader.readline(65537) not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(parts)

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def _status_line(line: bytes) -> tuple[str, int]:
    parts = line.decode("latin-1").split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise _BadAnswer(f"not an HTTP status line: {line[:80]!r}")
    return parts[0], int(parts[1])


class OwnerClient:
    """Talks to the owner of a store over HTTP on the loopback interface, one connection per thread."""

    def __init__(self, info: OwnerInfo, timeout: float | None = 600.0):
        self.info = info
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> _Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _Connection(self.info.host, self.info.port, self.timeout)
        return conn

    def request(self, method: str, endpoint: str, body: dict | None = None,
                accept: str = wire.JSON) -> tuple[int, dict, bytes]:
        """(status, headers, body) of one request; an error answer is raised as the error it carries."""
        data = wire.dumps(body) if body is not None else None
        headers = {"X-Hybridq-Token": self.info.token, "Accept": accept}
        if data is not None:
            headers["Content-Type"] = wire.JSON
        for attempt in (1, 2):
            sent = False
            try:
                conn = self._connection()
                conn.send(method, f"/v1{endpoint}", headers, data)
                sent = True
                status, response_headers, content = conn.receive(method)
                if not conn.reusable:
                    self.close()
                break
            except (ConnectionRefusedError, FileNotFoundError) as exc:
                self.close()
                raise OwnerGone(f"the process that owned the store (pid {self.info.pid}) is gone") from exc
            except OSError as exc:
                self.close()
                # a kept-alive connection the server closed meanwhile: send once more on a new one
                if attempt == 1 and isinstance(exc, (_Disconnected, BrokenPipeError, ConnectionResetError)) and (
                        not sent or method == "GET"):
                    continue
                if isinstance(exc, socket.timeout):
                    raise OwnerError(f"the process that owns the store (pid {self.info.pid}) did not answer "
                                     f"within {self.timeout:g} s") from exc
                raise OwnerError(f"lost contact with the process that owns the store (pid {self.info.pid}): {exc}",
                                 hint="it may have stopped; run the command again") from exc
            except ValueError as exc:  # a length or chunk size that is not a number
                self.close()
                raise OwnerError(f"the process that owns the store (pid {self.info.pid}) sent an answer that "
                                 f"cannot be read: {exc}") from exc
        if status >= 400:
            try:
                payload = json.loads(content)
            except ValueError:
                payload = None
            raise wire.error_from_problem(status, payload)
        return status, response_headers, content

    def post(self, endpoint: str, body: dict, accept: str = wire.JSON) -> tuple[dict, bytes]:
        _, headers, content = self.request("POST", endpoint, body, accept)
        return headers, content

    def post_json(self, endpoint: str, body: dict):
        return json.loads(self.post(endpoint, body)[1])

    def get_json(self, endpoint: str):
        return json.loads(self.request("GET", endpoint)[2])

    def healthy(self) -> bool:
        try:
            return self.request("GET", "/health")[0] == 200
        except OwnerError:
            return False

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class RemoteSession:
    """A session whose store is owned by another process; every call is answered by that process.

    `rows="arrow"` (the Python API) receives results as Arrow, with their types; `rows="json"`
    (the command line) receives JSON rows and so needs no Arrow to print them.
    """

    def __init__(self, catalog, client: OwnerClient, *, rows: str = "arrow"):
        self._catalog = catalog  # a Catalog, or the catalog file's path (loaded when first needed)
        self.client = client
        self.rows = rows

    @property
    def catalog(self):
        if not hasattr(self._catalog, "tables"):
            from hybridq.catalog.validate import load_catalog

            self._catalog = load_catalog(self._catalog)
        return self._catalog

    @property
    def owner_pid(self) -> int:
        return self.client.info.pid

    def _result(self, endpoint: str, body: dict, sql: str | None):
        if self.rows == "json":
            return wire.result_from_json(self.client.post_json(endpoint, body), sql)
        headers, content = self.client.post(endpoint, body, accept=wire.ARROW)
        return wire.result_from_arrow(content, headers, sql)

    def sql(self, query: str, params: list | dict | None = None):
        return self._result("/sql", {"sql": query, "params": params}, query)

    def retrieve(self, column: str, text: str, k: int = 5, columns: list[str] | None = None):
        return self._result("/retrieve", {"column": column, "text": text, "k": k, "columns": columns}, None)

    def explain(self, query: str, params: list | dict | None = None):
        return wire.plan_from_json(self.client.post_json("/explain", {"sql": query, "params": params}))

    def ask(self, question: str, *, llm: bool | None = None, **options):
        body = {"question": question, "llm": llm, **options, "format": self.rows}
        payload = self.client.post_json("/ask", body)
        return payload if self.rows == "json" else wire.answer_from_json(payload)

    def refresh(self, tables: list[str] | None = None, **_ignored):
        return wire.report_from_json(self.client.post_json("/refresh", {"tables": tables}))

    def status(self):
        return wire.status_from_json(self.client.get_json("/status"))

    def describe(self) -> dict:
        return self.client.get_json("/catalog")

    def subscribe(self, *_args, **_kwargs):
        raise StoreError(f"standing queries run in the process that owns the store (process {self.owner_pid})",
                         hint="declare the query under 'alerts:' in the catalog with a file or webhook target, "
                              "or subscribe in that process")

    def watch(self, *, log=None, ready=None, stop: threading.Event | None = None) -> None:
        """Keep the store live from here: the owner watches the sources (it is the process that can
        write), and its watch log is shown here, until `stop` is set or Ctrl-C."""
        from hybridq.serve.watching import follow_remote_watch

        follow_remote_watch(self.client, log=log, ready=ready, stop=stop)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "RemoteSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def remote_for(catalog_file: str | Path, *, rows: str = "json") -> RemoteSession | None:
    """A session answered by the store's owner, found from the catalog file alone (nothing heavy
    is imported), or None when no process owns the store."""
    from hybridq.serve.owner import read_owner, store_dir_of

    store_dir = store_dir_of(catalog_file)
    if store_dir is None:
        return None
    info = read_owner(store_dir)
    if info is None:
        return None
    return RemoteSession(str(catalog_file), OwnerClient(info), rows=rows)


