"""The Lance datasets of a store on object storage: an S3-compatible server on loopback (moto),
started by the test and stopped after it; refresh and query on both engines."""

from __future__ import annotations

import socket

import pytest

import hybridq
from tests.live.live_project import make_project

BUCKET = "hybridq-test"
SQL = "SELECT doc_id, similarity(body, 'penguins huddle on the ice shelf') AS s FROM docs ORDER BY s DESC, doc_id LIMIT 3"


@pytest.fixture
def s3_server(monkeypatch):
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_ENDPOINT_URL": endpoint}.items():
        monkeypatch.setenv(name, value)
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket=BUCKET)
    yield client
    server.stop()


def keys_in(client, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def test_refresh_and_query_with_lance_on_s3(tmp_path, embedder, s3_server):
    catalog = make_project(tmp_path, docs=8)
    with catalog.open("a") as f:
        f.write(f"vector_store: s3://{BUCKET}/live\n")
    with hybridq.connect(catalog, embedder=embedder) as session:
        session.refresh()
        assert any(k.startswith("live/docs__body.lance/") for k in keys_in(s3_server, "live/"))
        assert not (tmp_path / ".hybridq" / "live" / "lance").exists()
        before = session.sql(SQL).rows
        edited = next(d for d in ("d0005", "d0006") if d != before[0][0])  # not already the best match
        (tmp_path / "docs" / f"{edited}.md").write_text(
            "---\ntitle: Penguins\nversion: 2\n---\nPenguins huddle together on the ice shelf to keep warm.\n")
        assert session.refresh().embedded >= 1
        after = session.sql(SQL).rows
        with hybridq.connect(catalog, embedder=embedder, engine="daft") as on_daft:
            from_daft = on_daft.sql(SQL).rows
    assert after[0][0] == edited != before[0][0]
    assert [r[0] for r in from_daft] == [r[0] for r in after]
    assert all(abs(a[1] - b[1]) < 1e-6 for a, b in zip(from_daft, after))
