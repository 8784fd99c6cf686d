"""One snapshot on Daft: a query reads the Lance versions and the DuckDB rows of the snapshot it
opened, even when a refresh commits new ones while it runs."""

from __future__ import annotations

import hybridq
from hybridq.sql.engine import plan_on, prepare
from tests.live.live_project import make_project

SQL = "SELECT doc_id, title, similarity(body, 'penguins huddle on the ice shelf') AS s FROM docs ORDER BY s DESC, doc_id LIMIT 3"
PENGUINS = "---\ntitle: Penguins\nversion: 2\n---\nPenguins huddle together on the ice shelf to keep warm.\n"


def run_on(session, snap, sql: str) -> list[tuple]:
    prepared = prepare(session, sql)
    plan, relations = plan_on(session, snap, sql, prepared)
    table = session.engine.run(session, snap, plan.rewritten, relations, prepared.tables, sql)
    return list(zip(*[c.to_pylist() for c in table.columns]))


def test_daft_reads_the_snapshot_it_pinned(tmp_path, embedder):
    catalog = make_project(tmp_path, docs=12)
    with hybridq.connect(catalog, embedder=embedder, engine="daft") as daft_session, \
            hybridq.connect(catalog, embedder=embedder, engine="duckdb") as duck_session:
        daft_session.refresh()
        with daft_session.store.snapshot() as snap:
            (tmp_path / "docs" / "d0003.md").write_text(PENGUINS)
            daft_session.refresh()  # a new Lance version and DuckDB state, committed while `snap` is open
            assert daft_session.store.stamp.lance_versions != snap.stamp.lance_versions
            before_on_daft = run_on(daft_session, snap, SQL)
            before_on_duckdb = run_on(duck_session, snap, SQL)
        after = daft_session.sql(SQL).rows
    assert after[0][:2] == ("d0003", "Penguins")
    assert "Penguins" not in [title for _, title, _ in before_on_daft]  # neither the new row nor its vectors
    assert after[0][2] > before_on_daft[0][2] + 0.2
    assert [r[:2] for r in before_on_daft] == [r[:2] for r in before_on_duckdb]
    assert all(abs(a[2] - b[2]) < 1e-6 for a, b in zip(before_on_daft, before_on_duckdb))
