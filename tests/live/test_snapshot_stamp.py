"""A snapshot reuses the stamp it read until a write begins, and never carries a stale one."""

from __future__ import annotations

import pytest

import hybridq
from live_project import make_project


@pytest.fixture
def hq(tmp_path, hash_embedder):
    with hybridq.connect(make_project(tmp_path / "p", docs=6), embedder=hash_embedder) as session:
        session.refresh()
        yield session


def test_stamp_reused_until_a_refresh_commits(hq, tmp_path):
    with hq.store.snapshot() as first:
        pass
    with hq.store.snapshot() as second:
        assert second.stamp is first.stamp  # read once, reused
    (tmp_path / "p" / "docs" / "d0000.md").write_text("# New\n\nA different text about refunds.\n")
    hq.refresh()
    with hq.store.snapshot() as after:
        assert after.stamp.refresh_id == first.stamp.refresh_id + 1
        assert after.stamp.lance_versions[("docs", "body")] > first.stamp.lance_versions[("docs", "body")]
        # what the transaction reads agrees with the stamp it carries
        newest = after.cursor.execute("SELECT max(id) FROM _hq.refreshes").fetchall()[0][0]
        assert newest == after.stamp.refresh_id


def test_stamp_read_afresh_while_a_writer_holds_the_lock(hq):
    with hq.store.snapshot() as before:
        pass
    with hq.store.write_lock:  # a writer commits a refresh while snapshots are taken
        hq.store.db.execute("INSERT INTO _hq.refreshes SELECT max(id) + 1, now(), now(), 0, 0, 0, 0, 0, 0 "
                            "FROM _hq.refreshes")
        with hq.store.snapshot() as during:
            assert during.stamp.refresh_id == before.stamp.refresh_id + 1
    with hq.store.snapshot() as after:
        assert after.stamp.refresh_id == before.stamp.refresh_id + 1
