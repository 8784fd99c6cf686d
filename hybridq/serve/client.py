"""The other processes' side: a client of the store's owner, and `RemoteSession`.

It uses the standard library's HTTP client: a command answered by the owner should cost little
more than starting Python (see bench/RESULTS.md, warm owner).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from pathlib import Path

from hybridq.errors import OwnerError, StoreError
from hybridq.serve import wire
from hybridq.serve.owner import OwnerInfo


class OwnerGone(OwnerError):
    """The owner could not be reached before the request was sent (it stopped): ask again."""


class OwnerClient:
    """Talks to the owner of a store over HTTP on the loopback interface, one connection per thread."""

    def __init__(self, info: OwnerInfo, timeout: float | None = 600.0):
        self.info = info
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(self.info.host, self.info.port, timeout=self.timeout)
        return conn

    def request(self, method: str, endpoint: str, body: dict | None = None,
                accept: str = wire.JSON) -> tuple[int, dict, bytes]:
        """(status, headers, body) of one request; an error answer is raised as the error it carries."""
        data = wire.dumps(body) if body is not None else None
        headers = {"X-Hybridq-Token": self.info.token, "Accept": accept}
        if data is not None:
            headers["Content-Type"] = wire.JSON
        for attempt in (1, 2):
            conn = self._connection()
            sent = False
            try:
                conn.request(method, f"/v1{endpoint}", body=data, headers=headers)
                sent = True
                response = conn.getresponse()
                content = response.read()
                break
            except (ConnectionRefusedError, FileNotFoundError) as exc:
                self.close()
                raise OwnerGone(f"the process that owned the store (pid {self.info.pid}) is gone") from exc
            except (http.client.HTTPException, OSError) as exc:
                self.close()
                # a kept-alive connection the server closed meanwhile: send once more on a new one
                if attempt == 1 and isinstance(exc, (http.client.RemoteDisconnected, BrokenPipeError,
                                                     ConnectionResetError)) and (not sent or method == "GET"):
                    continue
                if isinstance(exc, socket.timeout):
                    raise OwnerError(f"the process that owns the store (pid {self.info.pid}) did not answer "
                                     f"within {self.timeout:g} s") from exc
                raise OwnerError(f"lost contact with the process that owns the store (pid {self.info.pid}): {exc}",
                                 hint="it may have stopped; run the command again") from exc
        response_headers = {k.lower(): v for k, v in response.getheaders()}
        if response.status >= 400:
            try:
                payload = json.loads(content)
            except ValueError:
                payload = None
            raise wire.error_from_problem(response.status, payload)
        return response.status, response_headers, content

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


