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


PENGUIN_TEXT = "Penguins huddle together on the ice shelf to keep warm."
INVOICE_TEXT = "The invoice total is wrong and the customer asks for a corrected bill."


def test_no_torn_reads_on_daft_under_a_concurrent_refresh(tmp_path, embedder):
    """A writer flips one document between two texts (and their version numbers) and refreshes;
    every Daft query meanwhile sees a version number and a score of the same text."""
    import threading

    catalog = make_project(tmp_path, docs=6)
    doc = tmp_path / "docs" / "d0000.md"

    def write(version: int) -> None:
        doc.write_text(f"---\ntitle: flip\nversion: {version}\n---\n{PENGUIN_TEXT if version == 1 else INVOICE_TEXT}\n")

    query = "penguins on the ice"
    expected = {1: float(embedder.embed([PENGUIN_TEXT])[0] @ embedder.embed_query(query)),
                2: float(embedder.embed([INVOICE_TEXT])[0] @ embedder.embed_query(query))}
    assert abs(expected[1] - expected[2]) > 0.2
    sql = f"SELECT version, similarity(body, '{query}') AS s FROM docs WHERE doc_id = 'd0000'"
    write(1)
    with hybridq.connect(catalog, embedder=embedder, engine="daft") as session:
        session.refresh()
        stop, errors = threading.Event(), []

        def writer() -> None:
            try:
                for i in range(8):
                    write(2 if i % 2 == 0 else 1)
                    session.refresh()
            except Exception as exc:  # reported by the main thread
                errors.append(exc)
            finally:
                stop.set()

        thread = threading.Thread(target=writer)
        thread.start()
        seen = []
        while not stop.is_set() or not seen:
            (version, score), = session.sql(sql).rows
            seen.append((version, score))
        thread.join()
    assert not errors, errors
    assert {v for v, _ in seen} == {1, 2}, "the reader saw both states"
    torn = [(v, s) for v, s in seen if abs(s - expected[v]) > 1e-4]
    assert not torn, f"{len(torn)} of {len(seen)} reads mix two states: {torn[:3]}"
