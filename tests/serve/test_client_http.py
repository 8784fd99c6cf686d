"""The owner client's HTTP/1.1 over a socket, against canned answers: the ways a body can be
delimited, a connection the server closes, and answers that are not HTTP."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest

from hybridq.errors import HybridqError, OwnerError
from hybridq.serve.client import OwnerClient
from hybridq.serve.owner import OwnerInfo

PORTS = range(8630, 8650)  # this suite's port range


@contextlib.contextmanager
def canned_server(*answers: bytes):
    """Answers each request read with the next of `answers` on one connection (b"" closes it)."""
    server = socket.socket()
    for port in PORTS:
        try:
            server.bind(("127.0.0.1", port))
            break
        except OSError:
            continue
    server.listen(1)
    requests: list[bytes] = []

    def serve():
        with contextlib.suppress(OSError):
            conn, _ = server.accept()
            with conn:
                for answer in answers:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += conn.recv(65536)
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                                   if line.lower().startswith(b"content-length:")), 0)
                    while len(body) < length:
                        body += conn.recv(65536)
                    requests.append(head + b"\r\n\r\n" + body)
                    if not answer:
                        return
                    conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield OwnerClient(OwnerInfo(1, server.getsockname()[1], "secret", 0.0), timeout=10), requests
    finally:
        server.close()
        thread.join(timeout=10)


def test_content_length_chunked_and_kept_alive():
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
               b"4;ext=1\r\n[1, \r\n3\r\n2]\n\r\n0\r\nX-Trailer: t\r\n\r\n")
    plain = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Snapshot: 7\r\n\r\n{\"a\": \"b\"}\n"
    with canned_server(chunked, plain) as (client, requests):
        assert client.post_json("/sql", {"sql": "SELECT 1"}) == [1, 2]
        headers, content = client.post("/sql", {"sql": "SELECT 2"})
        assert content == b'{"a": "b"}\n' and headers["x-snapshot"] == "7"
    assert len(requests) == 2  # one connection, kept alive
    first = requests[0].decode()
    assert first.startswith("POST /v1/sql HTTP/1.1\r\n") and "X-Hybridq-Token: secret" in first
    assert first.endswith('{"sql": "SELECT 1"}') or first.endswith('{"sql":"SELECT 1"}')


def test_a_body_ended_by_closing_the_connection():
    with canned_server(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"n\": 1}") as (client, _):
        assert client.get_json("/status") == {"n": 1}
        assert getattr(client._local, "conn", None) is None  # not kept


def test_an_error_answer_is_raised_as_its_error():
    body = b'{"title": "bad", "detail": "no such table: nope", "status": 400}'
    answer = b"HTTP/1.1 400 Bad Request\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    with canned_server(answer) as (client, _):
        with pytest.raises(HybridqError) as raised:
            client.post_json("/sql", {"sql": "SELECT * FROM nope"})
    assert "nope" in str(raised.value)


@pytest.mark.parametrize("answer", [b"SMTP ready\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort",
                                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", b""])
def test_answers_that_cannot_be_read(answer):
    with canned_server(answer) as (client, _):
        with pytest.raises(OwnerError) as raised:
            client.post_json("/sql", {"sql": "SELECT 1"})
    assert "pid 1" in str(raised.value)


def test_nobody_listening():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    client = OwnerClient(OwnerInfo(1, port, "secret", 0.0), timeout=5)
    with pytest.raises(OwnerError, match="is gone"):
        client.get_json("/status")
