"""Fixtures for the non-file source tests: a real PostgreSQL server and a JSON API on loopback."""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.live.live_project import wait_for  # noqa: F401 (one polling helper for every test that waits)
from tests.pg_server import PostgresServer, PostgresUnavailable


@pytest.fixture(scope="session")
def pg():
    """A PostgreSQL server (wal_level=logical) on a temporary data directory, for the session."""
    if os.environ.get("HYBRIDQ_NO_POSTGRES") == "1":
        pytest.skip("HYBRIDQ_NO_POSTGRES=1: PostgreSQL tests skipped")
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


class JsonAPI:
    """A JSON endpoint on loopback whose answers a test sets: pages of records, or a failure."""

    def __init__(self):
        self.pages: dict[str, object] = {}  # path with query -> JSON document
        self.fail: dict[str, str] = {}  # path with query -> "500", "slow", "malformed"
        self.requests: list[dict] = []
        self.hook_failures = 0  # POSTs to answer with 500 before accepting
        self.hook_gate = threading.Event()  # POSTs wait until it is set
        self.hook_gate.set()
        self.accepted: list[dict] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                api.requests.append({"path": self.path, "headers": dict(self.headers)})
                failure = api.fail.get(self.path)
                if failure == "500":
                    return self._send(500, b'{"error": "boom"}')
                if failure == "slow":
                    time.sleep(1.5)
                if failure == "malformed":
                    return self._send(200, b'{"data": {"items": [{"id": 1,')
                if self.path not in api.pages:
                    return self._send(404, b"{}")
                self._send(200, json.dumps(api.pages[self.path]).encode())

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                record = {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
                api.requests.append(record)
                api.hook_gate.wait(30)
                if api.hook_failures > 0:
                    api.hook_failures -= 1
                    return self._send(500, b"{}")
                api.accepted.append(record)
                self._send(200, b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api():
    server = JsonAPI()
    yield server
    server.close()
